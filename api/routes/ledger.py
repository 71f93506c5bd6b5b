"""The ledger check: does every invoice and buyer agree with the movements of money recorded?"""

from fastapi import APIRouter

from api.deps import CurrentMerchant, SessionDep
from payinvoice.contracts.schemas import LedgerCheckOut
from services.ledger import ledger_check

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


@router.get("/check", response_model=LedgerCheckOut)
async def check_ledger(session: SessionDep, merchant: CurrentMerchant) -> LedgerCheckOut:
    """Recompute each invoice's amount paid and due and each buyer's exposure from the ledger;
    every difference is listed (none when consistent)."""
    return await ledger_check(session, merchant.id)
