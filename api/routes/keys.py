"""API keys of the calling merchant: create one per role, list, revoke, rotate with a grace period.

A key and a processor's signing secret are shown once, at creation; only the key's SHA-256 is
stored. Only a merchant key may manage keys, and the last merchant key cannot be revoked.
"""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, status
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import MerchantKey, SessionDep
from api.errors import ApiError, not_found
from api.schemas import KeyCreate, KeyCreated, KeyList, KeyOut, KeyRotate
from payinvoice.db.models import ApiKey, utcnow
from payinvoice.keys import Role, add_key

router = APIRouter(prefix="/v1/keys", tags=["keys"])


def _out(row: ApiKey) -> KeyOut:
    return KeyOut(
        id=row.id, role=row.role, created_at=row.created_at, expires_at=row.expires_at,
        replaced_by=row.replaced_by,
    )


def _created(row: ApiKey, key: str, secret: str | None) -> KeyCreated:
    return KeyCreated(**_out(row).model_dump(), key=key, signing_secret=secret)


async def _own_key(session: AsyncSession, merchant_id: str, key_id: str) -> ApiKey:
    row = await session.get(ApiKey, key_id)
    if row is None or row.merchant_id != merchant_id or row.revoked_at is not None:
        raise not_found("key")
    return row


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KeyCreated)
async def create_key(body: KeyCreate, session: SessionDep, merchant: MerchantKey) -> KeyCreated:
    row, key, secret = add_key(session, merchant.id, Role(body.role))
    await session.commit()
    return _created(row, key, secret)


@router.get("", response_model=KeyList)
async def list_keys(session: SessionDep, merchant: MerchantKey) -> KeyList:
    rows = await session.scalars(
        select(ApiKey)
        .where(ApiKey.merchant_id == merchant.id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created_at, ApiKey.id)
    )
    now = datetime.now(UTC)
    return KeyList(data=[_out(row) for row in rows if row.expires_at is None or row.expires_at > now])


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_key(key_id: str, session: SessionDep, merchant: MerchantKey) -> None:
    row = await _own_key(session, merchant.id, key_id)
    if row.role == Role.MERCHANT:
        others = await session.scalar(
            select(func.count()).where(
                ApiKey.merchant_id == merchant.id, ApiKey.role == Role.MERCHANT,
                ApiKey.revoked_at.is_(None), ApiKey.expires_at.is_(None), ApiKey.id != row.id,
            )
        )
        if not others:
            raise ApiError(409, "last_merchant_key", "the last merchant key cannot be revoked")
    row.revoked_at = utcnow()
    await session.commit()


@router.post("/{key_id}/rotate", status_code=status.HTTP_201_CREATED, response_model=KeyCreated)
async def rotate_key(
    key_id: str, body: KeyRotate, session: SessionDep, merchant: MerchantKey
) -> KeyCreated:
    """A new key (and secret) of the same role; the old one keeps working for `grace_seconds`."""
    old = await _own_key(session, merchant.id, key_id)
    if old.replaced_by is not None:
        raise ApiError(409, "key_already_rotated", "this key was rotated already; rotate its successor")
    row, key, secret = add_key(session, merchant.id, Role(old.role))
    old.replaced_by = row.id
    old.expires_at = utcnow() + timedelta(seconds=body.grace_seconds)
    await session.commit()
    return _created(row, key, secret)
