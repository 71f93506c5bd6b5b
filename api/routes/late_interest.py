"""The merchant's late-payment interest (EU Directive 2011/7/EU, a fixed rate, or none): frozen
into each invoice at checkout, so a change applies to invoices issued afterwards."""

from fastapi import APIRouter

from api.deps import CurrentMerchant, SessionDep
from payinvoice.contracts.schemas import LateInterestIn, LateInterestOut
from services import late_interest

router = APIRouter(prefix="/v1/settings/late-interest", tags=["settings"])


@router.get("", response_model=LateInterestOut)
async def get_late_interest(merchant: CurrentMerchant) -> LateInterestOut:
    """What invoices issued now charge when paid late; `off` unless set."""
    return late_interest.get_late_interest(merchant)


@router.put("", response_model=LateInterestOut)
async def put_late_interest(
    body: LateInterestIn, session: SessionDep, merchant: CurrentMerchant
) -> LateInterestOut:
    """Set it; invoices already issued keep what they were issued with."""
    return await late_interest.set_late_interest(session, merchant, body)
