"""The ledger's one writer: movements of money recorded in the transaction of the invoice
snapshot that reflects them (see IssuingActivities.save_invoice). Insert-only and keyed by
(invoice, kind, source id), so a retried activity inserts nothing twice."""

from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts import InvoiceView, Movement
from payinvoice.db.models import LedgerEntry
from payinvoice.db.session import dialect_insert


async def record_movements(session: AsyncSession, view: InvoiceView, movements: list[Movement]) -> None:
    for movement in movements:
        await session.execute(
            dialect_insert(session, LedgerEntry)
            .values(
                merchant_id=view.merchant_id, buyer_id=view.buyer_id, invoice_id=view.invoice_id,
                kind=movement.kind, amount=movement.amount, currency=view.currency,
                source=movement.source, source_id=movement.source_id, occurred_at=movement.at,
            )
            .on_conflict_do_nothing()
        )
