"""Changing an open invoice: extend, pause, resume, dispute, promise, plan instalments; and its
history of events. The use cases are in services/changes.py."""

from fastapi import APIRouter, Query

from api.deps import CurrentCaller, CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from api.paging import PageCursor, PageLimit
from payinvoice.contracts import Actor, to_document
from payinvoice.contracts.schemas import (
    UNSTORABLE,
    DisputeIn,
    ExtendIn,
    InstalmentIn,
    InvoiceEventOut,
    InvoiceEventPage,
    InvoiceOut,
    PauseIn,
    PromiseIn,
    ResumeIn,
)
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.views import invoice_out
from services import changes
from services.pages import DEFAULT_LIMIT

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


def _who(caller: CurrentCaller) -> Actor:
    return Actor(role=str(caller.key.role), key_id=caller.key.id)


@router.post("/{invoice_id}/extend", response_model=InvoiceOut)
async def extend_invoice(
    invoice_id: str, body: ExtendIn, session: SessionDep, merchant: CurrentMerchant,
    caller: CurrentCaller, client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """A later due date; every pending reminder moves with it, reminders sent stay sent."""
    view = await changes.extend(client, session, merchant, invoice_id, body, _who(caller))
    return invoice_out(view, settings.public_url)


@router.post("/{invoice_id}/pause", response_model=InvoiceOut)
async def pause_invoice(
    invoice_id: str, body: PauseIn, session: SessionDep, merchant: CurrentMerchant,
    caller: CurrentCaller, client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """No reminders until resumed (or until `until`)."""
    view = await changes.pause(client, session, merchant, invoice_id, body, _who(caller))
    return invoice_out(view, settings.public_url)


@router.post("/{invoice_id}/dispute", response_model=InvoiceOut)
async def dispute_invoice(
    invoice_id: str, body: DisputeIn, session: SessionDep, merchant: CurrentMerchant,
    caller: CurrentCaller, client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """Paused and marked disputed until the dispute is resolved (or the invoice resumed)."""
    view = await changes.dispute(client, session, merchant, invoice_id, body.reason, _who(caller))
    return invoice_out(view, settings.public_url)


@router.post("/{invoice_id}/resume", response_model=InvoiceOut)
async def resume_invoice(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, caller: CurrentCaller,
    client: TemporalDep, settings: SettingsDep, body: ResumeIn | None = None,
) -> InvoiceOut:
    """Reminders again, by the pause's resume policy."""
    note = body.note if body else ""
    view = await changes.resume(client, session, merchant, invoice_id, note, _who(caller))
    return invoice_out(view, settings.public_url)


@router.post("/{invoice_id}/resolve-dispute", response_model=InvoiceOut)
async def resolve_dispute(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, caller: CurrentCaller,
    client: TemporalDep, settings: SettingsDep, body: ResumeIn | None = None,
) -> InvoiceOut:
    note = body.note if body else ""
    view = await changes.resolve_dispute(client, session, merchant, invoice_id, note, _who(caller))
    return invoice_out(view, settings.public_url)


@router.post("/{invoice_id}/promise", response_model=InvoiceOut)
async def promise_to_pay(
    invoice_id: str, body: PromiseIn, session: SessionDep, merchant: CurrentMerchant,
    caller: CurrentCaller, client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """No reminders until `date`; if `amount` is not paid by then, the ladder goes on."""
    view = await changes.promise(client, session, merchant, invoice_id, body, _who(caller))
    return invoice_out(view, settings.public_url)


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
        raise Refusal(ErrorType.INVALID_REQUEST, "reason must not contain NUL or unpaired surrogates")
    view = await changes.plan_instalments(client, session, merchant, invoice_id, body, reason, _who(caller))
    return invoice_out(view, settings.public_url)


@router.get("/{invoice_id}/events", response_model=InvoiceEventPage)
async def invoice_events(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None,
) -> InvoiceEventPage:
    """The invoice's history, oldest first, a page at a time: `{data: [{at, kind, who: {role,
    key_id}, details}], next_cursor}` (`next_cursor` null on the last page)."""
    events, next_cursor = await changes.events(
        client, session, merchant, invoice_id, limit=limit, cursor=cursor
    )
    data = [InvoiceEventOut.model_validate(to_document(event)) for event in events]
    return InvoiceEventPage(data=data, next_cursor=next_cursor)
