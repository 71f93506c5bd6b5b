"""Refunds out of a buyer's credit balance (overpayments, credits on paid invoices): a ledger row
of the buyer's own, taken under the buyer's lock so that the balance never goes below zero."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.balances import balance_of, lock_buyer
from payinvoice.contracts import LedgerKind
from payinvoice.contracts.schemas import BuyerRefundIn, BuyerRefundOut
from payinvoice.db.models import BuyerRefund, LedgerEntry, Merchant, utcnow
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.money import MoneyError, from_minor, to_minor
from services.buyers import get_own_buyer


@dataclass(frozen=True)
class BalanceRefund:
    """The refund, and whether this request made it (False: the same reference again)."""

    refund: BuyerRefundOut
    created: bool


def _out(refund: BuyerRefund, balance: int) -> BuyerRefundOut:
    return BuyerRefundOut(
        id=refund.id, buyer_id=refund.buyer_id, amount=from_minor(refund.amount, refund.currency),
        currency=refund.currency, reference=refund.reference, created_at=refund.created_at,
        balance=from_minor(balance, refund.currency),
    )


async def refund_balance(
    session: AsyncSession, merchant: Merchant, buyer_id: str, body: BuyerRefundIn
) -> BalanceRefund:
    """Pay (part of) the buyer's credit balance back to it. Refused (`insufficient_balance`) when
    the balance holds less; the same reference again answers the refund it made."""
    buyer = await get_own_buyer(session, merchant, buyer_id)
    currency = buyer.currency  # a rollback below expires the row
    amount = to_minor(body.amount, currency, "amount")
    if amount <= 0:
        raise MoneyError(ErrorType.INVALID_AMOUNT, "amount must be greater than 0")
    await lock_buyer(session, buyer.id)
    existing = await session.scalar(
        select(BuyerRefund).where(BuyerRefund.buyer_id == buyer.id, BuyerRefund.reference == body.reference)
    )
    balance = await balance_of(session, buyer.id)
    if existing is not None:
        # Read before the rollback (which releases the lock), as it expires the row.
        same_amount, answer = existing.amount == amount, _out(existing, balance)
        await session.rollback()
        if not same_amount:
            message = f"reference {body.reference!r} was a refund of another amount"
            raise Refusal(ErrorType.REFERENCE_REUSED, message)
        return BalanceRefund(answer, created=False)
    if amount > balance:
        await session.rollback()
        held = f"{from_minor(max(balance, 0), currency)} {currency}"
        raise Refusal(ErrorType.INSUFFICIENT_BALANCE, f"the buyer's balance holds {held}")
    refund = BuyerRefund(
        id=str(uuid.uuid4()), merchant_id=merchant.id, buyer_id=buyer.id, reference=body.reference,
        amount=amount, currency=buyer.currency, created_at=utcnow(),
    )
    session.add(refund)
    session.add(
        LedgerEntry(
            merchant_id=merchant.id, buyer_id=buyer.id, invoice_id=None, kind=LedgerKind.BALANCE_REFUND,
            amount=amount, currency=buyer.currency, source="merchant", source_id=refund.id,
            occurred_at=refund.created_at,
        )
    )
    await session.commit()
    return BalanceRefund(_out(refund, balance - amount), created=True)
