"""Instalment plans, mixed into InvoiceWorkflow: the amount due split into dated parts.

`plan_instalments` (an Update with a validator) replaces the pending steps by the invoice's frozen
ladder once per instalment, anchored on that instalment's due date; every step's key, and every
stage's name, carries the instalment's number (`overdue_1-i2`), so that each reminder is a
message of its own and is recorded once. Payments fill the instalments oldest first
(payinvoice.domain.instalments.allocate over what was paid since the plan): the steps of an
instalment paid in full are dropped, and the invoice's `due_date` is the next unpaid one's. The
invoice turns overdue when an unpaid instalment passes its due date and is open again once the
instalments past due are paid; it is paid when its amount due is 0, as ever.

An invoice without a plan never reaches any of this (`_plan_step` and `_follow_plan` return at
once), so it emits the same commands as before and needs no patch. History: `instalments`.
"""

import asyncio
from dataclasses import replace
from datetime import date, datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.deadline import Deadline

with workflow.unsafe.imports_passed_through():
    from payinvoice.contracts import (
        Actor,
        ErrorType,
        InstalmentPlanInput,
        InvoiceInput,
        InvoiceView,
    )
    from payinvoice.domain.instalments import (
        Instalment,
        InstalmentError,
        allocate,
        next_unpaid,
        parse_plan,
        split_label,
        step_label,
    )
    from payinvoice.domain.money import from_minor
    from payinvoice.domain.rescheduling import day_of, ordered
    from payinvoice.domain.schedule import OVERDUE_STEP, ReminderStage, Step, timeline
    from payinvoice.domain.status import InvoiceStatus
    from payinvoice.webhooks import EventType

# A plan is made while the ladder still runs.
PLANNABLE = frozenset({InvoiceStatus.OPEN, InvoiceStatus.OVERDUE})


