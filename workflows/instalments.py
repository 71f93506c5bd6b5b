"""Instalment plans, a plain helper over the workflow's state: the amount due split into dated parts.

`plan` (after the `plan_instalments` Update checked the request) replaces the pending steps by the
invoice's frozen ladder once per instalment, anchored on that instalment's due date; every step's
key, and every stage's name, carries the instalment's number (`overdue_1-i2`), so that each
reminder is a message of its own and is recorded once. Payments fill the instalments oldest first
(payinvoice.domain.instalments.allocate over what was paid since the plan): the steps of an
instalment paid in full are dropped, and the invoice's `due_date` is the next unpaid one's. The
invoice turns overdue when an unpaid instalment passes its due date and is open again once the
instalments past due are paid; it is paid when its amount due is 0, as ever.

An invoice without a plan never reaches any of this (`plan_step` and `follow_plan` return at
once), so it emits the same commands as before and needs no patch. History: `instalments`.
"""

from dataclasses import replace
from datetime import date

from temporalio import workflow

from workflows.changes import Changes
from workflows.state import InvoiceState

with workflow.unsafe.imports_passed_through():
    from payinvoice.contracts import InstalmentPlanInput
    from payinvoice.domain.instalments import Instalment, allocate, next_unpaid, split_label, step_label
    from payinvoice.domain.money import from_minor
    from payinvoice.domain.rescheduling import ordered
    from payinvoice.domain.schedule import OVERDUE_STEP, ReminderStage, Step, timeline
    from payinvoice.domain.status import InvoiceStatus
    from payinvoice.rules import CHANGEABLE, invoice_instant
    from payinvoice.webhooks import EventType


class Instalments:
    def __init__(self, state: InvoiceState, changes: Changes) -> None:
        self._state = state
        self._changes = changes

    def plan(self, request: InstalmentPlanInput, plan: list[Instalment]) -> None:
        """Put the invoice on `plan` (checked against it by payinvoice.rules)."""
        state, view = self._state, self._state.view
        view.instalments = plan
        view.paid_before_plan = view.amount_paid
        # Overdue on the old due date: the plan has dates of its own (as a later due date does).
        view.status = InvoiceStatus.OPEN
        state.steps = self._plan_steps(plan)
        self.follow_plan()
        self._changes.reschedule()
        currency = view.currency
        self._changes.note(
            EventType.INVOICE_INSTALMENTS_PLANNED,
            request.who,
            reason=request.reason,
            instalments=", ".join(f"{i.due_date}: {from_minor(i.amount, currency)} {currency}" for i in plan),
        )

    # For the reminder loop, the snapshots and the emails

    def plan_step(self, step: Step) -> Step | None:
        """The step to take: a plan's overdue transition as the invoice's own (once, while it is
        open), a plan's credit suspension as the ladder's; None for a step of an instalment paid
        meanwhile, and for an instalment's overdue transition while the invoice already is."""
        view = self._state.view
        part = split_label(step.key, len(view.instalments))
        if part is None:
            return step
        key, number = part
        if self._instalment_paid(number):
            return None
        if step.stage is not None:
            return step  # its stage carries the label: the reminder is recorded and sent as such
        if key == OVERDUE_STEP:
            view.overdue_instalments.append(number)
            if view.status != InvoiceStatus.OPEN:
                return None
        return replace(step, key=key)

    def follow_plan(self) -> None:
        """After any change of money: drop the steps of instalments now paid, make the next
        unpaid instalment's due date the invoice's, and let the status say whether an unpaid
        instalment is past due."""
        state, view = self._state, self._state.view
        plan = view.instalments
        if not plan:
            return
        kept = [s for s in state.steps if not self._of_paid_instalment(s)]
        if len(kept) != len(state.steps):
            state.steps = kept
            self._changes.reschedule()
        upcoming = next_unpaid(plan, self._paid_on_plan())
        current = upcoming or plan[-1]
        view.due_date = current.due_date
        view.due_at = invoice_instant(view, date.fromisoformat(current.due_date))
        if view.status in CHANGEABLE:
            late = upcoming is not None and upcoming.number in view.overdue_instalments
            if late and view.status == InvoiceStatus.OPEN:
                state.events.append(EventType.INVOICE_OVERDUE)  # a refund made one unpaid again
            view.status = InvoiceStatus.OVERDUE if late else InvoiceStatus.OPEN

    def plan_part(self, label: str) -> tuple[str, Instalment | None]:
        """The ladder stage's name and the instalment of a reminder's label; (label, None) for
        a reminder of the invoice as a whole."""
        view = self._state.view
        names = {stage.name for stage in self._state.input.ladder}
        part = split_label(label, len(view.instalments))
        if label in names or part is None or part[0] not in names:
            return label, None
        return part[0], view.instalments[part[1] - 1]

    def ladder_stage(self, label: str) -> ReminderStage:
        """The frozen stage a reminder was sent for, named as it was sent."""
        name, _ = self.plan_part(label)
        stage = next(s for s in self._state.input.ladder if s.name == name)
        return stage if name == label else replace(stage, name=label)

    # Helpers

    def _plan_steps(self, plan: list[Instalment]) -> list[Step]:
        """The frozen ladder once per instalment, from its due date; steps already past are not
        taken (as at issue)."""
        view, invoice = self._state.view, self._state.input
        assert view.issued_at is not None and view.issue_date is not None
        policy = invoice.policy
        now = workflow.now()
        steps = []
        for instalment in plan:
            days = (date.fromisoformat(instalment.due_date) - date.fromisoformat(view.issue_date)).days
            for step in timeline(
                view.issued_at,
                days,
                invoice.ladder,
                invoice.day_seconds,
                policy.suspend_after_days_overdue if policy else None,
            ):
                if step.at < now:
                    continue
                number = instalment.number
                stage = step.stage and replace(step.stage, name=step_label(step.stage.name, number))
                steps.append(replace(step, key=step_label(step.key, number), stage=stage))
        return ordered(steps)

    def _paid_on_plan(self) -> int:
        view = self._state.view
        return view.amount_paid - view.paid_before_plan

    def _instalment_paid(self, number: int) -> bool:
        plan = self._state.view.instalments
        return allocate(plan, self._paid_on_plan())[number - 1] >= plan[number - 1].amount

    def _of_paid_instalment(self, step: Step) -> bool:
        part = split_label(step.key, len(self._state.view.instalments))
        return part is not None and self._instalment_paid(part[1])
