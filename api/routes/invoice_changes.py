"""Changing an open invoice: extend, pause, resume, dispute, promise; and its history of events.

Each change is a Temporal Update with a validator; what the API can check itself (the shape of
the body, a date not later than the current due date, an amount above what is due) is a 422
before anything reaches the workflow. A finished invoice answers 409 with the update's own code.
"""

from typing import Any

from fastapi import APIRouter
from temporalio.service import RPCError, RPCStatusCode

from api.deps import CurrentCaller, CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.invoicing import invoice_out, live_invoice, stored_invoice
from api.schemas import DisputeIn, ExtendIn, InvoiceEventOut, InvoiceOut, PauseIn, PromiseIn, ResumeIn
from payinvoice.contracts import (
    Actor,
    ErrorType,
    ExtendInput,
    InvoiceView,
    PauseInput,
    PromiseInput,
    ResumeInput,
    invoice_workflow_id,
    to_document,
)
from payinvoice.domain.money import MoneyError, to_minor
from payinvoice.domain.status import FINAL, amount_due
from workflows.invoice import InvoiceWorkflow

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


async def _change(
    client: TemporalDep, view: InvoiceView, update: Any, request: Any, refused: ApiError, public_url: str
) -> InvoiceOut:
    """Send the change to the invoice's workflow; a finished invoice is refused as it would be."""
    if view.status not in FINAL:
        try:
            handle = client.get_workflow_handle(invoice_workflow_id(view.invoice_id))
            return invoice_out(await handle.execute_update(update, request), public_url)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
    raise refused


def _who(caller: CurrentCaller) -> Actor:
    return Actor(role=str(caller.key.role), key_id=caller.key.id)


def _finished(view: InvoiceView, code: ErrorType, verb: str) -> ApiError:
    return ApiError(409, code, f"invoice is {view.status} and cannot be {verb}")


@router.post("/{invoice_id}/extend", response_model=InvoiceOut)
async def extend_invoice(
    invoice_id: str, body: ExtendIn, session: SessionDep, merchant: CurrentMerchant,
    caller: CurrentCaller, client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """A later due date; every pending reminder moves with it, reminders sent stay sent."""
    view = await stored_invoice(session, merchant, invoice_id)
    current = view.due_date
    if body.due_date is not None and current is not None and body.due_date.isoformat() <= current:
        raise ApiError(422, ErrorType.INVALID_DUE_DATE, f"the new due date must be later than {current}")
    request = ExtendInput(
        who=_who(caller), reason=body.reason, by_days=body.by_days,
        due_date=body.due_date.isoformat() if body.due_date else None,
    )
    refused = _finished(view, ErrorType.INVOICE_NOT_EXTENDABLE, "extended")
    return await _change(client, view, InvoiceWorkflow.extend, request, refused, settings.public_url)


@router.post("/{invoice_id}/pause", response_model=InvoiceOut)
async def pause_invoice(
    invoice_id: str, body: PauseIn, session: SessionDep, merchant: CurrentMerchant,
    caller: CurrentCaller, client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """No reminders until resumed (or until `until`)."""
    view = await stored_invoice(session, merchant, invoice_id)
    request = PauseInput(
        who=_who(caller), reason=body.reason, resume_policy=body.resume_policy,
        until=body.until.isoformat() if body.until else None,
    )
    refused = _finished(view, ErrorType.INVOICE_NOT_PAUSABLE, "paused")
    return await _change(client, view, InvoiceWorkflow.pause, request, refused, settings.public_url)


@router.post("/{invoice_id}/dispute", response_model=InvoiceOut)
async def dispute_invoice(
    invoice_id: str, body: DisputeIn, session: SessionDep, merchant: CurrentMerchant,
    caller: CurrentCaller, client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """Paused and marked disputed until the dispute is resolved (or the invoice resumed)."""
    view = await stored_invoice(session, merchant, invoice_id)
    request = PauseInput(who=_who(caller), reason=body.reason, dispute=True)
    refused = _finished(view, ErrorType.INVOICE_NOT_DISPUTABLE, "disputed")
    return await _change(client, view, InvoiceWorkflow.pause, request, refused, settings.public_url)


@router.post("/{invoice_id}/resume", response_model=InvoiceOut)
async def resume_invoice(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, caller: CurrentCaller,
    client: TemporalDep, settings: SettingsDep, body: ResumeIn | None = None,
) -> InvoiceOut:
    """Reminders again, by the pause's resume policy."""
    view = await stored_invoice(session, merchant, invoice_id)
    request = ResumeInput(who=_who(caller), note=body.note if body else "")
    refused = ApiError(409, ErrorType.INVOICE_NOT_PAUSED, "invoice is not paused")
    return await _change(client, view, InvoiceWorkflow.resume, request, refused, settings.public_url)


@router.post("/{invoice_id}/resolve-dispute", response_model=InvoiceOut)
async def resolve_dispute(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, caller: CurrentCaller,
    client: TemporalDep, settings: SettingsDep, body: ResumeIn | None = None,
) -> InvoiceOut:
    view = await stored_invoice(session, merchant, invoice_id)
    request = ResumeInput(who=_who(caller), note=body.note if body else "")
    refused = ApiError(409, ErrorType.INVOICE_NOT_DISPUTED, "invoice is not disputed")
    return await _change(
        client, view, InvoiceWorkflow.resolve_dispute, request, refused, settings.public_url
    )


@router.post("/{invoice_id}/promise", response_model=InvoiceOut)
async def promise_to_pay(
    invoice_id: str, body: PromiseIn, session: SessionDep, merchant: CurrentMerchant,
    caller: CurrentCaller, client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """No reminders until `date`; if `amount` is not paid by then, the ladder goes on."""
    view = await stored_invoice(session, merchant, invoice_id)
    minor = to_minor(body.amount, view.currency, "amount")
    if not 0 < minor <= amount_due(view.total, view.amount_paid):
        raise MoneyError(ErrorType.INVALID_AMOUNT, "amount must be greater than 0 and at most the amount due")
    request = PromiseInput(who=_who(caller), amount=minor, date=body.date.isoformat())
    refused = _finished(view, ErrorType.INVOICE_NOT_PROMISABLE, "promised")
    return await _change(client, view, InvoiceWorkflow.promise, request, refused, settings.public_url)


@router.get("/{invoice_id}/events", response_model=list[InvoiceEventOut])
async def invoice_events(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep
) -> list[InvoiceEventOut]:
    """The invoice's history, oldest first: `{at, kind, who: {role, key_id}, details}`."""
    view = await live_invoice(client, await stored_invoice(session, merchant, invoice_id, client))
    return [InvoiceEventOut.model_validate(to_document(event)) for event in view.events]
