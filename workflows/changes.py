"""Changing an open invoice: the Updates that move its schedule, mixed into InvoiceWorkflow.

`extend` re-anchors every pending step to a later due date; `pause` (and `dispute`) hold the
reminders until `resume` (or `resolve_dispute`, or the pause's own end date); `promise` holds them
until the promised date. Each has a validator, so an illegal move is rejected before anything is
written; the handler checks again under the lock, as a payment may have come in between.

The schedule arithmetic is pure (payinvoice.domain.rescheduling). While a hold is on, the reminder
loop of InvoiceWorkflow waits only for the overdue transition and the end of the hold
(`_next_wake`), and ends the hold there (`_end_hold`). Each change is an entry of
`InvoiceView.events`, made from the webhook event types a snapshot reports (`_log_events`).
"""

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.deadline import Deadline

with workflow.unsafe.imports_passed_through():
    from payinvoice.contracts import (
        SYSTEM,
        Actor,
        ErrorType,
        ExtendInput,
        InvoiceEvent,
        InvoiceInput,
        InvoiceView,
        PauseInput,
        Promise,
        PromiseInput,
        ResumeInput,
    )
    from payinvoice.domain.money import from_minor
    from payinvoice.domain.rescheduling import (
        ResumePolicy,
        instant_of,
        is_dunning,
        postpone,
        reanchor,
        resume,
    )
    from payinvoice.domain.schedule import Step
    from payinvoice.domain.status import InvoiceStatus
    from payinvoice.webhooks import EventType

# The statuses whose reminders can be moved: the ladder is still running.
CHANGEABLE = frozenset({InvoiceStatus.OPEN, InvoiceStatus.OVERDUE})


@dataclass(frozen=True)
class Wake:
    """What the reminder loop waits for next: a step, or (step None) the end of a hold."""

    at: datetime | None
    summary: str
    step: Step | None = None


