"""Changing an open invoice: extend, pause, resume, dispute, promise; and its history of events.

Each change is a Temporal Update with a validator; what the API can check itself (the shape of
the body, a date not later than the current due date, an amount above what is due) is a 422
before anything reaches the workflow. A finished invoice answers 409 with the update's own code.
"""

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Query

from api.deps import CurrentCaller, CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.invoicing import invoice_out, live_invoice, stored_invoice, update_invoice
from api.schemas import (
    UNSTORABLE,
    DisputeIn,
    ExtendIn,
    InstalmentIn,
    InvoiceEventOut,
    InvoiceOut,
    PauseIn,
    PromiseIn,
    ResumeIn,
)
from payinvoice.contracts import (
    Actor,
    ErrorType,
    ExtendInput,
    InstalmentPlanInput,
    InvoiceView,
    PauseInput,
    PromiseInput,
    ResumeInput,
    to_document,
)
from payinvoice.domain.instalments import parse_plan
from payinvoice.domain.money import MoneyError, to_minor
from payinvoice.domain.rescheduling import day_of
from payinvoice.domain.status import FINAL
from workflows.instalments import PLANNABLE
from workflows.invoice import InvoiceWorkflow

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


async def _change(
    client: TemporalDep, view: InvoiceView, update: Any, request: Any, refused: ApiError, public_url: str
) -> InvoiceOut:
    """Send the change to the invoice's workflow; a finished invoice is refused as it would be."""
    if view.status not in FINAL:
        changed = await update_invoice(client, view.invoice_id, update, request)
        if changed is not None:
            return invoice_out(changed, public_url)
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
    if not 0 < minor <= view.amount_due():
        raise MoneyError(ErrorType.INVALID_AMOUNT, "amount must be greater than 0 and at most the amount due")
    request = PromiseInput(who=_who(caller), amount=minor, date=body.date.isoformat())
    refused = _finished(view, ErrorType.INVOICE_NOT_PROMISABLE, "promised")
    return await _change(client, view, InvoiceWorkflow.promise, request, refused, settings.public_url)


@router.post("/{invoice_id}/instalments", response_model=InvoiceOut)
async def plan_instalments(
    invoice_id: str, body: list[InstalmentIn], session: SessionDep, merchant: CurrentMerchant,
    caller: CurrentCaller, client: TemporalDep, settings: SettingsDep,
    reason: str = Query(default="", max_length=500),
) -> InvoiceOut:
    """Split the amount due into 2 to 24 instalments, `[{due_date, amount}]`: due dates strictly
    increasing and the first not before today, amounts adding up to the amount due. Each gets
    the invoice's reminders from its own due date; the invoice is paid when all are."""
    if UNSTORABLE.search(reason):
        raise ApiError(422, "invalid_request", "reason must not contain NUL or unpaired surrogates")
    view = await stored_invoice(session, merchant, invoice_id)
    if view.status not in PLANNABLE:
        message = f"invoice is {view.status}: an instalment plan is not possible"
        raise ApiError(409, ErrorType.INSTALMENTS_NOT_ALLOWED, message)
    plan = parse_plan(
        [(item.due_date, item.amount) for item in body], view.currency, view.amount_due(), _today(view)
    )
    request = InstalmentPlanInput(instalments=list(plan), who=_who(caller), reason=reason)
    refused = _finished(view, ErrorType.INSTALMENTS_NOT_ALLOWED, "paid in instalments")
    return await _change(
        client, view, InvoiceWorkflow.plan_instalments, request, refused, settings.public_url
    )


def _today(view: InvoiceView) -> date:
    """The invoice's today: its days count from the moment of issue, in its own day length."""
    assert view.issued_at is not None and view.issue_date is not None  # open or overdue: issued
    return day_of(datetime.now(UTC), view.issued_at, date.fromisoformat(view.issue_date), view.day_seconds)


@router.get("/{invoice_id}/events", response_model=list[InvoiceEventOut])
async def invoice_events(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep
) -> list[InvoiceEventOut]:
    """The invoice's history, oldest first: `{at, kind, who: {role, key_id}, details}`."""
    view = await live_invoice(client, await stored_invoice(session, merchant, invoice_id, client))
    return [InvoiceEventOut.model_validate(to_document(event)) for event in view.events]
