"""The ledger check: every invoice's `amount_paid`, `charged` (fees, interest, credit notes,
discount), `amount_due` and overpayment credited to the buyer's balance, and every buyer's exposure,
recomputed from the ledger (`ledger_entries`) and the invoices' totals, against what the read
model and the credit line hold. One function for `GET /v1/ledger/check` and the CLI."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
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


@dataclass
class _FromLedger:
    """One invoice's figures as the ledger has them."""

    paid: int = 0
    charges: int = 0  # fees and interest less credit notes and discount
    to_balance: int = 0


async def _by_invoice(session: AsyncSession, merchant_id: str) -> dict[str, _FromLedger]:
    rows = await session.execute(
        select(LedgerEntry.invoice_id, LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.merchant_id == merchant_id, LedgerEntry.invoice_id.is_not(None))
        .group_by(LedgerEntry.invoice_id, LedgerEntry.kind)
    )
    figures: dict[str, _FromLedger] = defaultdict(_FromLedger)
    for invoice_id, kind, total in rows:
        entry = figures[invoice_id]
        if kind in PAID_KINDS:
            entry.paid += int(total)
        elif kind in CHARGE_KINDS:
            entry.charges += int(total)
        elif kind == LedgerKind.TO_BALANCE:
            entry.to_balance += int(total)
    return figures


async def ledger_differences(session: AsyncSession, merchant_id: str) -> list[Difference]:
    """Every difference between the ledger and the read model of one merchant; [] when they agree."""
    ledger = await _by_invoice(session, merchant_id)
    differences: list[Difference] = []
    exposure: dict[str, int] = defaultdict(int)
    invoices = await session.scalars(
        select(Invoice).where(Invoice.merchant_id == merchant_id).order_by(Invoice.created_at, Invoice.id)
    )
    for row in invoices:
        view = from_document(row.document)
        figures = ledger.get(row.id, _FromLedger())
        due = amount_due(row.total + figures.charges, figures.paid)
        compared = (
            ("amount_paid", view.amount_paid, figures.paid),
            ("charged", view.charged(), row.total + figures.charges),
            ("amount_due", row.amount_due, due),
            ("credited_to_balance", view.to_balance, figures.to_balance),
        )
        for field, recorded, from_ledger in compared:
            if recorded != from_ledger:
                differences.append(Difference("invoice", row.id, field, recorded, from_ledger, row.currency))
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