class InvoiceChanges:
    # Provided by InvoiceWorkflow.
    _view: InvoiceView
    _input: InvoiceInput
    _lock: asyncio.Lock
    _steps: list[Step]
    _events: list[str]
    _deadline: Deadline
    # Who made the changes the next snapshot reports, and their details, by event type.
    _event_context: dict[str, tuple[Actor, dict[str, str]]]
    # Since when the current hold counts (a later due date restarts it).
    _held_since: datetime | None = None

    async def _save(self, local: bool = False) -> None: ...
    def _refresh_next_reminder(self) -> None: ...
    def _amount_due(self) -> int: ...

    # Extend

    @workflow.update
    async def extend(self, request: ExtendInput) -> InvoiceView:
        async with self._lock:
            new_date = self._check_extension(request)
            view = self._view
            previous = view.due_date
            view.due_at = self._instant(new_date)
            view.due_date = new_date.isoformat()
            overdue_again = view.status == InvoiceStatus.OVERDUE
            view.status = InvoiceStatus.OPEN
            self._steps = reanchor(self._steps, view.due_at, self._input.day_seconds, overdue_again)
            if self._holding():
                self._held_since = workflow.now()  # the schedule counts from the new due date
            self._reschedule()
            self._note(
                EventType.INVOICE_EXTENDED, request.who,
                previous_due_date=previous or "", due_date=view.due_date, reason=request.reason,
            )
            await self._save()
        return self._view

    @extend.validator
    def _validate_extend(self, request: ExtendInput) -> None:
        self._check_extension(request)

    # Pause, dispute, resume

    @workflow.update
    async def pause(self, request: PauseInput) -> InvoiceView:
        async with self._lock:
            self._check_pause(request)
            self._hold_reminders(request)
            await self._save()
        return self._view

    @pause.validator
    def _validate_pause(self, request: PauseInput) -> None:
        self._check_pause(request)

    @workflow.update
    async def resume(self, request: ResumeInput) -> InvoiceView:
        async with self._lock:
            self._check_paused()
            self._resume(request.who, EventType.INVOICE_RESUMED, request.note)
            await self._save()
        return self._view

    @resume.validator
    def _validate_resume(self, request: ResumeInput) -> None:
        self._check_paused()

    @workflow.update
    async def resolve_dispute(self, request: ResumeInput) -> InvoiceView:
        async with self._lock:
            self._check_disputed()
            self._resume(request.who, EventType.INVOICE_DISPUTE_RESOLVED, request.note)
            await self._save()
        return self._view

    @resolve_dispute.validator
    def _validate_resolve_dispute(self, request: ResumeInput) -> None:
        self._check_disputed()

    # Promise to pay

    @workflow.update
    async def promise(self, request: PromiseInput) -> InvoiceView:
        async with self._lock:
            self._check_promise(request)
            now = workflow.now()
            self._view.promise = Promise(
                amount=request.amount, date=request.date, made_at=now, paid_before=self._view.amount_paid
            )
            self._held_since = now
            self._reschedule()
            self._note(
                EventType.INVOICE_PROMISED, request.who,
                amount=from_minor(request.amount, self._view.currency), date=request.date,
            )
            await self._save()
        return self._view

    @promise.validator
    def _validate_promise(self, request: PromiseInput) -> None:
        self._check_promise(request)

    # For the reminder loop

    def _holding(self) -> bool:
        promise = self._view.promise
        return self._view.paused or (promise is not None and promise.status == "pending")

    def _next_wake(self) -> Wake:
        """The next step, or while a hold is on: the overdue transition or the hold's end."""
        holding = self._holding()
        step = next((s for s in self._steps if not (holding and is_dunning(s))), None)
        end = self._hold_end()
        if end is not None and (step is None or end < step.at):
            return Wake(end, "until the hold on reminders ends")
        return Wake(step.at, f"until {step.key}", step) if step else Wake(None, "")

    def _end_hold(self) -> None:
        """The pause's end date or the promised date came."""
        promise = self._view.promise
        if self._view.paused:
            self._resume(SYSTEM, EventType.INVOICE_RESUMED, "pause ended")
        elif promise is not None and promise.status == "pending":
            kept = self._view.amount_paid - promise.paid_before >= promise.amount
            promise.status = "kept" if kept else "broken"
            self._steps = postpone(self._steps, workflow.now() - self._since())
            self._held_since = None
            self._reschedule()
            kind = EventType.INVOICE_PROMISE_KEPT if kept else EventType.INVOICE_PROMISE_BROKEN
            self._note(kind, SYSTEM, amount=from_minor(promise.amount, self._view.currency))

    def _log_events(self, events: list[str]) -> None:
        """The snapshot's webhook events, as entries of the invoice's history."""
        for event in events:
            who, details = self._event_context.pop(event, (SYSTEM, {}))
            kind = event.removeprefix("invoice.")
            self._view.events.append(InvoiceEvent(workflow.now(), kind, who, details))

    # Helpers

    def _hold_reminders(self, request: PauseInput) -> None:
        view = self._view
        if not view.paused:
            view.paused, self._held_since = True, workflow.now()
            view.resume_policy = request.resume_policy
        view.paused_until = None if request.dispute else request.until
        details = {"reason": request.reason}
        if request.dispute:
            view.disputed = True
            self._note(EventType.INVOICE_DISPUTED, request.who, **details)
        else:
            self._note(
                EventType.INVOICE_PAUSED, request.who, until=request.until or "",
                resume_policy=request.resume_policy, **details,
            )
        self._reschedule()

    def _resume(self, who: Actor, kind: EventType, note: str) -> None:
        view = self._view
        policy = ResumePolicy(view.resume_policy or ResumePolicy.SEND_LATEST)
        resumed = resume(self._steps, self._since(), workflow.now(), policy)
        self._steps = resumed.steps
        view.paused, view.paused_until, view.resume_policy, view.disputed = False, None, None, False
        self._held_since = None
        self._reschedule()
        self._note(
            kind, who, note=note, resume_policy=policy,
            sent_now=",".join(k for k in resumed.taken), skipped=",".join(resumed.skipped),
        )

    def _reschedule(self) -> None:
        self._refresh_next_reminder()
        self._deadline.move()

    def _note(self, kind: EventType, who: Actor, **details: str) -> None:
        self._events.append(kind)
        self._event_context[kind] = (who, {k: str(v) for k, v in details.items()})

    def _since(self) -> datetime:
        return self._held_since or workflow.now()

    def _hold_end(self) -> datetime | None:
        view = self._view
        if view.paused:
            return self._instant(date.fromisoformat(view.paused_until)) if view.paused_until else None
        if view.promise is not None and view.promise.status == "pending":
            return self._instant(date.fromisoformat(view.promise.date))
        return None

    def _instant(self, day: date) -> datetime:
        view = self._view
        assert view.issued_at is not None and view.issue_date is not None
        return instant_of(day, view.issued_at, date.fromisoformat(view.issue_date), self._input.day_seconds)

    def _future_date(self, iso: str, what: str) -> date:
        try:
            day = date.fromisoformat(iso)
        except ValueError:
            raise ApplicationError(f"{what} must be an ISO date", type=ErrorType.INVALID_DATE) from None
        if self._instant(day) <= workflow.now():
            raise ApplicationError(f"{what} must be in the future", type=ErrorType.INVALID_DATE)
        return day

    # Checks (validators and handlers alike)

    def _check_changeable(self, error: ErrorType, verb: str) -> None:
        if self._view.status not in CHANGEABLE:
            raise ApplicationError(f"invoice is {self._view.status} and cannot be {verb}", type=error)

    def _check_extension(self, request: ExtendInput) -> date:
        self._check_changeable(ErrorType.INVOICE_NOT_EXTENDABLE, "extended")
        if self._view.instalments:
            raise ApplicationError(
                "invoice has an instalment plan, whose instalments have their own due dates",
                type=ErrorType.INVOICE_NOT_EXTENDABLE,
            )
        assert self._view.due_date is not None
        current = date.fromisoformat(self._view.due_date)
        if (request.due_date is None) == (request.by_days is None):
            raise ApplicationError("give exactly one of due_date and by_days", type=ErrorType.INVALID_REQUEST)
        if request.by_days is not None:
            if request.by_days < 1:
                raise ApplicationError("by_days must be at least 1", type=ErrorType.INVALID_DUE_DATE)
            return current + timedelta(days=request.by_days)
        try:
            new_date = date.fromisoformat(request.due_date or "")
        except ValueError:
            raise ApplicationError("due_date must be an ISO date", type=ErrorType.INVALID_DUE_DATE) from None
        if new_date <= current:
            raise ApplicationError(
                f"the new due date must be later than {current.isoformat()}", type=ErrorType.INVALID_DUE_DATE
            )
        return new_date

    def _check_pause(self, request: PauseInput) -> None:
        error = ErrorType.INVOICE_NOT_DISPUTABLE if request.dispute else ErrorType.INVOICE_NOT_PAUSABLE
        self._check_changeable(error, "disputed" if request.dispute else "paused")
        if self._view.disputed or (self._view.paused and not request.dispute):
            raise ApplicationError(
                "invoice is already disputed" if self._view.disputed else "invoice is already paused",
                type=error,
            )
        if self._holding() and not self._view.paused:
            raise ApplicationError("a promise to pay is pending", type=error)
        policies = sorted(str(p) for p in ResumePolicy)
        if request.resume_policy not in policies:
            raise ApplicationError(f"resume_policy must be one of {policies}", type=ErrorType.INVALID_REQUEST)
        if request.until is not None and not request.dispute:
            self._future_date(request.until, "until")

    def _check_paused(self) -> None:
        if not self._view.paused:
            raise ApplicationError("invoice is not paused", type=ErrorType.INVOICE_NOT_PAUSED)

    def _check_disputed(self) -> None:
        if not self._view.disputed:
            raise ApplicationError("invoice is not disputed", type=ErrorType.INVOICE_NOT_DISPUTED)

    def _check_promise(self, request: PromiseInput) -> None:
        self._check_changeable(ErrorType.INVOICE_NOT_PROMISABLE, "promised")
        if self._holding():
            what = "paused" if self._view.paused else "already promised"
            raise ApplicationError(f"invoice is {what}", type=ErrorType.INVOICE_NOT_PROMISABLE)
        if not 0 < request.amount <= self._amount_due():
            raise ApplicationError(
                "amount must be greater than 0 and at most the amount due", type=ErrorType.INVALID_AMOUNT
            )
        self._future_date(request.date, "date")
