"""The merchant's bank details, printed on its invoices and in their EPC QR codes."""

from fastapi import APIRouter

from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from payinvoice.contracts.schemas import BankDetailsIn, BankDetailsOut
from services import merchants

router = APIRouter(prefix="/v1/settings/bank-details", tags=["settings"])


@router.get("", response_model=BankDetailsOut)
async def get_bank_details(merchant: CurrentMerchant) -> BankDetailsOut:
    return merchants.get_bank_details(merchant)


@router.put("", response_model=BankDetailsOut)
async def put_bank_details(
    body: BankDetailsIn, session: SessionDep, merchant: CurrentMerchant, temporal: TemporalDep,
    settings: SettingsDep,
) -> BankDetailsOut:
    """Replace all four fields (an omitted one is cleared). They apply to invoices issued from
    now on; a change is emailed to the merchant."""
    return await merchants.set_bank_details(session, temporal, settings.temporal_task_queue, merchant, body)
