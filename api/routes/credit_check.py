"""The merchant's external credit check endpoint: set, read (never the secret back) and remove."""

from typing import Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import delete

from api.deps import CurrentMerchant, SessionDep
from api.errors import ApiError
from api.schemas import Strict
from payinvoice.db.models import CreditCheckSettings, utcnow
from payinvoice.db.session import dialect_insert

router = APIRouter(prefix="/v1/settings/credit-check", tags=["settings"])

OnError = Literal["approve_within_limit", "review", "decline"]


def http_url(value: str) -> str:
    """A field validator's check of a URL we will POST to (also used by webhook endpoints)."""
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError("must not contain whitespace or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    return value


class CreditCheckSettingsIn(Strict):

    url: str = Field(max_length=2000, examples=["https://scoring.example.com/check"])
    secret: str = Field(min_length=16, max_length=200, description="Signs each request; never shown again.")
    timeout_ms: int = Field(ge=50, le=30000)
    cache_days: int = Field(ge=0, le=3650)
    on_error: OnError

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)


class CreditCheckSettingsOut(BaseModel):
    url: str
    timeout_ms: int
    cache_days: int
    on_error: str
    secret_set: bool


def _out(row: CreditCheckSettings) -> CreditCheckSettingsOut:
    return CreditCheckSettingsOut(
        url=row.url, timeout_ms=row.timeout_ms, cache_days=row.cache_days, on_error=row.on_error,
        secret_set=bool(row.secret),
    )


def _not_configured() -> ApiError:
    return ApiError(404, "credit_check_not_configured", "no external credit check is configured")


@router.put("", response_model=CreditCheckSettingsOut)
async def put_credit_check(
    body: CreditCheckSettingsIn, session: SessionDep, merchant: CurrentMerchant
) -> CreditCheckSettingsOut:
    values = body.model_dump() | {"updated_at": utcnow()}
    # One atomic upsert, so two first-time PUTs racing cannot collide on the primary key.
    insert = dialect_insert(session, CreditCheckSettings).values(merchant_id=merchant.id, **values)
    await session.execute(
        insert.on_conflict_do_update(index_elements=[CreditCheckSettings.merchant_id], set_=values)
    )
    await session.commit()
    return CreditCheckSettingsOut(
        url=body.url, timeout_ms=body.timeout_ms, cache_days=body.cache_days, on_error=body.on_error,
        secret_set=True,
    )


@router.get("", response_model=CreditCheckSettingsOut)
async def get_credit_check(session: SessionDep, merchant: CurrentMerchant) -> CreditCheckSettingsOut:
    row = await session.get(CreditCheckSettings, merchant.id)
    if row is None:
        raise _not_configured()
    return _out(row)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_credit_check(session: SessionDep, merchant: CurrentMerchant) -> Response:
    await session.execute(delete(CreditCheckSettings).where(CreditCheckSettings.merchant_id == merchant.id))
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
