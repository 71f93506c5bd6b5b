"""A buyer's credit balance, read from the ledger: overpayments and credits on paid invoices go
in, invoices issued later and refunds to the buyer take out. Whoever takes from it locks the
buyer's row first, so two takers never spend the same money."""

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts import BALANCE_SIGNS
from payinvoice.db.models import Buyer, LedgerEntry


async def balance_of(session: AsyncSession, buyer_id: str) -> int:
    signed = case(
        *((LedgerEntry.kind == str(kind), LedgerEntry.amount * sign) for kind, sign in BALANCE_SIGNS.items()),
        else_=0,
    )
    total = await session.scalar(
        select(func.coalesce(func.sum(signed), 0)).where(
            LedgerEntry.buyer_id == buyer_id, LedgerEntry.kind.in_([str(k) for k in BALANCE_SIGNS])
        )
    )
    return int(total or 0)


async def lock_buyer(session: AsyncSession, buyer_id: str) -> bool:
    """Lock the buyer's row until the transaction ends, before reading its balance. A write
    rather than SELECT FOR UPDATE: SQLite has no row locks, and its first write takes the
    database's write lock, which serialises takers the same way. False: no such buyer."""
    result = await session.execute(update(Buyer).where(Buyer.id == buyer_id).values(id=Buyer.id))
    return bool(getattr(result, "rowcount", 0))  # an UPDATE's result is a CursorResult
