"""Changing an open invoice: extend, pause, dispute, resume, resolve a dispute, promise to pay,
plan instalments; and its history of events.

Each change is an Update of the invoice's workflow, whose validator applies the rule of
`payinvoice.rules`. An invoice whose workflow has finished is refused here by the same rule.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from payinvoice import rules
from payinvoice.contracts import (
    Actor,
    ExtendInput,
    InstalmentPlanInput,
    InvoiceEvent,
    InvoiceView,
    PauseInput,
    PromiseInput,
    ResumeInput,
)
from payinvoice.contracts.schemas import ExtendIn, InstalmentIn, PauseIn, PromiseIn
from payinvoice.db.models import Merchant
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.instalments import parse_plan
from payinvoice.domain.money import to_minor
from payinvoice.domain.status import FINAL
from services.invoices import live_invoice, stored_invoice
from services.pages import decode_cursor, encode_cursor
from services.temporal import update_invoice
from workflows.invoice import InvoiceWorkflow


async def _change(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, update: Any,
    request: Callable[[InvoiceView], Any], check: Callable[[InvoiceView, Any], object],
) -> InvoiceView:
    """Send the change to the invoice's workflow; a finished invoice is refused by `check`."""
    view = await stored_invoice(session, merchant, invoice_id)
    change = request(view)
    if view.status not in FINAL:
        changed = await update_invoice(client, invoice_id, update, change)
        if changed is not None:
            return changed
        view = await stored_invoice(session, merchant, invoice_id)  # it finished meanwhile
    check(view, change)
    raise Refusal(ErrorType.CONFLICT, f"invoice is {view.status}")  # no rule lets a finished one change


async def extend(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, body: ExtendIn, who: Actor
) -> InvoiceView:
    """A later due date; every pending reminder moves with it, reminders sent stay sent."""

    def request(view: InvoiceView) -> ExtendInput:
        change = ExtendInput(
            who=who, reason=body.reason, by_days=body.by_days,
            due_date=body.due_date.isoformat() if body.due_date else None,
        )
        if view.status not in FINAL:
            rules.check_extend(view, change)  # refused before it reaches the workflow
        return change

    return await _change(
        client, session, merchant, invoice_id, InvoiceWorkflow.extend, request, rules.check_extend
    )


async def pause(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, body: PauseIn, who: Actor
) -> InvoiceView:
    """No reminders until resumed (or until `until`)."""
    change = PauseInput(
        who=who, reason=body.reason, resume_policy=body.resume_policy,
        until=body.until.isoformat() if body.until else None,
    )
    return await _change(
        client, session, merchant, invoice_id, InvoiceWorkflow.pause, lambda _: change, _check_pause
    )


async def dispute(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, reason: str, who: Actor
) -> InvoiceView:
    """Paused and marked disputed until the dispute is resolved (or the invoice resumed)."""
    change = PauseInput(who=who, reason=reason, dispute=True)
    return await _change(
        client, session, merchant, invoice_id, InvoiceWorkflow.pause, lambda _: change, _check_pause
    )


async def resume(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, note: str, who: Actor
) -> InvoiceView:
    """Reminders again, by the pause's resume policy."""
    change = ResumeInput(who=who, note=note)
    return await _change(
        client, session, merchant, invoice_id, InvoiceWorkflow.resume, lambda _: change, _check_resume
    )


async def resolve_dispute(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, note: str, who: Actor
) -> InvoiceView:
    change = ResumeInput(who=who, note=note)
    return await _change(
        client, session, merchant, invoice_id, InvoiceWorkflow.resolve_dispute, lambda _: change,
        _check_resolve_dispute,
    )


async def promise(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, body: PromiseIn, who: Actor
) -> InvoiceView:
    """No reminders until `date`; if `amount` is not paid by then, the ladder goes on."""

    def request(view: InvoiceView) -> PromiseInput:
        amount = to_minor(body.amount, view.currency, "amount")
        change = PromiseInput(who=who, amount=amount, date=body.date.isoformat())
        if view.status not in FINAL:
            _check_promise(view, change)  # refused before it reaches the workflow
        return change

    return await _change(
        client, session, merchant, invoice_id, InvoiceWorkflow.promise, request, _check_promise
    )


async def plan_instalments(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, body: list[InstalmentIn],
    reason: str, who: Actor,
) -> InvoiceView:
    """Split the amount due into instalments, each with the invoice's reminders from its own due
    date; the invoice is paid when all are."""

    def request(view: InvoiceView) -> InstalmentPlanInput:
        unplanned = InstalmentPlanInput(instalments=[], who=who, reason=reason)
        if not rules.allows(view, rules.Action.PLAN_INSTALMENTS):
            _check_plan(view, unplanned)  # refused: not open for a plan
        today = rules.invoice_today(view, datetime.now(UTC))
        parts = [(item.due_date, item.amount) for item in body]
        unplanned.instalments = list(parse_plan(parts, view.currency, view.amount_due(), today))
        return unplanned

    return await _change(
        client, session, merchant, invoice_id, InvoiceWorkflow.plan_instalments, request, _check_plan
    )


async def events(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, *, limit: int,
    cursor: str | None,
) -> tuple[list[InvoiceEvent], str | None]:
    """The invoice's history, oldest first, a page at a time: the events after the cursor's (its
    time and position, which an event keeps: events are only ever appended) and the next cursor."""
    view = await live_invoice(client, await stored_invoice(session, merchant, invoice_id, client))
    start = 0
    if cursor:
        at, position = decode_cursor(cursor)
        if not position.isdigit() or int(position) >= len(view.events) or view.events[int(position)].at != at:
            raise Refusal(ErrorType.INVALID_CURSOR, "cursor is not one this API returned for this invoice")
        start = int(position) + 1
    page = view.events[start : start + limit]
    last = start + len(page) - 1
    more = start + limit < len(view.events)
    return page, encode_cursor(page[-1].at, str(last)) if more else None


# The rules as they refuse a finished invoice (the ones that also take the clock get it here).


def _check_pause(view: InvoiceView, change: PauseInput) -> None:
    rules.check_pause(view, change, datetime.now(UTC))


def _check_resume(view: InvoiceView, _: ResumeInput) -> None:
    rules.check_resume(view)
    raise Refusal(ErrorType.INVOICE_NOT_PAUSED, "invoice is not paused")  # finished: nothing to resume


def _check_resolve_dispute(view: InvoiceView, _: ResumeInput) -> None:
    rules.check_resolve_dispute(view)
    raise Refusal(ErrorType.INVOICE_NOT_DISPUTED, "invoice is not disputed")


def _check_promise(view: InvoiceView, change: PromiseInput) -> None:
    rules.check_promise(view, change, datetime.now(UTC))


def _check_plan(view: InvoiceView, change: InstalmentPlanInput) -> None:
    rules.check_instalment_plan(view, change, datetime.now(UTC))
