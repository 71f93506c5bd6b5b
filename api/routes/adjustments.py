"""Money moves on an issued invoice after the fact: refunds of a payment and marking it paid out
of band. Each is checked here first (nothing reaches the workflow on a 4xx), then applied by the
workflow's Update, whose validator checks again against the live state."""

import uuid

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.invoicing import invoice_out, live_invoice, stored_invoice, update_invoice
from api.schemas import InvoiceOut, MarkPaidIn, RefundIn
from payinvoice.balances import balance_of
from payinvoice.contracts import (
    BALANCE_METHOD,
    ErrorType,
    InvoiceView,
    MarkPaidInput,
    RefundInput,
)
from payinvoice.db.models import Merchant
from payinvoice.domain.money import MoneyError, from_minor, to_minor
from payinvoice.domain.status import PAYABLE, InvoiceStatus
from workflows.invoice import REFUNDABLE, InvoiceWorkflow

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])
_REFUND_IDS = uuid.UUID("8f0e7c1a-51d2-4b6e-a3c4-0d9b2e7f6a15")


def refund_input(view: InvoiceView, body: RefundIn) -> RefundInput:
    """The refund, checked against the invoice; a refund id already recorded passes as it is."""
    amount = to_minor(body.amount, view.currency, "amount")
    if amount <= 0:
        raise MoneyError(ErrorType.INVALID_AMOUNT, "amount must be greater than 0")
    # Without an id of the caller's, a retry of the same request is the same refund.
    refund_id = body.refund_id or "rf_" + uuid.uuid5(
        _REFUND_IDS, f"{view.invoice_id}|{body.payment_id}|{amount}|{body.reason}"
    ).hex
    refund = RefundInput(refund_id=refund_id, payment_id=body.payment_id, amount=amount, reason=body.reason)
    if any(r.refund_id == refund_id for r in view.refunds):
        return refund
    if any(p.payment_id == body.payment_id and p.method == BALANCE_METHOD for p in view.payments):
        message = "the buyer's balance paid this: credit the invoice instead (POST …/credit-notes)"
        raise ApiError(422, ErrorType.INVALID_REQUEST, message)
    left = view.left_to_refund(body.payment_id)
    if left is None:
        raise ApiError(422, ErrorType.PAYMENT_NOT_FOUND, f"invoice has no payment {body.payment_id!r}")
    if amount > left:
        left_text = f"{from_minor(left, view.currency)} {view.currency}"
        message = f"payment {body.payment_id!r} has {left_text} left to refund"
        raise ApiError(422, ErrorType.REFUND_EXCEEDS_PAYMENT, message)
    return refund


async def apply_refund(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, body: RefundIn
) -> InvoiceView:
    """Give back (part of) a payment: checked here, applied by the workflow's Update. The same
    refund id again counts once. Used by the refunds endpoint and by Stripe's charge.refunded."""
    view = await stored_invoice(session, merchant, invoice_id)
    refund = refund_input(view, body)
    if any(r.refund_id == refund.refund_id for r in view.refunds):
        # Asked again: the invoice as it stands now, not the update's first answer (Temporal
        # answers an update id it has seen with that, perhaps long out of date).
        return await live_invoice(client, view)
    await _check_balance_covers(session, view, refund)
    if view.status in REFUNDABLE:
        update_id = f"refund:{refund.refund_id}"  # a retry racing the first joins it
        refunded = await update_invoice(client, invoice_id, InvoiceWorkflow.refund, refund, update_id)
        if refunded is not None:
            return refunded
        view = await stored_invoice(session, merchant, invoice_id)  # its refund window closed
    if any(r.refund_id == refund.refund_id for r in view.refunds):
        return view
    closed = " (refund window closed)" if view.status == InvoiceStatus.PAID else ""
    raise ApiError(409, ErrorType.INVOICE_NOT_REFUNDABLE, f"invoice is {view.status}: no refunds{closed}")


async def _check_balance_covers(session: AsyncSession, view: InvoiceView, refund: RefundInput) -> None:
    """Refunding an overpaid part takes it back out of the buyer's balance: refused (409) when
    the balance has already been spent on other invoices."""
    if any(r.refund_id == refund.refund_id for r in view.refunds):
        return
    overpaid_after = max(view.amount_paid - refund.amount - view.charged(), 0)
    taken_back = view.to_balance - overpaid_after
    if taken_back > 0 and taken_back > await balance_of(session, view.buyer_id):
        message = "the overpayment went to the buyer's balance, and that was spent meanwhile"
        raise ApiError(409, "balance_spent", message)


@router.post("/{invoice_id}/refunds", response_model=InvoiceOut)
async def refund_payment(
    invoice_id: str, body: RefundIn, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> InvoiceOut:
    """Give back (part of) a payment. The amount is due again: a paid invoice reopens, open or
    overdue by date, on its ladder where it stands. The same refund id again counts once."""
    view = await apply_refund(client, session, merchant, invoice_id, body)
    return invoice_out(view, settings.public_url)


@router.post("/{invoice_id}/mark-paid", response_model=InvoiceOut)
async def mark_paid(
    invoice_id: str, body: MarkPaidIn, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> InvoiceOut:
    """Paid out of band (cheque, cash, settled elsewhere): what is due is recorded as paid so,
    with the reason; only an open, overdue or uncollectible invoice."""
    view = await stored_invoice(session, merchant, invoice_id)
    if view.status in PAYABLE:
        request = MarkPaidInput(body.reason)
        marked = await update_invoice(client, invoice_id, InvoiceWorkflow.mark_paid, request)
        if marked is not None:
            return invoice_out(marked, settings.public_url)
    raise ApiError(
        409, ErrorType.INVOICE_NOT_MARKABLE_PAID, f"invoice is {view.status} and cannot be marked paid"
    )
