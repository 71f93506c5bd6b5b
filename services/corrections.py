"""Corrections of an issued invoice after the fact: refunds of a payment and marking it paid
out of band. Each is checked here first (nothing reaches the workflow on a refusal), then applied
by the workflow's Update, whose validator checks again against the live state."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from payinvoice.balances import balance_of
from payinvoice.contracts import InvoiceView, MarkPaidInput, RefundInput
from payinvoice.contracts.schemas import RefundIn
from payinvoice.db.models import Merchant
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.money import to_minor
from payinvoice.domain.status import InvoiceStatus
from payinvoice.rules import (
    Action,
    allows,
    check_mark_paid,
    check_refund_request,
    check_refundable,
    refund_recorded,
    refuse,
)
from services.invoices import live_invoice, stored_invoice
from services.temporal import refund_update_id, update_invoice
from workflows.invoice import InvoiceWorkflow

_REFUND_IDS = uuid.UUID("8f0e7c1a-51d2-4b6e-a3c4-0d9b2e7f6a15")


def refund_input(view: InvoiceView, body: RefundIn) -> RefundInput:
    """The refund, checked against the invoice's payments; a refund id already recorded passes."""
    amount = to_minor(body.amount, view.currency, "amount")
    # Without an id of the caller's, a retry of the same request is the same refund.
    refund_id = body.refund_id or "rf_" + uuid.uuid5(
        _REFUND_IDS, f"{view.invoice_id}|{body.payment_id}|{amount}|{body.reason}"
    ).hex
    refund = RefundInput(refund_id=refund_id, payment_id=body.payment_id, amount=amount, reason=body.reason)
    check_refund_request(view, refund)
    return refund


async def apply_refund(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, body: RefundIn
) -> InvoiceView:
    """Give back (part of) a payment: checked here, applied by the workflow's Update. The same
    refund id again counts once. Used by the refunds endpoint and by Stripe's charge.refunded."""
    view = await stored_invoice(session, merchant, invoice_id)
    refund = refund_input(view, body)
    if refund_recorded(view, refund.refund_id):
        # Asked again: the invoice as it stands now, not the update's first answer (Temporal
        # answers an update id it has seen with that, perhaps long out of date).
        return await live_invoice(client, view)
    await _check_balance_covers(session, view, refund)
    if allows(view, Action.REFUND):
        update_id = refund_update_id(refund.refund_id)  # a retry racing the first joins it
        refunded = await update_invoice(client, invoice_id, InvoiceWorkflow.refund, refund, update_id)
        if refunded is not None:
            return refunded
        view = await stored_invoice(session, merchant, invoice_id)  # its refund window closed
    if refund_recorded(view, refund.refund_id):
        return view
    refuse(check_refundable, view, refunds_closed=view.status == InvoiceStatus.PAID)


async def _check_balance_covers(session: AsyncSession, view: InvoiceView, refund: RefundInput) -> None:
    """Refunding an overpaid part takes it back out of the buyer's balance: refused (409) when
    the balance has already been spent on other invoices."""
    if refund_recorded(view, refund.refund_id):
        return
    overpaid_after = max(view.amount_paid - refund.amount - view.charged(), 0)
    taken_back = view.to_balance - overpaid_after
    if taken_back > 0 and taken_back > await balance_of(session, view.buyer_id):
        message = "the overpayment went to the buyer's balance, and that was spent meanwhile"
        raise Refusal(ErrorType.BALANCE_SPENT, message)




async def mark_paid(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, reason: str
) -> InvoiceView:
    """Paid out of band (cheque, cash, settled elsewhere): what is due is recorded as paid, with
    the reason; only an open, overdue or uncollectible invoice."""
    view = await stored_invoice(session, merchant, invoice_id)
    if allows(view, Action.MARK_PAID):
        marked = await update_invoice(client, invoice_id, InvoiceWorkflow.mark_paid, MarkPaidInput(reason))
        if marked is not None:
            return marked
    refuse(check_mark_paid, view)  # not payable (any more)
