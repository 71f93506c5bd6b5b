"""Issuing activities: gapless invoice numbers and the invoice read model."""

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute
from temporalio import activity

from payinvoice.contracts import (
    AssignNumberInput,
    CreditNoteNumberInput,
    InvoiceNumber,
    SaveInvoiceInput,
    to_document,
)
from payinvoice.db import models
from payinvoice.db.ledger import record_movements
from payinvoice.db.outbox import WebhookOutbox
from payinvoice.db.session import dialect_insert
from payinvoice.domain.reference import credit_note_number, creditor_reference, invoice_number
from payinvoice.views import invoice_out


def _date(iso: str | None) -> date | None:
    return date.fromisoformat(iso) if iso else None


async def _next(session: AsyncSession, merchant_id: str, counter: InstrumentedAttribute[int]) -> int:
    """Count the merchant's `counter` up by one, in the caller's transaction: a conditional
    UPDATE, so two racing takers never get the same number."""
    sequence = await session.scalar(
        update(models.Merchant)
        .where(models.Merchant.id == merchant_id)
        .values({counter: counter + 1})
        .returning(counter)
    )
    if sequence is None:
        raise ValueError(f"merchant {merchant_id} does not exist")
    return sequence


async def numbered(session: AsyncSession, invoice_id: str) -> InvoiceNumber | None:
    """The number the invoice already has, if any."""
    sequence = await session.scalar(
        select(models.InvoiceNumber.sequence).where(models.InvoiceNumber.invoice_id == invoice_id)
    )
    return None if sequence is None else _invoice_number(sequence)


async def new_invoice_number(session: AsyncSession, invoice_id: str, merchant_id: str) -> InvoiceNumber:
    """The merchant's next number for an invoice that has none, in the caller's transaction: it
    exists only if that transaction commits, so the sequence has no holes. The merchant's bank
    details are frozen on the invoice in the same transaction: a later change of them applies to
    the invoices issued after it, never to one a buyer already holds."""
    sequence = await _next(session, merchant_id, models.Merchant.last_invoice_number)
    session.add(models.InvoiceNumber(invoice_id=invoice_id, merchant_id=merchant_id, sequence=sequence))
    merchant = (await session.execute(
        select(models.Merchant.iban, models.Merchant.bic, models.Merchant.legal_name, models.Merchant.name)
        .where(models.Merchant.id == merchant_id)
    )).one()
    session.add(models.InvoiceBankDetails(
        invoice_id=invoice_id, iban=merchant.iban, bic=merchant.bic,
        account_holder=merchant.legal_name or merchant.name,
    ))  # fmt: skip
    return _invoice_number(sequence)


def _invoice_number(sequence: int) -> InvoiceNumber:
    number = invoice_number(sequence)
    return InvoiceNumber(number=number, payment_reference=creditor_reference(number))


class IssuingActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], webhooks: WebhookOutbox | None = None
    ) -> None:
        self._sessions = sessions
        self._webhooks = webhooks

    @activity.defn
    async def assign_invoice_number(self, request: AssignNumberInput) -> InvoiceNumber:
        """The merchant's next number, taken in the same transaction that records it: no holes,
        and a retry gets the number it already has."""
        async with self._sessions.begin() as session:
            taken = await numbered(session, request.invoice_id)
            return taken or await new_invoice_number(session, request.invoice_id, request.merchant_id)

    @activity.defn
    async def assign_credit_note_number(self, request: CreditNoteNumberInput) -> str:
        """The merchant's next credit note number, gapless and kept for a retry, as invoice numbers."""
        async with self._sessions.begin() as session:
            key = (request.invoice_id, request.credit_note_id)
            taken = await session.get(models.CreditNoteNumber, key)
            if taken is not None:
                return credit_note_number(taken.sequence)
            sequence = await _next(session, request.merchant_id, models.Merchant.last_credit_note_number)
            session.add(
                models.CreditNoteNumber(
                    invoice_id=request.invoice_id,
                    credit_note_id=request.credit_note_id,
                    merchant_id=request.merchant_id,
                    sequence=sequence,
                )
            )
        return credit_note_number(sequence)

    @activity.defn
    async def save_invoice(self, request: SaveInvoiceInput) -> None:
        """Upsert the invoice's snapshot; a snapshot older than the stored one is ignored.

        The movements of money it reflects go into the ledger, and the webhook events the
        workflow reports with it into the outbox, in the same transaction; the events then go
        to the delivery workflows."""
        view = request.invoice
        changing: dict[str, Any] = {
            "status": view.status,
            "number": view.number,
            "total": view.total,
            "amount_due": view.amount_due(),
            "due_at": view.due_at,
            "issue_date": _date(view.issue_date),
            "due_date": _date(view.due_date),
            "final_notice_sent": view.final_notice_sent,
            "suspends_buyer": view.suspends_buyer,
            "document": to_document(view),
            "version": view.version,
            "updated_at": models.utcnow(),
        }
        async with self._sessions.begin() as session:
            insert = dialect_insert(session, models.Invoice).values(
                id=view.invoice_id,
                merchant_id=view.merchant_id,
                buyer_id=view.buyer_id,
                order_id=view.order_id,
                currency=view.currency,
                created_at=view.created_at,
                hosted_token=view.hosted_token,
                **changing,
            )
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[models.Invoice.id],
                    set_=changing,
                    # The version as a value: `insert.excluded` builds a proxy of every
                    # column of the table on each call (3% of the worker's CPU under load).
                    where=models.Invoice.version < view.version,
                )
            )
            await record_movements(session, view, request.movements)
            outgoing = []
            if (webhooks := self._webhooks) is not None:

                async def invoice_json() -> dict[str, Any]:
                    return invoice_out(view, webhooks.public_url).model_dump(mode="json")

                outgoing = await self._webhooks.record(
                    session,
                    merchant_id=view.merchant_id,
                    subject_id=view.invoice_id,
                    cause=f"invoice:{view.invoice_id}:{view.version}",
                    types=request.events,
                    data=invoice_json,
                )
        if self._webhooks is not None and outgoing:
            await self._webhooks.dispatch(outgoing, request.day_seconds, activity.info().task_queue)