class InvoiceInstalments:
    # Provided by InvoiceWorkflow and InvoiceChanges.
    _view: InvoiceView
    _input: InvoiceInput
    _lock: asyncio.Lock
    _steps: list[Step]
    _events: list[str]
    _deadline: Deadline

    async def _save(self, local: bool = False) -> None: ...
    def _amount_due(self) -> int: ...
    def _holding(self) -> bool: ...
    def _reschedule(self) -> None: ...
    def _instant(self, day: date) -> datetime: ...
    def _note(self, kind: EventType, who: Actor, **details: str) -> None: ...

    @workflow.update
    async def plan_instalments(self, request: InstalmentPlanInput) -> InvoiceView:
        async with self._lock:
            plan = self._check_plan(request)
            view = self._view
            view.instalments = plan
            view.paid_before_plan = view.amount_paid
            # Overdue on the old due date: the plan has dates of its own (as a later due date does).
            view.status = InvoiceStatus.OPEN
            self._steps = self._plan_steps(plan)
            self._follow_plan()
            self._reschedule()
            currency = view.currency
            self._note(
                EventType.INVOICE_INSTALMENTS_PLANNED,
                request.who,
                reason=request.reason,
                instalments=", ".join(
                    f"{i.due_date}: {from_minor(i.amount, currency)} {currency}" for i in plan
                ),
            )
            await self._save()
        return self._view

    @plan_instalments.validator
    def _validate_plan_instalments(self, request: InstalmentPlanInput) -> None:
        self._check_plan(request)

    # For the reminder loop and the emails (called from InvoiceWorkflow)

    def _plan_step(self, step: Step) -> Step | None:
        """The step to take: a plan's overdue transition as the invoice's own (once, while it is
        open), a plan's credit suspension as the ladder's; None for a step of an instalment paid
        meanwhile, and for an instalment's overdue transition while the invoice already is."""
        part = split_label(step.key, len(self._view.instalments))
        if part is None:
            return step
        key, number = part
        if self._instalment_paid(number):
            return None
        if step.stage is not None:
            return step  # its stage carries the label: the reminder is recorded and sent as such
        if key == OVERDUE_STEP:
            self._view.overdue_instalments.append(number)
            if self._view.status != InvoiceStatus.OPEN:
                return None
        return replace(step, key=key)

    def _follow_plan(self) -> None:
        """After any change of money: drop the steps of instalments now paid, make the next
        unpaid instalment's due date the invoice's, and let the status say whether an unpaid
        instalment is past due."""
        view = self._view
        plan = view.instalments
        if not plan:
            return
        kept = [s for s in self._steps if not self._of_paid_instalment(s)]
        if len(kept) != len(self._steps):
            self._steps = kept
            self._reschedule()
        upcoming = next_unpaid(plan, self._paid_on_plan())
        current = upcoming or plan[-1]
        view.due_date = current.due_date
        view.due_at = self._instant(date.fromisoformat(current.due_date))
        if view.status in PLANNABLE:
            late = upcoming is not None and upcoming.number in view.overdue_instalments
            if late and view.status == InvoiceStatus.OPEN:
                self._events.append(EventType.INVOICE_OVERDUE)  # a refund made one unpaid again
            view.status = InvoiceStatus.OVERDUE if late else InvoiceStatus.OPEN

    def _plan_part(self, label: str) -> tuple[str, Instalment | None]:
        """The ladder stage's name and the instalment of a reminder's label; (label, None) for
        a reminder of the invoice as a whole."""
        names = {stage.name for stage in self._input.ladder}
        part = split_label(label, len(self._view.instalments))
        if label in names or part is None or part[0] not in names:
            return label, None
        return part[0], self._view.instalments[part[1] - 1]

    def _ladder_stage(self, label: str) -> ReminderStage:
        """The frozen stage a reminder was sent for, named as it was sent."""
        name, _ = self._plan_part(label)
        stage = next(s for s in self._input.ladder if s.name == name)
        return stage if name == label else replace(stage, name=label)

    # Helpers

    def _plan_steps(self, plan: list[Instalment]) -> list[Step]:
        """The frozen ladder once per instalment, from its due date; steps already past are not
        taken (as at issue)."""
        view = self._view
        assert view.issued_at is not None and view.issue_date is not None
        policy = self._input.policy
        now = workflow.now()
        steps = []
        for instalment in plan:
            days = (date.fromisoformat(instalment.due_date) - date.fromisoformat(view.issue_date)).days
            for step in timeline(
                view.issued_at,
                days,
                self._input.ladder,
                self._input.day_seconds,
                policy.suspend_after_days_overdue if policy else None,
            ):
                if step.at < now:
                    continue
                number = instalment.number
                stage = step.stage and replace(step.stage, name=step_label(step.stage.name, number))
                steps.append(replace(step, key=step_label(step.key, number), stage=stage))
        return ordered(steps)

    def _paid_on_plan(self) -> int:
        return self._view.amount_paid - self._view.paid_before_plan

    def _instalment_paid(self, number: int) -> bool:
        plan = self._view.instalments
        return allocate(plan, self._paid_on_plan())[number - 1] >= plan[number - 1].amount

    def _of_paid_instalment(self, step: Step) -> bool:
        part = split_label(step.key, len(self._view.instalments))
        return part is not None and self._instalment_paid(part[1])

    def _check_plan(self, request: InstalmentPlanInput) -> list[Instalment]:
        view = self._view
        if view.status not in PLANNABLE:
            raise ApplicationError(
                f"invoice is {view.status}: an instalment plan is not possible",
                type=ErrorType.INSTALMENTS_NOT_ALLOWED,
            )
        refused = ErrorType.INSTALMENTS_NOT_ALLOWED
        if view.instalments:
            raise ApplicationError("invoice already has an instalment plan", type=refused)
        if self._holding():
            what = "disputed" if view.disputed else "paused" if view.paused else "promised to be paid"
            raise ApplicationError(f"invoice is {what}: an instalment plan is not possible", type=refused)
        assert view.issued_at is not None and view.issue_date is not None
        today = day_of(
            workflow.now(), view.issued_at, date.fromisoformat(view.issue_date), self._input.day_seconds
        )
        parts = [(i.due_date, from_minor(i.amount, view.currency)) for i in request.instalments]
        try:
            return list(parse_plan(parts, view.currency, self._amount_due(), today))
        except (InstalmentError, TypeError, ValueError) as error:
            raise ApplicationError(str(error), type=ErrorType.INVALID_INSTALMENTS) from None
