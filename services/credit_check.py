"""The merchant's external credit check endpoint: set, read (never the secret back) and remove."""

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts.schemas import CreditCheckSettingsIn, CreditCheckSettingsOut
from payinvoice.db.models import CreditCheckSettings, Merchant, utcnow
from payinvoice.db.session import dialect_insert
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.outbound import check_saved_url
from payinvoice.settings import Settings


async def set_credit_check(
    session: AsyncSession, settings: Settings, merchant: Merchant, body: CreditCheckSettingsIn
) -> CreditCheckSettingsOut:
    """Refused (`url_not_allowed`) when the URL is not https or its host is not a global address."""
    await check_saved_url(body.url, allow_private=settings.allow_private_urls)
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


async def get_credit_check(session: AsyncSession, merchant: Merchant) -> CreditCheckSettingsOut:
    """The settings in force, without the secret; refused (`credit_check_not_configured`) when none."""
    row = await session.get(CreditCheckSettings, merchant.id)
    if row is None:
        raise Refusal(ErrorType.CREDIT_CHECK_NOT_CONFIGURED, "no external credit check is configured")
    return CreditCheckSettingsOut(
        url=row.url, timeout_ms=row.timeout_ms, cache_days=row.cache_days, on_error=row.on_error,
        secret_set=bool(row.secret),
    )


async def remove_credit_check(session: AsyncSession, merchant: Merchant) -> None:
    """Checkouts from now on are decided without it; removing none that exists is no error."""
    await session.execute(delete(CreditCheckSettings).where(CreditCheckSettings.merchant_id == merchant.id))
    await session.commit()
