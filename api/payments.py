"""Payments as the API applies them: one path for the merchant's payment call, processor
settlements and bank statements, so every source is validated and deduplicated alike."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError, WorkflowUpdateStage
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.invoicing import live_invoice, stored_invoice
from payinvoice.contracts import ErrorType, InvoiceView, RecordPaymentInput, invoice_workflow_id
from payinvoice.db.models import Merchant
from payinvoice.domain.money import MoneyError, exponent, to_minor
from payinvoice.domain.status import FINAL
from workflows.invoice import InvoiceWorkflow


def payment_input(
    view: InvoiceView, *, payment_id: str, amount: Decimal | str, currency: str,
    paid_at: datetime | None, method: str,
) -> RecordPaymentInput:
    """Validate a reported payment against its invoice; bad input raises a 422 before anything runs."""
    exponent(currency)
    if currency != view.currency:
        raise ApiError(422, ErrorType.CURRENCY_MISMATCH, f"payment in {currency}, invoice in {view.currency}")
    minor = to_minor(amount, currency, "amount")
    if minor <= 0:
        raise MoneyError(ErrorType.INVALID_AMOUNT, "amount must be greater than 0")
    if paid_at is not None and paid_at.tzinfo is None:
        raise ApiError(422, "invalid_request", "paid_at must carry a timezone")
    return RecordPaymentInput(
        payment_id=payment_id, amount=minor, currency=currency,
        paid_at=paid_at.astimezone(UTC) if paid_at else None, method=method,
    )


@dataclass(frozen=True)
class Applied:
    """The invoice after the payment; `now` is False when no worker took it in time and it was
    accepted durably instead (the invoice as it stands; the payment follows when a worker runs)."""

    view: InvoiceView
    now: bool = True

    @property
    def status_code(self) -> int:
        """What the API answers: 200 applied, 202 accepted durably."""
        return 200 if self.now else 202


async def apply_payment(
    client: Client, session: AsyncSession, merchant: Merchant, view: InvoiceView,
    payment: RecordPaymentInput, accept_timeout: float = 5.0,
) -> Applied:
    """Hand the payment to the invoice's workflow. The update id is the payment id, so a payment
    delivered twice at once is applied once; the same payment on a finished invoice answers the
    invoice as it stands. If no worker accepts the update within `accept_timeout` seconds, the
    payment goes as a signal, which Temporal keeps durably until a worker applies it (the
    workflow ignores whichever of the two comes second)."""
    if any(p.payment_id == payment.payment_id for p in view.payments + view.unapplied_payments):
        # Reported again: the invoice as it stands now. (Temporal answers an update id it has
        # seen with that update's first result: the invoice as it was then, perhaps long ago.)
        return Applied(await live_invoice(client, view))
    if view.status not in FINAL:
        handle = client.get_workflow_handle(invoice_workflow_id(view.invoice_id))
        try:
            update = await handle.start_update(
                InvoiceWorkflow.record_payment, payment, id=f"payment:{payment.payment_id}",
                wait_for_stage=WorkflowUpdateStage.ACCEPTED, rpc_timeout=timedelta(seconds=accept_timeout),
            )
            # Accepted means recorded in the history, so durable. A worker that dies before the
            # handler finishes leaves it waiting for its activities to time out (a minute): the
            # answer does not wait that long, it is the 202 of a payment accepted durably.
            try:
                return Applied(await asyncio.wait_for(update.result(), accept_timeout))
            except TimeoutError:
                return Applied(view, now=False)
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            await handle.signal(InvoiceWorkflow.payment_reported, payment)
            return Applied(view, now=False)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            view = await stored_invoice(session, merchant, view.invoice_id)  # it just finished
    if any(p.payment_id == payment.payment_id for p in view.payments):
        return Applied(view)
    raise ApiError(409, ErrorType.INVOICE_NOT_PAYABLE, f"invoice is {view.status}: payments are not accepted")
