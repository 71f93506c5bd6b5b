"""The one typed client of the invoice workflows: every update, query and signal the use cases
send goes through here, with its update id built here, and a workflow's refusal comes back as
the same `Refusal` a use case raises."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from payinvoice.contracts import (
    InvoiceInput,
    InvoiceView,
    RecordPaymentInput,
    invoice_workflow_id,
    new_invoice_view,
)
from payinvoice.domain.errors import ErrorType, Refusal
from workflows.invoice import InvoiceWorkflow

# A read must not hang on a workflow whose worker is away: the read model answers instead.
QUERY_TIMEOUT = timedelta(seconds=2)


# Update ids: a retry of the same request joins the first instead of applying twice.
def payment_update_id(payment_id: str) -> str:
    return f"payment:{payment_id}"


def refund_update_id(refund_id: str) -> str:
    return f"refund:{refund_id}"


def credit_note_update_id(credit_note_id: str) -> str:
    return f"credit:{credit_note_id}"


def invoice_handle(client: Client, invoice_id: str) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(invoice_workflow_id(invoice_id))


@contextmanager
def workflow_refusals() -> Iterator[None]:
    """A validator's refusal (`ApplicationError` typed with an `ErrorType`) as a `Refusal`."""
    try:
        yield
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type in ErrorType.__members__.values():
            raise Refusal(ErrorType(cause.type), cause.message) from None
        raise


def _gone(error: RPCError) -> bool:
    return error.status == RPCStatusCode.NOT_FOUND


async def update_invoice(
    client: Client, invoice_id: str, update: Any, argument: Any, update_id: str | None = None
) -> InvoiceView | None:
    """Send an Update to the invoice's workflow and return the invoice it answers; None when the
    workflow has finished (its invoice is final in the read model)."""
    try:
        with workflow_refusals():
            return await invoice_handle(client, invoice_id).execute_update(update, argument, id=update_id)
    except RPCError as error:
        if not _gone(error):
            raise
        return None


async def start_payment(
    client: Client, payment: RecordPaymentInput, invoice_id: str, accept_timeout: float
) -> WorkflowUpdateHandle[InvoiceView]:
    """Hand a payment to the workflow and return once it is accepted (recorded in the history)."""
    with workflow_refusals():
        return await invoice_handle(client, invoice_id).start_update(
            InvoiceWorkflow.record_payment,
            payment,
            id=payment_update_id(payment.payment_id),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            rpc_timeout=timedelta(seconds=accept_timeout),
        )


async def payment_result(update: WorkflowUpdateHandle[InvoiceView]) -> InvoiceView:
    with workflow_refusals():
        return await update.result()


async def report_payment(client: Client, invoice_id: str, payment: RecordPaymentInput) -> None:
    """The payment as a signal, which Temporal keeps durably until a worker applies it."""
    await invoice_handle(client, invoice_id).signal(InvoiceWorkflow.payment_reported, payment)


async def query_invoice(client: Client, invoice_id: str) -> InvoiceView | None:
    """The workflow's own view, or None when no worker or server answers in time."""
    try:
        return await invoice_handle(client, invoice_id).query(
            InvoiceWorkflow.get_invoice, rpc_timeout=QUERY_TIMEOUT
        )
    except (RPCError, WorkflowQueryFailedError):
        return None


async def started_invoice(client: Client, invoice_id: str) -> InvoiceView | None:
    """A checkout that answered 202 has no row until its decision is saved. Its workflow's
    start input, read from the server, is the invoice as that answer showed it (pending): a
    query would need the worker, which a burst of checkouts keeps busy past any timeout."""
    try:
        async for event in invoice_handle(client, invoice_id).fetch_history_events(page_size=1):
            started = event.workflow_execution_started_event_attributes
            [invoice] = await client.data_converter.decode(started.input.payloads, [InvoiceInput])
            return new_invoice_view(invoice)
    except RPCError as error:
        if not _gone(error):
            raise  # the engine does not answer: 503, never a 404 for an invoice that exists
    return None
