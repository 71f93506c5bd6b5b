"""Invoices as the API sees them: checkout through the workflow, reads from the read model."""

import asyncio
import base64
import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowQueryFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError, not_found
from api.schemas import InvoiceCreate
from api.views import invoice_out as invoice_out  # re-exported for the routes
from payinvoice.contracts import (
    CheckoutRequest,
    InvoiceInput,
    InvoiceView,
    from_document,
    invoice_id_for,
    invoice_workflow_id,
    new_invoice_view,
)
from payinvoice.db.models import Buyer, CreditCheckSettings, Invoice, Merchant
from payinvoice.domain.discount import EarlyPaymentDiscount, parse_discount
from payinvoice.domain.late_interest import LateInterest
from payinvoice.domain.lines import Line, parse_line
from payinvoice.domain.money import exponent, from_minor
from payinvoice.domain.policy import CreditPolicy
from payinvoice.domain.reference import invoice_number_from_reference
from payinvoice.domain.schedule import ReminderStage
from payinvoice.domain.status import FINAL, InvoiceStatus
from payinvoice.late_charges import as_of
from payinvoice.settings import Settings
from workflows.invoice import InvoiceWorkflow

log = logging.getLogger(__name__)


def checked_lines(body: InvoiceCreate) -> list[Line]:
    """The checkout's currency and lines, validated: bad input raises, even for a repeated order."""
    exponent(body.currency)
    return [
        parse_line(line.description, line.quantity, line.unit_price, line.tax_rate, body.currency, i)
        for i, line in enumerate(body.lines)
    ]


async def external_check_configured(session: AsyncSession, merchant: Merchant) -> bool:
    """Whether the merchant has an external credit check: frozen into the invoice, so that the
    decision for a merchant without one does not spend a local activity finding that out."""
    return await session.get(CreditCheckSettings, merchant.id) is not None


def checkout_input(
    body: InvoiceCreate,
    lines: list[Line],
    merchant: Merchant,
    buyer: Buyer,
    policy: CreditPolicy,
    settings: Settings,
    ladder: Sequence[ReminderStage],
    buyer_balance: int = 0,
    external_check: bool = True,
) -> InvoiceInput:
    """The workflow's input from the checkout body and its `checked_lines`; bad input raises before
    anything runs. The policy, ladder, late interest and early-payment discount in force now are
    frozen into the invoice; a buyer with a credit balance has it applied at issue."""
    terms = body.payment_terms_days if body.payment_terms_days is not None else buyer.payment_terms_days
    invoice = InvoiceInput(
        invoice_id=invoice_id_for(merchant.id, body.order_id),
        merchant_id=merchant.id,
        buyer_id=buyer.id,
        order_id=body.order_id,
        currency=body.currency,
        lines=lines,
        payment_terms_days=terms,
        created_at=datetime.now(UTC),
        request_id=str(uuid.uuid4()),
        purchase_order=body.purchase_order,
        ladder=list(ladder),
        day_seconds=settings.day_seconds,
        policy=policy,
        external_check=external_check,
        refund_window_days=settings.refund_window_days,
        hosted_token=secrets.token_urlsafe(24),  # 192 random bits: the hosted page's only key
        late_interest=LateInterest(**merchant.late_interest) if merchant.late_interest else None,
        early_payment_discount=early_payment_discount(body, buyer, terms),
        apply_balance=buyer_balance > 0,
    )
    new_invoice_view(invoice)  # prices the lines: refuses totals out of range
    return invoice


def early_payment_discount(body: InvoiceCreate, buyer: Buyer, terms: int) -> EarlyPaymentDiscount | None:
    """The invoice's own discount, else the buyer's; checked against the invoice's terms."""
    if body.early_payment_discount is not None:
        offer = body.early_payment_discount
        return parse_discount(offer.percent, offer.days, terms)
    if buyer.early_payment_discount:
        offer = EarlyPaymentDiscount(**buyer.early_payment_discount)
        return parse_discount(offer.percent, offer.days, terms) if offer.days < terms else None
    return None


# A read must not hang on a workflow whose worker is away: the read model answers instead.
QUERY_TIMEOUT = timedelta(seconds=2)

# Decisions still running after their checkout answered 202; held so they are not collected.
_pending_decisions: set[asyncio.Future[Any]] = set()


def invoice_memo(invoice: InvoiceInput, merchant: Merchant, buyer: Buyer) -> dict[str, Any]:
    """The human summary the Temporal UI shows beside the workflow. It names the buyer, so it
    lives in the memo, which the payload codec encrypts, never in ids or search attributes."""
    total = new_invoice_view(invoice).total
    return {
        "summary": {
            "merchant": merchant.name,
            "buyer": buyer.name,
            "buyer_email": buyer.email,
            "order_id": invoice.order_id,
            "total": f"{from_minor(total, invoice.currency)} {invoice.currency}",
        }
    }


