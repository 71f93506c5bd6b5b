"""Buyers, their credit lines and payment records."""

from fastapi import APIRouter, status

from api.deps import CurrentMerchant, SessionDep
from api.paging import PageCursor, PageLimit
from payinvoice.contracts.schemas import BuyerCreate, BuyerOut, BuyerUpdate, CreditHistory
from services import buyers
from services.pages import DEFAULT_LIMIT

router = APIRouter(prefix="/v1/buyers", tags=["buyers"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BuyerOut)
async def create_buyer(body: BuyerCreate, session: SessionDep, merchant: CurrentMerchant) -> BuyerOut:
    return await buyers.create_buyer(session, merchant, body)


@router.get("/{buyer_id}", response_model=BuyerOut)
async def get_buyer(buyer_id: str, session: SessionDep, merchant: CurrentMerchant) -> BuyerOut:
    return await buyers.get_buyer(session, merchant, buyer_id)


@router.patch("/{buyer_id}", response_model=BuyerOut)
async def update_buyer(
    buyer_id: str, body: BuyerUpdate, session: SessionDep, merchant: CurrentMerchant
) -> BuyerOut:
    return await buyers.update_buyer(session, merchant, buyer_id, body)


@router.get("/{buyer_id}/credit/history", response_model=CreditHistory)
async def credit_history(
    buyer_id: str, session: SessionDep, merchant: CurrentMerchant,
    limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None,
) -> CreditHistory:
    """Every change to the buyer's credit line with its reason, newest first, a page at a time:
    `next_cursor` (null on the last page) fetches the next."""
    return await buyers.credit_history(session, merchant, buyer_id, limit=limit, cursor=cursor)
