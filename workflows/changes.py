"""Changing an open invoice's schedule: a plain helper over the workflow's state.

`extend` re-anchors every pending step to a later due date; `hold` (a pause, or a dispute) holds
the reminders until `resume` (or the pause's own end date); `promise` holds them until the
promised date. InvoiceWorkflow's Updates check each change first (payinvoice.rules, in their
validators and again under the lock, as a payment may have come in between) and then call these.

The schedule arithmetic is pure (payinvoice.domain.rescheduling). While a hold is on, the reminder
loop waits only for the overdue transition and the end of the hold (`next_wake`), and ends the
hold there (`end_hold`). Each change is an entry of `InvoiceView.events`, made from the webhook
event types a snapshot reports (`note`).
"""

from dataclasses import dataclass
from datetime import date, datetime

from temporalio import workflow

from workflows.deadline import Deadline
from workflows.state import InvoiceState

with workflow.unsafe.imports_passed_through():
    from payinvoice.contracts import (
        SYSTEM,
        Actor,
        ExtendInput,
        NextReminder,
        PauseInput,
        Promise,
        PromiseInput,
    )
    from payinvoice.domain.money import from_minor
    from payinvoice.domain.rescheduling import ResumePolicy, is_dunning, postpone, reanchor, resume
    from payinvoice.domain.schedule import Step
    from payinvoice.domain.status import InvoiceStatus
    from payinvoice.rules import holds_reminders, invoice_instant
    from payinvoice.webhooks import EventType


@dataclass(frozen=True)
class Wake:
    """What the reminder loop waits for next: a step, or (step None) the end of a hold."""

    at: datetime | None
    summary: str
    step: Step | None = None


class Changes:
    def __init__(self, state: InvoiceState, deadline: Deadline) -> None:
        self._state = state
        # Wakes the reminder loop when a change moves the schedule.
        self._deadline = deadline

    # The changes

    def extend(self, request: ExtendInput, new_date: date) -> None:
        state, view = self._state, self._state.view
        previous = view.due_date
        view.due_at = invoice_instant(view, new_date)
        view.due_date = new_date.isoformat()
        overdue_again = view.status == InvoiceStatus.OVERDUE
        view.status = InvoiceStatus.OPEN
        state.steps = reanchor(state.steps, view.due_at, state.input.day_seconds, overdue_again)
        if self.holding():
            state.held_since = workflow.now()  # the schedule counts from the new due date
        self.reschedule()
        self.note(
            EventType.INVOICE_EXTENDED, request.who,
            previous_due_date=previous or "", due_date=view.due_date, reason=request.reason,
        )

    def hold(self, request: PauseInput) -> None:
        """A pause, or (`dispute`) a dispute; a paused invoice may be disputed too."""
        state, view = self._state, self._state.view
        if not view.paused:
            view.paused, state.held_since = True, workflow.now()
            view.resume_policy = request.resume_policy
        view.paused_until = None if request.dispute else request.until
        details = {"reason": request.reason}
        if request.dispute:
            view.disputed = True
            self.note(EventType.INVOICE_DISPUTED, request.who, **details)
        else:
            self.note(
                EventType.INVOICE_PAUSED, request.who, until=request.until or "",
                resume_policy=request.resume_policy, **details,
            )
        self.reschedule()

    def resume(self, who: Actor, kind: EventType, note: str) -> None:
        """The hold ends (a resume, a dispute resolved, or the pause's end date): the steps it
        held back are taken or skipped by its resume policy."""
        state, view = self._state, self._state.view
        policy = ResumePolicy(view.resume_policy or ResumePolicy.SEND_LATEST)
        resumed = resume(state.steps, self._since(), workflow.now(), policy)
        state.steps = resumed.steps
        view.paused, view.paused_until, view.resume_policy, view.disputed = False, None, None, False
        state.held_since = None
        self.reschedule()
        self.note(
            kind, who, note=note, resume_policy=policy,
            sent_now=",".join(k for k in resumed.taken), skipped=",".join(resumed.skipped),
        )

    def promise(self, request: PromiseInput) -> None:
        state, view = self._state, self._state.view
        now = workflow.now()
        view.promise = Promise(
            amount=request.amount, date=request.date, made_at=now, paid_before=view.amount_paid
        )
        state.held_since = now
        self.reschedule()
        self.note(
            EventType.INVOICE_PROMISED, request.who,
            amount=from_minor(request.amount, view.currency), date=request.date,
        )

    # For the reminder loop

    def holding(self) -> bool:
        return holds_reminders(self._state.view)

    def next_wake(self) -> Wake:
        """The next step, or while a hold is on: the overdue transition or the hold's end."""
        holding = self.holding()
        step = next((s for s in self._state.steps if not (holding and is_dunning(s))), None)
        end = self._hold_end()
        if end is not None and (step is None or end < step.at):
            return Wake(end, "until the hold on reminders ends")
        return Wake(step.at, f"until {step.key}", step) if step else Wake(None, "")

    def end_hold(self) -> None:
        """The pause's end date or the promised date came."""
        state, view = self._state, self._state.view
        promise = view.promise
        if view.paused:
            self.resume(SYSTEM, EventType.INVOICE_RESUMED, "pause ended")
        elif promise is not None and promise.status == "pending":
            kept = view.amount_paid - promise.paid_before >= promise.amount
            promise.status = "kept" if kept else "broken"
            state.steps = postpone(state.steps, workflow.now() - self._since())
            state.held_since = None
            self.reschedule()
            kind = EventType.INVOICE_PROMISE_KEPT if kept else EventType.INVOICE_PROMISE_BROKEN
            self.note(kind, SYSTEM, amount=from_minor(promise.amount, view.currency))

    def refresh_next_reminder(self) -> None:
        # While a hold is on, no reminder is scheduled.
        steps = self._state.steps
        upcoming = None if self.holding() else next((s for s in steps if s.stage is not None), None)
        self._state.view.next_reminder = NextReminder(upcoming.key, upcoming.at) if upcoming else None

    def reschedule(self) -> None:
        """The steps changed: show the next reminder, and wake the loop to sleep until it."""
        self.refresh_next_reminder()
        self._deadline.move()

    def note(self, kind: EventType, who: Actor, **details: str) -> None:
        """A change the next snapshot reports, by whom and with what."""
        self._state.events.append(kind)
        self._state.event_context[kind] = (who, {k: str(v) for k, v in details.items()})

    # Helpers

    def _since(self) -> datetime:
        return self._state.held_since or workflow.now()

    def _hold_end(self) -> datetime | None:
        view = self._state.view
        if view.paused:
            return invoice_instant(view, date.fromisoformat(view.paused_until)) if view.paused_until else None
        if view.promise is not None and view.promise.status == "pending":
            return invoice_instant(view, date.fromisoformat(view.promise.date))
        return None