async def checkout(
    client: Client,
    session: AsyncSession,
    invoice: InvoiceInput,
    settings: Settings,
    memo: dict[str, Any] | None = None,
) -> tuple[int, InvoiceView]:
    """Start the invoice's workflow (or join the one already running for this order) and wait
    for its credit decision: 201 first time, 200 for a repeat, 202 if the decision is slow."""
    start = WithStartWorkflowOperation(
        InvoiceWorkflow.run,
        invoice,
        id=invoice_workflow_id(invoice.invoice_id),
        task_queue=settings.temporal_task_queue,
        memo=memo,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A finished invoice is never started again: its order is answered from the read model.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    decision = asyncio.ensure_future(
        client.execute_update_with_start_workflow(
            InvoiceWorkflow.checkout,
            CheckoutRequest(request_id=invoice.request_id),
            start_workflow_operation=start,
        )
    )
    try:
        # Shielded: a slow decision answers 202, but the start request itself always completes.
        result = await asyncio.wait_for(asyncio.shield(decision), settings.decision_timeout_seconds)
    except TimeoutError:
        _pending_decisions.add(decision)
        decision.add_done_callback(partial(_decision_done, invoice.invoice_id))
        return 202, new_invoice_view(invoice)
    except WorkflowAlreadyStartedError:
        row = await session.get(Invoice, invoice.invoice_id)
        if row is None:
            raise ApiError(409, "order_in_progress", "this order is being processed") from None
        return 200, from_document(row.document)
    except RPCError:
        # Under load a retried start can find the workflow it started with its first task timed
        # out, and Temporal refuses the update until that task recovers: the workflow exists
        # and decides on its own, which is what 202 says.
        started = await _as_started(client, invoice.invoice_id)
        if started is None:
            raise
        return 202, started
    if not result.created:
        return 200, result.invoice
    waiting = result.invoice.status == InvoiceStatus.PENDING_REVIEW
    return (202 if waiting else 201), result.invoice


def _decision_done(invoice_id: str, decision: asyncio.Future[Any]) -> None:
    """A decision the checkout stopped waiting for. Its workflow decides whether or not this
    wait ends well (a retried start can find its first workflow task failed, and the update is
    then refused), so a failure here is worth a line, not an alarm."""
    _pending_decisions.discard(decision)
    if not decision.cancelled() and decision.exception() is not None:
        log.info("checkout %s stopped waiting for its decision: %s", invoice_id, decision.exception())


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
        view = await _as_started(client, invoice_id)
    if view is None or view.merchant_id != merchant.id:
        raise not_found("invoice")
    return view


async def _as_started(client: Client, invoice_id: str) -> InvoiceView | None:
    """A checkout that answered 202 has no row until its decision is saved. Its workflow's
    start input, read from the server, is the invoice as that answer showed it (pending): a
    query would need the worker, which a burst of checkouts keeps busy past any timeout."""
    handle = client.get_workflow_handle(invoice_workflow_id(invoice_id))
    try:
        async for event in handle.fetch_history_events(page_size=1):
            started = event.workflow_execution_started_event_attributes
            [invoice] = await client.data_converter.decode(started.input.payloads, [InvoiceInput])
            return new_invoice_view(invoice)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise  # the engine does not answer: 503, never a 404 for an invoice that exists
    return None


async def _query(client: Client, invoice_id: str) -> InvoiceView | None:
    try:
        handle = client.get_workflow_handle(invoice_workflow_id(invoice_id))
        return await handle.query(InvoiceWorkflow.get_invoice, rpc_timeout=QUERY_TIMEOUT)
    except (RPCError, WorkflowQueryFailedError):
        return None


async def live_invoice(client: Client, view: InvoiceView) -> InvoiceView:
    """The workflow's own view of an invoice still in its lifecycle (the stored one otherwise),
    with late-payment interest up to now."""
    if view.status not in FINAL and view.status != InvoiceStatus.PENDING:
        # No worker or server reachable: the read model is at most a step behind. (A pending
        # checkout is polled while its worker is busiest deciding; it saves its decision.)
        view = await _query(client, view.invoice_id) or view
    return as_of(view, datetime.now(UTC))


def encode_cursor(created_at: datetime, invoice_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{invoice_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, invoice_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created), invoice_id
    except ValueError:
        raise ApiError(422, "invalid_cursor", "cursor is not one this API returned") from None


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


async def update_invoice(
    client: Client, invoice_id: str, update: Any, argument: Any, update_id: str | None = None
) -> InvoiceView | None:
    """Send an Update to the invoice's workflow and return the invoice it answers; None when the
    workflow has finished (its invoice is final in the read model)."""
    handle = client.get_workflow_handle(invoice_workflow_id(invoice_id))
    try:
        return await handle.execute_update(update, argument, id=update_id)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        return None
