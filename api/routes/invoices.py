"""Invoices: the checkout call, reads, and the messages that change an open invoice."""

import time
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from api.dunning import ladder_in_force
from api.errors import ApiError
from api.invoicing import (
    checked_lines,
    checkout,
    checkout_input,
    external_check_configured,
    find_by_order,
    invoice_memo,
    invoice_out,
    list_invoices,
    live_invoice,
    stored_invoice,
    update_invoice,
)
from api.payments import apply_payment, payment_input
from api.policies import policy_in_force
from api.routes.buyers import get_own_buyer
from api.schemas import InvoiceCreate, InvoiceList, InvoiceOut, PaymentIn, ReviewIn, VoidIn
from payinvoice.balances import balance_of
from payinvoice.contracts import (
    ErrorType,
    InvoiceView,
    ReviewInput,
    VoidInput,
    invoice_workflow_id,
)
from payinvoice.domain.status import FINAL, InvoiceStatus
from payinvoice.observability import record_decision
from workflows.invoice import InvoiceWorkflow

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceOut,
    responses={
        200: {"model": InvoiceOut, "description": "The same order again: the same invoice."},
        202: {"model": InvoiceOut, "description": "Decision still pending, or waiting for review."},
    },
)
async def create_invoice(
    body: InvoiceCreate, response: Response, session: SessionDep, merchant: CurrentMerchant,
    client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """The checkout: answers with the credit decision and, if approved, the issued invoice."""
    lines = checked_lines(body)  # a repeat of an order with a body that is not valid is refused too
    existing = await find_by_order(session, merchant, body.order_id)
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        return invoice_out(existing, settings.public_url)
    buyer = await get_own_buyer(session, merchant, body.buyer_id)
    policy = await policy_in_force(session, merchant)
    ladder = await ladder_in_force(session, merchant, buyer)
    balance = await balance_of(session, buyer.id)
    external = await external_check_configured(session, merchant)
    invoice = checkout_input(
        body, lines, merchant, buyer, policy, settings, ladder, balance, external_check=external
    )
    await session.close()  # hold no connection while the decision is made
    started = time.perf_counter()
    memo = invoice_memo(invoice, merchant, buyer)
    response.status_code, view = await checkout(client, session, invoice, settings, memo)
    if response.status_code != status.HTTP_200_OK:  # a repeat joined a decision counted already
        record_decision(
            view.status, time.perf_counter() - started,
            invoice_id=view.invoice_id, workflow_id=invoice_workflow_id(view.invoice_id),
        )
    return invoice_out(view, settings.public_url)


@router.get("", response_model=InvoiceList)
async def get_invoices(
    session: SessionDep,
    merchant: CurrentMerchant,
    settings: SettingsDep,
    status: Annotated[InvoiceStatus | None, Query()] = None,
    buyer_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> InvoiceList:
    views, next_cursor = await list_invoices(
        session, merchant, status=status, buyer_id=buyer_id, limit=limit, cursor=cursor
    )
    return InvoiceList(data=[invoice_out(v, settings.public_url) for v in views], next_cursor=next_cursor)


@router.get("/{invoice_id}", response_model=InvoiceOut)
async def get_invoice(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> InvoiceOut:
    stored = await stored_invoice(session, merchant, invoice_id, client)
    await session.close()  # polled while decisions run: hold no pooled connection during the query
    return invoice_out(await live_invoice(client, stored), settings.public_url)


@router.post(
    "/{invoice_id}/payments",
    response_model=InvoiceOut,
    responses={202: {"model": InvoiceOut, "description": "Accepted durably; applied when a worker runs."}},
)
async def record_payment(
    invoice_id: str, body: PaymentIn, response: Response, session: SessionDep, merchant: CurrentMerchant,
    client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """A settlement reported by a payment processor; the same payment_id twice counts once.
    202: no worker took it in time; it is kept durably and applied when one runs."""
    view = await stored_invoice(session, merchant, invoice_id)
    payment = payment_input(
        view, payment_id=body.payment_id, amount=body.amount, currency=body.currency,
        paid_at=body.paid_at, method=body.method,
    )
    await session.close()  # a burst of payments must not hold the pool while workers answer
    applied = await apply_payment(client, session, merchant, view, payment, settings.message_timeout_seconds)
    response.status_code = applied.status_code
    return invoice_out(applied.view, settings.public_url)


@router.post("/{invoice_id}/void", response_model=InvoiceOut)
async def void_invoice(
    invoice_id: str, body: VoidIn, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> InvoiceOut:
    """Cancel an invoice nothing was paid on; its credit is released."""
    view = await stored_invoice(session, merchant, invoice_id)
    if view.status not in FINAL:
        voided = await update_invoice(client, invoice_id, InvoiceWorkflow.void, VoidInput(body.reason))
        if voided is not None:
            return invoice_out(voided, settings.public_url)
        view = await stored_invoice(session, merchant, invoice_id)  # it finished meanwhile
    raise _not_voidable(view)


@router.post("/{invoice_id}/review", response_model=InvoiceOut)
async def review_invoice(
    invoice_id: str, body: ReviewIn, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> InvoiceOut:
    """Approve or decline an order waiting for review (once; only while it waits)."""
    view = await stored_invoice(session, merchant, invoice_id, client)
    if view.status == InvoiceStatus.PENDING_REVIEW:
        review = ReviewInput(decision=body.decision, note=body.note)
        reviewed = await update_invoice(client, invoice_id, InvoiceWorkflow.review, review)
        if reviewed is not None:
            return invoice_out(reviewed, settings.public_url)
    raise ApiError(409, ErrorType.INVOICE_NOT_IN_REVIEW, f"invoice is {view.status}, not waiting for review")


def _not_voidable(view: InvoiceView) -> ApiError:
    if view.amount_paid > 0:
        return ApiError(409, ErrorType.INVOICE_HAS_PAYMENTS, "invoice has payments and cannot be voided")
    return ApiError(409, ErrorType.INVOICE_NOT_VOIDABLE, f"invoice is {view.status} and cannot be voided")
