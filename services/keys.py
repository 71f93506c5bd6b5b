"""API keys of a merchant: create one per role, list, revoke, rotate with a grace period.

A key and a processor's signing secret are shown once, at creation; only the key's SHA-256 is
stored. The last merchant key cannot be revoked: the merchant would lock itself out.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts.schemas import KeyCreated, KeyList, KeyOut
from payinvoice.db.models import ApiKey, Merchant, utcnow
from payinvoice.domain.errors import ErrorType, Refusal, not_found
from payinvoice.keys import Role, add_key


def _out(row: ApiKey) -> KeyOut:
    return KeyOut(
        id=row.id, role=row.role, created_at=row.created_at, expires_at=row.expires_at,
        replaced_by=row.replaced_by,
    )


def _created(row: ApiKey, key: str, secret: str | None) -> KeyCreated:
    return KeyCreated(**_out(row).model_dump(), key=key, signing_secret=secret)


async def _own_key(session: AsyncSession, merchant: Merchant, key_id: str) -> ApiKey:
    """The merchant's live key; another merchant's, or a revoked one, is reported missing."""
    row = await session.get(ApiKey, key_id)
    if row is None or row.merchant_id != merchant.id or row.revoked_at is not None:
        raise not_found(ErrorType.KEY_NOT_FOUND)
    return row


async def create_key(session: AsyncSession, merchant: Merchant, role: Role) -> KeyCreated:
    row, key, secret = add_key(session, merchant.id, role)
    await session.commit()
    return _created(row, key, secret)


async def list_keys(session: AsyncSession, merchant: Merchant) -> KeyList:
    """The keys that still work: neither revoked nor past their grace period."""
    rows = await session.scalars(
        select(ApiKey)
        .where(ApiKey.merchant_id == merchant.id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created_at, ApiKey.id)
    )
    now = datetime.now(UTC)
    return KeyList(data=[_out(row) for row in rows if row.expires_at is None or row.expires_at > now])


async def revoke_key(session: AsyncSession, merchant: Merchant, key_id: str) -> None:
    row = await _own_key(session, merchant, key_id)
    if row.role == Role.MERCHANT:
        others = await session.scalar(
            select(func.count()).where(
                ApiKey.merchant_id == merchant.id, ApiKey.role == Role.MERCHANT,
                ApiKey.revoked_at.is_(None), ApiKey.expires_at.is_(None), ApiKey.id != row.id,
            )
        )
        if not others:
            raise Refusal(ErrorType.LAST_MERCHANT_KEY, "the last merchant key cannot be revoked")
    row.revoked_at = utcnow()
    await session.commit()


async def rotate_key(
    session: AsyncSession, merchant: Merchant, key_id: str, grace_seconds: int
) -> KeyCreated:
    """A new key (and secret) of the same role; the old one keeps working for `grace_seconds`."""
    old = await _own_key(session, merchant, key_id)
    if old.replaced_by is not None:
        raise Refusal(ErrorType.KEY_ALREADY_ROTATED, "this key was rotated already; rotate its successor")
    row, key, secret = add_key(session, merchant.id, Role(old.role))
    old.replaced_by = row.id
    old.expires_at = utcnow() + timedelta(seconds=grace_seconds)
    await session.commit()
    return _created(row, key, secret)
