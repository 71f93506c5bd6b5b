"""The ledger check: every invoice's `amount_paid` and `amount_due` and every buyer's exposure,
recomputed from the ledger (`ledger_entries`) and the invoices' totals, against what the read
model and the credit line hold. One function for `GET /v1/ledger/check` and the CLI."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas import LedgerCheckOut, LedgerDifferenceOut
from payinvoice.contracts import PAID_KINDS, from_document
from payinvoice.db.models import Buyer, Invoice, LedgerEntry
from payinvoice.domain.money import from_minor
from payinvoice.domain.status import EXPOSED, amount_due


@dataclass(frozen=True)
class Difference:
    """One figure the ledger disagrees with; amounts in minor units."""

    subject: str  # "invoice" | "buyer"
    id: str
    field: str  # "amount_paid" | "amount_due" | "exposure"
    recorded: int
    from_ledger: int
    currency: str


async def _paid_by_invoice(session: AsyncSession, merchant_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.merchant_id == merchant_id, LedgerEntry.kind.in_([str(k) for k in PAID_KINDS]))
        .group_by(LedgerEntry.invoice_id)
    )
    return {invoice_id: int(total) for invoice_id, total in rows}


async def ledger_differences(session: AsyncSession, merchant_id: str) -> list[Difference]:
    """Every difference between the ledger and the read model of one merchant; [] when they agree."""
    paid = await _paid_by_invoice(session, merchant_id)
    differences: list[Difference] = []
    exposure: dict[str, int] = defaultdict(int)
    invoices = await session.scalars(
        select(Invoice).where(Invoice.merchant_id == merchant_id).order_by(Invoice.created_at, Invoice.id)
    )
    for row in invoices:
        view = from_document(row.document)
        from_ledger = paid.get(row.id, 0)
        due = amount_due(row.total, from_ledger)
        if view.amount_paid != from_ledger:
            differences.append(
                Difference("invoice", row.id, "amount_paid", view.amount_paid, from_ledger, row.currency)
            )
        if row.amount_due != due:
            differences.append(Difference("invoice", row.id, "amount_due", row.amount_due, due, row.currency))
        if row.status in EXPOSED:
            exposure[row.buyer_id] += due
    buyers = await session.scalars(select(Buyer).where(Buyer.merchant_id == merchant_id).order_by(Buyer.id))
    for buyer in buyers:
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
