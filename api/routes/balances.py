"""Refunds out of a buyer's credit balance (overpayments, credits on paid invoices): a ledger row
of the buyer's own, taken under the buyer's lock so that the balance never goes below zero."""

from fastapi import APIRouter, Response, status

from api.deps import CurrentMerchant, SessionDep
from payinvoice.contracts.schemas import BuyerRefundIn, BuyerRefundOut
from services import balances

router = APIRouter(prefix="/v1/buyers", tags=["buyers"])


@router.post(
    "/{buyer_id}/refunds",
    status_code=status.HTTP_201_CREATED,
    response_model=BuyerRefundOut,
    responses={200: {"model": BuyerRefundOut, "description": "The same reference again: the same refund."}},
)
async def refund_balance(
    buyer_id: str, body: BuyerRefundIn, response: Response, session: SessionDep, merchant: CurrentMerchant
) -> BuyerRefundOut:
    """Pay (part of) the buyer's credit balance back to it. 409 `insufficient_balance` when the
    balance holds less; the same reference again answers the refund it made."""
    done = await balances.refund_balance(session, merchant, buyer_id, body)
    response.status_code = status.HTTP_201_CREATED if done.created else status.HTTP_200_OK
    return done.refund
