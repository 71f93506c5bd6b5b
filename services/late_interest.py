"""The merchant's late-payment interest (EU Directive 2011/7/EU, a fixed rate, or none): frozen
into each invoice at checkout, so a change applies to invoices issued afterwards."""

from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts import to_document
from payinvoice.contracts.schemas import LateInterestIn, LateInterestOut
from payinvoice.db.models import Merchant
from payinvoice.domain.late_interest import LateInterest, parse_late_interest
from payinvoice.domain.money import from_minor


def _out(interest: LateInterest, currency: str) -> LateInterestOut:
    return LateInterestOut(
        mode=interest.mode,  # type: ignore[arg-type]
        annual_rate=interest.annual_rate, reference_rate=interest.reference_rate,
        margin_points=interest.margin_points, compensation=from_minor(interest.compensation, currency),
    )


def get_late_interest(merchant: Merchant) -> LateInterestOut:
    """What invoices issued now charge when paid late; `off` unless set."""
    interest = LateInterest(**merchant.late_interest) if merchant.late_interest else LateInterest()
    return _out(interest, merchant.currency)


async def set_late_interest(
    session: AsyncSession, merchant: Merchant, body: LateInterestIn
) -> LateInterestOut:
    """Set it; invoices already issued keep what they were issued with."""
    interest = parse_late_interest(
        body.mode, merchant.currency, annual_rate=body.annual_rate, reference_rate=body.reference_rate,
        margin_points=body.margin_points, compensation=body.compensation,
    )
    merchant.late_interest = to_document(interest)
    await session.commit()
    return _out(interest, merchant.currency)
