"""API keys: made here, stored as their SHA-256 only, by the API and the operator CLI alike."""

import hashlib
import secrets
import uuid
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.db.models import ApiKey, utcnow


class Role(StrEnum):
    """What a key may do: `merchant` everything of its merchant, `processor` report settlements,
    `support` read."""

    MERCHANT = "merchant"
    PROCESSOR = "processor"
    SUPPORT = "support"


def new_api_key() -> str:
    return f"pi_{secrets.token_urlsafe(32)}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_key(session: AsyncSession, merchant_id: str, role: Role) -> tuple[ApiKey, str, str | None]:
    """A new key row (added to the session) with the key and, for processors, the signing secret:
    the caller shows both once; only the hash of the key is kept."""
    key = new_api_key()
    secret = f"pss_{secrets.token_urlsafe(32)}" if role == Role.PROCESSOR else None
    row = ApiKey(
        id=str(uuid.uuid4()), merchant_id=merchant_id, role=role, key_hash=hash_api_key(key),
        signing_secret=secret, created_at=utcnow(),
    )
    session.add(row)
    return row, key, secret
