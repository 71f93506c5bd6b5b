"""The buyer's credit balance paying a new invoice at issue (payinvoice.balances)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from payinvoice.balances import balance_of, lock_buyer
from payinvoice.contracts import AppliedBalance, ApplyBalanceInput, LedgerKind
from payinvoice.db.models import LedgerEntry, utcnow


class BalanceActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
    async def apply_balance(self, request: ApplyBalanceInput) -> AppliedBalance:
        """Take up to `amount` from the balance, once per invoice: a retry answers what was taken."""
        async with self._sessions.begin() as session:
            taken = await session.scalar(
                select(LedgerEntry).where(
                    LedgerEntry.invoice_id == request.invoice_id,
                    LedgerEntry.kind == LedgerKind.BALANCE_APPLIED,
                    LedgerEntry.source_id == request.invoice_id,
                )
            )
            if taken is not None:
                return AppliedBalance(amount=taken.amount, at=taken.occurred_at)
            now = utcnow()
            await lock_buyer(session, request.buyer_id)
            amount = min(max(await balance_of(session, request.buyer_id), 0), request.amount)
            if amount > 0:
                session.add(
                    LedgerEntry(
                        merchant_id=request.merchant_id,
                        buyer_id=request.buyer_id,
                        invoice_id=request.invoice_id,
                        kind=LedgerKind.BALANCE_APPLIED,
                        amount=amount,
                        currency=request.currency,
                        source="credit_balance",
                        source_id=request.invoice_id,
                        occurred_at=now,
                    )
                )
        return AppliedBalance(amount=amount, at=now)
