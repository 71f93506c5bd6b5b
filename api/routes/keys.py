"""API keys of the calling merchant: create one per role, list, revoke, rotate with a grace period.

A key and a processor's signing secret are shown once, at creation; only the key's SHA-256 is
stored. Only a merchant key may manage keys, and the last merchant key cannot be revoked.
"""

from fastapi import APIRouter, status

from api.deps import MerchantKey, SessionDep
from payinvoice.contracts.schemas import KeyCreate, KeyCreated, KeyList, KeyRotate
from payinvoice.keys import Role
from services import keys

router = APIRouter(prefix="/v1/keys", tags=["keys"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KeyCreated)
async def create_key(body: KeyCreate, session: SessionDep, merchant: MerchantKey) -> KeyCreated:
    return await keys.create_key(session, merchant, Role(body.role))


@router.get("", response_model=KeyList)
async def list_keys(session: SessionDep, merchant: MerchantKey) -> KeyList:
    return await keys.list_keys(session, merchant)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_key(key_id: str, session: SessionDep, merchant: MerchantKey) -> None:
    await keys.revoke_key(session, merchant, key_id)


@router.post("/{key_id}/rotate", status_code=status.HTTP_201_CREATED, response_model=KeyCreated)
async def rotate_key(
    key_id: str, body: KeyRotate, session: SessionDep, merchant: MerchantKey
) -> KeyCreated:
    """A new key (and secret) of the same role; the old one keeps working for `grace_seconds`."""
    return await keys.rotate_key(session, merchant, key_id, body.grace_seconds)
