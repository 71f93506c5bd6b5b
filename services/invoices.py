"""Invoices: read from the read model (or from the workflow while it runs), voided, reviewed."""

import logging
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from payinvoice.contracts import (
    InvoiceView,
    ReviewInput,
    VoidInput,
    from_document,
)
from payinvoice.db.models import Invoice, Merchant
from payinvoice.domain.errors import ErrorType, not_found
from payinvoice.domain.reference import invoice_number_from_reference
from payinvoice.domain.status import FINAL, InvoiceStatus
from payinvoice.late_charges import as_of
from payinvoice.rules import Action, allows, check_review, check_void, refuse
from services.pages import decode_cursor, encode_cursor
from services.temporal import query_invoice, started_invoice, update_invoice
from workflows.invoice import InvoiceWorkflow

log = logging.getLogger(__name__)


async def find_by_order(session: AsyncSession, merchant: Merchant, order_id: str) -> InvoiceView | None:
    row = await session.scalar(
        select(Invoice).where(Invoice.merchant_id == merchant.id, Invoice.order_id == order_id)
    )
    return from_document(row.document) if row else None


async def find_by_reference(session: AsyncSession, merchant: Merchant, reference: str) -> InvoiceView | None:
    """The merchant's invoice whose payment reference (RF…) this is."""
    number = invoice_number_from_reference(reference)
    if number is None:
        return None
    row = await session.scalar(
        select(Invoice).where(Invoice.merchant_id == merchant.id, Invoice.number == number)
    )
    return from_document(row.document) if row else None


async def stored_invoice(
    session: AsyncSession, merchant: Merchant, invoice_id: str, client: Client | None = None
) -> InvoiceView:
    """The merchant's invoice from the read model (or, its decision not saved yet, as its
    checkout started it); another merchant's invoice is reported missing."""
    row = await session.get(Invoice, invoice_id)
    view = from_document(row.document) if row else None
    if view is None and client is not None:
        await session.close()  # hold no pooled connection while Temporal answers
        view = await started_invoice(client, invoice_id)
    if view is None or view.merchant_id != merchant.id:
        raise not_found(ErrorType.INVOICE_NOT_FOUND)
    return view


async def live_invoice(client: Client, view: InvoiceView) -> InvoiceView:
    """The workflow's own view of an invoice still in its lifecycle (the stored one otherwise),
    with late-payment interest up to now."""
    if view.status not in FINAL and view.status != InvoiceStatus.PENDING:
        # No worker or server reachable: the read model is at most a step behind. (A pending
        # checkout is polled while its worker is busiest deciding; it saves its decision.)
        view = await query_invoice(client, view.invoice_id) or view
    return as_of(view, datetime.now(UTC))


async def list_invoices(
    session: AsyncSession,
    merchant: Merchant,
    *,
    status: str | None,
    buyer_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[InvoiceView], str | None]:
    query = select(Invoice).where(Invoice.merchant_id == merchant.id)
    if status:
        query = query.where(Invoice.status == status)
    if buyer_id:
        query = query.where(Invoice.buyer_id == buyer_id)
    if cursor:
        created, last_id = decode_cursor(cursor)
        query = query.where(
            or_(Invoice.created_at < created, and_(Invoice.created_at == created, Invoice.id < last_id))
        )
    rows = list(
        await session.scalars(query.order_by(Invoice.created_at.desc(), Invoice.id.desc()).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return [from_document(row.document) for row in rows], next_cursor


async def void_invoice(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, reason: str
) -> InvoiceView:
    """Cancel an invoice nothing was paid on; its credit is released."""
    view = await stored_invoice(session, merchant, invoice_id)
    if view.status not in FINAL:
        voided = await update_invoice(client, invoice_id, InvoiceWorkflow.void, VoidInput(reason))
        if voided is not None:
            return voided
        view = await stored_invoice(session, merchant, invoice_id)  # it finished meanwhile
    refuse(check_void, view)  # a final invoice


async def review_invoice(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, review: ReviewInput
) -> InvoiceView:
    """Approve or decline an order waiting for review (once; only while it waits)."""
    view = await stored_invoice(session, merchant, invoice_id, client)
    if allows(view, Action.REVIEW):
        reviewed = await update_invoice(client, invoice_id, InvoiceWorkflow.review, review)
        if reviewed is not None:
            return reviewed
    refuse(check_review, view)  # no longer waiting
