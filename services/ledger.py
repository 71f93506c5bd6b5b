"""The ledger check: every invoice's `amount_paid`, `charged` (fees, interest, credit notes,
discount), `amount_due` and overpayment credited to the buyer's balance, and every buyer's exposure,
recomputed from the ledger (`ledger_entries`) and the invoices' totals, against what the read
model and the credit line hold. One function for `GET /v1/ledger/check` and the CLI."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts import CHARGE_KINDS, PAID_KINDS, LedgerKind, from_document
from payinvoice.contracts.schemas import LedgerCheckOut, LedgerDifferenceOut
from payinvoice.db.models import Buyer, Invoice, LedgerEntry
from payinvoice.domain.money import from_minor
from payinvoice.domain.status import EXPOSED, amount_due


@dataclass(frozen=True)
class Difference:
    """One figure the ledger disagrees with; amounts in minor units."""

    subject: str  # "invoice" | "buyer"
    id: str
    field: str  # "amount_paid" | "charged" | "amount_due" | "credited_to_balance" | "exposure"
    recorded: int
    from_ledger: int
    currency: str


# Invoices read per round trip: the check streams them, however many a merchant has.
CHUNK = 500


def _ledger_sum(kinds: list[str]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((LedgerEntry.kind.in_(kinds), LedgerEntry.amount), else_=0)), 0)


async def ledger_differences(session: AsyncSession, merchant_id: str) -> list[Difference]:
    """Every difference between the ledger and the read model of one merchant; [] when they agree.

    The invoices are streamed in chunks of `CHUNK` beside their ledger sums (one query, an outer
    join on the ledger grouped by invoice), so the check holds one chunk at a time, not the book."""
    ledger = (
        select(
            LedgerEntry.invoice_id.label("invoice_id"),
            _ledger_sum([str(k) for k in PAID_KINDS]).label("paid"),
            _ledger_sum([str(k) for k in CHARGE_KINDS]).label("charges"),
            _ledger_sum([str(LedgerKind.TO_BALANCE)]).label("to_balance"),
        )
        .where(LedgerEntry.merchant_id == merchant_id, LedgerEntry.invoice_id.is_not(None))
        .group_by(LedgerEntry.invoice_id)
        .subquery()
    )
    differences: list[Difference] = []
    exposure: dict[str, int] = defaultdict(int)
    rows = await session.stream(
        select(Invoice, ledger.c.paid, ledger.c.charges, ledger.c.to_balance)
        .outerjoin(ledger, ledger.c.invoice_id == Invoice.id)
        .where(Invoice.merchant_id == merchant_id)
        .order_by(Invoice.created_at, Invoice.id)
        .execution_options(yield_per=CHUNK)
    )
    async for row, paid, charges, to_balance in rows:
        view = from_document(row.document)
        paid, charges, to_balance = int(paid or 0), int(charges or 0), int(to_balance or 0)
        due = amount_due(row.total + charges, paid)
        compared = (
            ("amount_paid", view.amount_paid, paid),
            ("charged", view.charged(), row.total + charges),
            ("amount_due", row.amount_due, due),
            ("credited_to_balance", view.to_balance, to_balance),
        )
        for field, recorded, from_ledger in compared:
            if recorded != from_ledger:
                differences.append(Difference("invoice", row.id, field, recorded, from_ledger, row.currency))
        if row.status in EXPOSED:
            exposure[row.buyer_id] += due
    buyers = await session.stream_scalars(
        select(Buyer)
        .where(Buyer.merchant_id == merchant_id)
        .order_by(Buyer.id)
        .execution_options(yield_per=CHUNK)
    )
    async for buyer in buyers:
        if buyer.exposure != exposure[buyer.id]:
            differences.append(
                Difference("buyer", buyer.id, "exposure", buyer.exposure, exposure[buyer.id], buyer.currency)
            )
    return differences


async def ledger_check(session: AsyncSession, merchant_id: str) -> LedgerCheckOut:
    differences = await ledger_differences(session, merchant_id)
    return LedgerCheckOut(
        consistent=not differences,
        differences=[
            LedgerDifferenceOut(
                subject=d.subject, id=d.id, field=d.field, currency=d.currency,  # type: ignore[arg-type]
                recorded=from_minor(d.recorded, d.currency),
                from_ledger=from_minor(d.from_ledger, d.currency),
            )
            for d in differences
        ],
    )
