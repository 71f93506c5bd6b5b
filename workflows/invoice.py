"""InvoiceWorkflow: one durable workflow per invoice, from credit decision to settlement.

The lifecycle: reserve credit, issue, wait for the due dates and remind, settle. Payments and
voids arrive as Updates at any time and interrupt the wait at once.

Every Update, Signal and Query is declared on `InvoiceWorkflow`: its validator checks the request
with payinvoice.rules (`enforce` turns a refusal into the ApplicationError the caller reads), and
its handler checks again under the lock, then delegates to a helper over the one `InvoiceState`:
`Payments`, `Charges`, `Changes`, `Instalments`, and `Effects` for every activity with a side
effect. The helpers hold no state of their own. Moving the logic into them changed no command, no
activity argument and no order, so it needs no patch: every recorded history replays.

When this code changes shape, branch on `workflow.patched(<ID>)`, record the id and its removal
condition here, and add a history to tests/replay/histories/. Patches:

- `REFUND_WINDOW_PATCH` ("settlement-refund-window-v1"): a paid invoice's workflow no longer
  completes at once. It stays for the refund window frozen into the invoice
  (`InvoiceInput.refund_window_days`, 60 days by default) so that a refund has a workflow to talk
  to. A refund that reopens the amount due puts the invoice back on its ladder where it stands by
  date (stages whose time passed meanwhile are not sent, and their suspension is not applied), and
  the lifecycle runs on from there until paid again; each payment in full opens a new window.
  Invoices paid before the patch completed, and refunds of them answer 409
  `invoice_not_refundable`. Remove the branch (stage 3, `deprecate_patch`) once no workflow that
  started before this patch is still open; delete it (stage 4) once none that recorded it is.
  Histories: `refunded_then_paid_again`.

- `NUMBER_AT_APPROVAL_PATCH` ("number-at-approval-v1"): an order approved at once takes its
  invoice number in `reserve_credit`'s transaction (`ReserveCreditInput.take_number`) instead of
  a local activity of its own (`assign_invoice_number`), one local activity and one database
  transaction fewer while the checkout waits (docs/performance.md). An order approved after review
  still takes it in `_issue`. Invoices started before replay with the separate activity. Remove
  (stage 3) once no invoice started before the patch is still in its decision or its review.
  Histories: `paid_numbered_at_approval`, `approved_after_review`.

- `MAIL_QUEUE_PATCH` ("mail-task-queue-v1", workflows/effects.py): `send_email` runs on the mail
  task queue (`mail_task_queue`), which the worker serves a few at a time, instead of the invoice
  queue. In the benchmark's scale phase hundreds of emails waited there for the one rendering
  process and took every activity slot: a payment's `save_invoice` and `adjust_credit` queued
  behind them and its checkout answered 202 (docs/performance.md). Emails sent before the patch
  replay on the invoice queue; an invoice open at the deploy sends its next email on the mail
  queue. Remove (stage 3) once no invoice that sent an email before the patch is open.
  Histories: every one recorded with it (`paid_numbered_at_approval`, `approved_after_review`).

- `NOTICE_QUEUE_PATCH` ("notice-task-queue-v1", workflows/effects.py): every email but the
  invoice email (reminders, receipts, void notices, credit notes) runs on a task queue of its own
  (`notice_task_queue`); invoice emails stay on the mail queue. In the benchmark a burst of
  checkouts left thousands of invoice emails waiting for the renderer, and a batch of reminders
  falling due then waited behind all of them (docs/performance.md). Emails sent before the patch
  replay on the mail queue (or the invoice queue, before MAIL_QUEUE_PATCH); an invoice open at
  the deploy sends its next later email on the notice queue. Remove (stage 3) once no invoice
  that sent a later email before the patch is open. Histories: `full_ladder_then_paid_on_notice_queue`.

- `EMAIL_OFF_LIFECYCLE_PATCH` ("email-off-lifecycle-v1", workflows/mail.py): the lifecycle posts
  its emails to a loop of their own and goes on, instead of awaiting each send. With the mail
  server down for days an invoice still turns overdue, fires its webhooks, suspends the buyer, takes
  payments (the reminder step no longer holds the lock through a send) and lets the payment record
  learn, on schedule; the loop sends what was posted in order and once, and records a reminder as
  sent when it was delivered. A ladder reminder whose turn comes after the invoice was paid or
  voided is dropped. An operator's resend still answers once its email is out. Runs that sent
  inline before the patch keep doing so (`workflow.patched` answers once per run). Remove (stage
  3) once no invoice that sent an email before the patch is open. Histories:
  `full_ladder_mailed_off_lifecycle`, `mail_outage_then_paid`.

- `EXTERNAL_CHECK_ACTIVITY_PATCH` ("external-check-activity-v1"): the merchant's external credit
  check runs as a regular activity instead of a local one. As a local activity it held a
  workflow-task slot of the worker for as long as the merchant's endpoint took (up to 30 s), so one
  merchant's slow endpoint could starve every other merchant's decisions; now it holds an activity
  slot, at most `credit_check_max_in_flight` per merchant and worker, behind a circuit breaker
  (activities/scoring.py, payinvoice/breaker.py). Decisions recorded before ran it locally and
  replay so. Remove (stage 3) once no invoice started before the patch is still in its decision.
  Histories: `external_check_as_activity`.

- `CONTINUE_AS_NEW_PATCH` ("continue-as-new-v1"): when Temporal suggests it (the history passed
  its event count or size threshold: thousands of partial payments, hundreds of pause/resume
  cycles) and nothing is in flight, the reminder loop or the refund window hands `InvoiceState`
  to a new run of the same workflow id (`InvoiceInput.carried`), which goes on from where the
  last one stopped: same ladder, same deadlines, the rest of the refund window. Histories
  recorded before never reached the threshold, so they replay without ever asking; the patch
  marks the runs that did continue. Keep it while any continued run may replay. Histories:
  `continued_as_new_after_many_payments`.

Changing an open invoice (extend, pause, dispute, promise: workflows/changes.py) needs no patch:
the reminder loop waits on a re-anchorable `Deadline` that, for an invoice nobody changes, emits
the very commands the plain per-step timer did (same durations, summaries and order), which the
recorded histories prove. Histories of changed invoices: `extended`, `paused_and_resumed`.
Instalment plans (workflows/instalments.py) need none either: without a plan their hooks in
`_take_step`, `Effects.send` and `Effects.save` change nothing and add no command. History:
`instalments`.

- `LATE_FEE_PATCH` ("late-fee-lines-v1", workflows/charges.py): a stage with a `late_fee`
  charges it as a fee line and records the invoice before its reminder goes out (which shows it).
  Ladders could carry late fees before they were charged; invoices started then send such
  reminders without the fee and the extra snapshot. Remove (stage 3) once none of those is
  open. Histories: `late_fee`.

Late-payment interest (`InvoiceInput.late_interest`) and the buyer's balance
(`InvoiceInput.apply_balance`) are inputs that older invoices do not have: for them the workflow
does what it always did, so they need no patch.

Webhook events ride on the existing `save_invoice` calls (`SaveInvoiceInput.events`): the
workflow decides which events a snapshot reports, and adds no command of its own for them.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow

from workflows.changes import Changes, Wake
from workflows.charges import Charges
from workflows.deadline import Deadline
from workflows.effects import Effects
from workflows.instalments import Instalments
from workflows.mail import Mailer
from workflows.options import DECISION, EXTERNAL_CHECK, SIDE_EFFECT
from workflows.options import EMAIL as EMAIL  # tests/reliability reads its timeout from here
from workflows.payments import Payments
from workflows.refusals import enforce
from workflows.state import InvoiceState, Outgoing

with workflow.unsafe.imports_passed_through():
    from activities.credit import CreditActivities
    from activities.issuing import IssuingActivities
    from activities.scoring import ScoringActivities
    from payinvoice.contracts import (
        INVOICE_WORKFLOW,
        AssignNumberInput,
        BuyerCreditInput,
        CheckoutRequest,
        CheckoutResult,
        CreditDecision,
        CreditNoteInput,
        EmailKind,
        ExtendInput,
        ExternalCheckInput,
        InstalmentPlanInput,
        InvoiceInput,
        InvoiceView,
        MarkPaidInput,
        PauseInput,
        PromiseInput,
        RecordPaymentInput,
        RecordSettlementInput,
        RefundInput,
        ReminderSent,
        ResendReminderInput,
        ReserveCreditInput,
        ResumeInput,
        Review,
        ReviewInput,
        VoidInput,
    )
    from payinvoice.domain.credit import Outcome, Rule
    from payinvoice.domain.discount import discount_deadline
    from payinvoice.domain.money import from_minor
    from payinvoice.domain.policy import days_late
    from payinvoice.domain.schedule import OVERDUE_STEP, SUSPENSION_STEP, Step, due_at, due_date, timeline
    from payinvoice.domain.status import PAYABLE, DeclineReason, InvoiceStatus
    from payinvoice.rules import (
        check_credit_note,
        check_extend,
        check_instalment_plan,
        check_mark_paid,
        check_pause,
        check_payable,
        check_payment,
        check_promise,
        check_refund,
        check_resend,
        check_resolve_dispute,
        check_resume,
        check_review,
        check_void,
        payment_recorded,
        recorded_credit_note,
        refund_recorded,
    )
    from payinvoice.webhooks import EventType

# See the module docstring: a paid invoice waits out its refund window before completing.
REFUND_WINDOW_PATCH = "settlement-refund-window-v1"
# See the module docstring: an approval takes the invoice's number with its reservation.
NUMBER_AT_APPROVAL_PATCH = "number-at-approval-v1"
# See the module docstring: the external credit check is a regular activity, off the workflow task.
EXTERNAL_CHECK_ACTIVITY_PATCH = "external-check-activity-v1"
# See the module docstring: a long history continues as new, carrying the state.
CONTINUE_AS_NEW_PATCH = "continue-as-new-v1"


@workflow.defn(name=INVOICE_WORKFLOW)
class InvoiceWorkflow:
    @workflow.init
    def __init__(self, invoice: InvoiceInput) -> None:
        self._state = InvoiceState.start(invoice)
        # Handlers and the reminder loop both call activities; one at a time keeps state coherent.
        self._lock = asyncio.Lock()
        # Wakes the reminder loop when a change moves the schedule.
        self._deadline = Deadline()
        self._changes = Changes(self._state, self._deadline)
        self._instalments = Instalments(self._state, self._changes)
        self._charges = Charges(self._state)
        self._payments = Payments(self._state, self._charges, self._changes)
        self._effects = Effects(self._state, self._charges, self._instalments)
        self._mailer = Mailer(self._state, self._effects, self._lock)

    @property
    def _view(self) -> InvoiceView:
        return self._state.view

    @workflow.run
    async def run(self, invoice: InvoiceInput) -> InvoiceView:
        mail = asyncio.create_task(self._mailer.run())  # the buyer's emails, in order, on their own
        if invoice.carried is not None:  # continued as new: on from where the last run handed over
            await self._follow_ladder(in_refund_window=self._view.status == InvoiceStatus.PAID)
        elif await self._decide_credit():
            await self._issue()
            await self._follow_ladder()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._mailer.close()
        await mail
        return self._view

    # Queries

    @workflow.query
    def get_invoice(self) -> InvoiceView:
        return self._view

    @workflow.query
    def summary(self) -> str:
        """One line for people reading the Temporal UI."""
        view = self._view
        due = f"{from_minor(view.amount_due(), view.currency)} {view.currency} due"
        parts = [view.number or view.order_id, str(view.status), due]
        if view.due_date:
            parts.append(f"by {view.due_date}")
        if view.decline_reason:
            parts.append(f"declined: {view.decline_reason}")
        if view.next_reminder:
            parts.append(f"next: {view.next_reminder.stage} at {view.next_reminder.at.isoformat()}")
        return " | ".join(parts)

    # The decision

    @workflow.update
    async def checkout(self, request: CheckoutRequest) -> CheckoutResult:
        """The checkout's wait for the credit decision; `created` tells the first request apart."""
        await workflow.wait_condition(lambda: self._state.decided)
        return CheckoutResult(self._view, created=request.request_id == self._state.input.request_id)

    @workflow.update
    async def review(self, request: ReviewInput) -> InvoiceView:
        """A person's decision on an order waiting for review; answers once it took effect."""
        self._view.review = Review(decision=request.decision, note=request.note, at=workflow.now())
        await workflow.wait_condition(lambda: self._view.status != InvoiceStatus.PENDING_REVIEW)
        async with self._lock:  # the issue or the release that follows the decision is recorded
            return self._view

    @review.validator
    def _validate_review(self, request: ReviewInput) -> None:
        enforce(check_review, self._view)

    # Money in

    @workflow.update
    async def record_payment(self, payment: RecordPaymentInput) -> InvoiceView:
        async with self._lock:
            if not payment_recorded(self._view, payment.payment_id):
                enforce(check_payable, self._view)
                await self._apply_payment(payment)
        return self._view

    @record_payment.validator
    def _validate_payment(self, payment: RecordPaymentInput) -> None:
        enforce(check_payment, self._view, payment)  # one already recorded: the invoice as it stands

    @workflow.signal
    async def payment_reported(self, payment: RecordPaymentInput) -> None:
        """The same payment, sent as a signal when no worker took the update in time: durable
        at once, applied when a worker runs. The API validated it; a payment the invoice can no
        longer take (voided meanwhile) is kept as unapplied, never dropped."""
        async with self._lock:
            if payment_recorded(self._view, payment.payment_id):
                return
            if self._view.status not in PAYABLE:
                self._payments.keep_unapplied(payment)
                await self._effects.save()
                return
            await self._apply_payment(payment)

    @workflow.update
    async def mark_paid(self, request: MarkPaidInput) -> InvoiceView:
        """Paid out of band (cheque, cash, settled elsewhere): what is due is recorded as paid so."""
        async with self._lock:
            enforce(check_mark_paid, self._view)
            self._payments.mark_paid(request)
            await self._effects.save()
            await self._effects.hold_credit()
        return self._view

    @mark_paid.validator
    def _validate_mark_paid(self, request: MarkPaidInput) -> None:
        enforce(check_mark_paid, self._view)

    # Money back

    @workflow.update
    async def refund(self, request: RefundInput) -> InvoiceView:
        """Give back (part of) a payment: the amount is due again, and a paid invoice reopens
        where the ladder has it by date. The same refund id again changes nothing."""
        async with self._lock:
            if refund_recorded(self._view, request.refund_id):
                return self._view
            enforce(check_refund, self._view, request, self._state.refunds_closed)
            self._payments.refund(request)
            await self._effects.save()
            await self._effects.hold_credit()
        return self._view

    @refund.validator
    def _validate_refund(self, request: RefundInput) -> None:
        enforce(check_refund, self._view, request, self._state.refunds_closed)

    @workflow.update
    async def credit(self, request: CreditNoteInput) -> InvoiceView:
        """A numbered credit note: less is due (an invoice credited to zero is paid by credit);
        on a paid invoice the credit goes to the buyer's balance. The same id again changes nothing."""
        async with self._lock:
            if recorded_credit_note(self._view, request.credit_note_id) is not None:
                return self._view
            enforce(check_credit_note, self._view, request, self._state.refunds_closed)
            number = await self._charges.credit_note_number(request)
            self._charges.credit(request, number)
            await self._effects.save()
            await self._effects.hold_credit()
            if self._mailer.posts():
                self._mailer.post(Outgoing(EmailKind.CREDIT_NOTE, stage=number))
            else:
                await self._effects.send(EmailKind.CREDIT_NOTE, stage=number)
        return self._view

    @credit.validator
    def _validate_credit(self, request: CreditNoteInput) -> None:
        enforce(check_credit_note, self._view, request, self._state.refunds_closed)

    # Cancelling

    @workflow.update
    async def void(self, request: VoidInput) -> InvoiceView:
        async with self._lock:
            enforce(check_void, self._view)
            self._view.status = InvoiceStatus.VOID
            self._view.void_reason = request.reason
            self._state.events.append(EventType.INVOICE_VOIDED)
            self._view.next_reminder = None
            await self._effects.save()
            await self._effects.hold_credit()
        return self._view

    @void.validator
    def _validate_void(self, request: VoidInput) -> None:
        enforce(check_void, self._view)

    # Changing the schedule (workflows/changes.py, workflows/instalments.py)

    @workflow.update
    async def extend(self, request: ExtendInput) -> InvoiceView:
        async with self._lock:
            new_date = enforce(check_extend, self._view, request)
            self._changes.extend(request, new_date)
            await self._effects.save()
        return self._view

    @extend.validator
    def _validate_extend(self, request: ExtendInput) -> None:
        enforce(check_extend, self._view, request)

    @workflow.update
    async def pause(self, request: PauseInput) -> InvoiceView:
        """A pause, or (`dispute`) a dispute: no reminders until resumed or resolved."""
        async with self._lock:
            enforce(check_pause, self._view, request, workflow.now())
            self._changes.hold(request)
            await self._effects.save()
        return self._view

    @pause.validator
    def _validate_pause(self, request: PauseInput) -> None:
        enforce(check_pause, self._view, request, workflow.now())

    @workflow.update
    async def resume(self, request: ResumeInput) -> InvoiceView:
        async with self._lock:
            enforce(check_resume, self._view)
            self._changes.resume(request.who, EventType.INVOICE_RESUMED, request.note)
            await self._effects.save()
        return self._view

    @resume.validator
    def _validate_resume(self, request: ResumeInput) -> None:
        enforce(check_resume, self._view)

    @workflow.update
    async def resolve_dispute(self, request: ResumeInput) -> InvoiceView:
        async with self._lock:
            enforce(check_resolve_dispute, self._view)
            self._changes.resume(request.who, EventType.INVOICE_DISPUTE_RESOLVED, request.note)
            await self._effects.save()
        return self._view

    @resolve_dispute.validator
    def _validate_resolve_dispute(self, request: ResumeInput) -> None:
        enforce(check_resolve_dispute, self._view)

    @workflow.update
    async def promise(self, request: PromiseInput) -> InvoiceView:
        async with self._lock:
            enforce(check_promise, self._view, request, workflow.now())
            self._changes.promise(request)
            await self._effects.save()
        return self._view

    @promise.validator
    def _validate_promise(self, request: PromiseInput) -> None:
        enforce(check_promise, self._view, request, workflow.now())

    @workflow.update
    async def plan_instalments(self, request: InstalmentPlanInput) -> InvoiceView:
        async with self._lock:
            plan = enforce(check_instalment_plan, self._view, request, workflow.now())
            self._instalments.plan(request, plan)
            await self._effects.save()
        return self._view

    @plan_instalments.validator
    def _validate_plan_instalments(self, request: InstalmentPlanInput) -> None:
        enforce(check_instalment_plan, self._view, request, workflow.now())

    # Reminders

    @workflow.update
    async def resend_reminder(self, request: ResendReminderInput) -> InvoiceView:
        """An operator sends a reminder already sent once more (the buyer lost it): a new
        message, numbered, recorded under `resent_reminders`."""
        async with self._lock:
            stage = self._instalments.ladder_stage(request.stage)
            resend = 1 + sum(r.stage == stage.name for r in self._view.resent_reminders)
            if self._mailer.posts():
                resend += self._mailer.pending_resends(stage.name)
                email = self._mailer.post(Outgoing(EmailKind.REMINDER, stage, resend=resend))
            else:
                if await self._effects.send(EmailKind.REMINDER, stage, resend=resend):
                    self._view.resent_reminders.append(ReminderSent(stage=stage.name, sent_at=workflow.now()))
                await self._effects.save()
                return self._view
        await workflow.wait_condition(lambda: email.done)  # the mail loop recorded it
        return self._view

    @resend_reminder.validator
    def _validate_resend(self, request: ResendReminderInput) -> None:
        enforce(check_resend, self._view, request)

    # The lifecycle

    async def _decide_credit(self) -> bool:
        """The merchant's external check (when it has one), then the reservation; an order that
        needs a person waits, reserved, for their review."""
        state, view = self._state, self._view
        external_decision = await self._external_decision()
        decision = await workflow.execute_local_activity_method(
            CreditActivities.reserve_credit,
            ReserveCreditInput(
                invoice_id=view.invoice_id,
                merchant_id=view.merchant_id,
                buyer_id=view.buyer_id,
                currency=view.currency,
                amount=view.total,
                policy=state.input.policy,
                external_decision=external_decision,
                take_number=workflow.patched(NUMBER_AT_APPROVAL_PATCH),
            ),
            **DECISION,
        )
        state.number, decision.issued = decision.issued, None
        self._record_decision(decision)
        if decision.outcome == Outcome.DECLINED:
            self._decline(decision)
            await self._effects.save(local=True)
            state.decided = True
            return False
        if decision.outcome == Outcome.REVIEW:
            view.status = InvoiceStatus.PENDING_REVIEW
            await self._effects.save(local=True)
            state.decided = True
            return await self._await_review()
        return True

    async def _external_decision(self) -> str:
        """The merchant's scoring answer, or "none" without asking when the checkout found no
        external check configured: one local activity (and its database read) fewer on every
        decision of such a merchant. Runs started before `InvoiceInput.external_check` existed
        replay with its default and ask, as they did."""
        invoice, view = self._state.input, self._view
        if not invoice.external_check:
            return "none"
        request = ExternalCheckInput(
            merchant_id=view.merchant_id,
            buyer_id=view.buyer_id,
            currency=view.currency,
            amount=view.total,
            day_seconds=invoice.day_seconds,
        )
        if workflow.patched(EXTERNAL_CHECK_ACTIVITY_PATCH):
            check = await workflow.execute_activity_method(
                ScoringActivities.check_credit_externally, request, **EXTERNAL_CHECK
            )
        else:
            check = await workflow.execute_local_activity_method(
                ScoringActivities.check_credit_externally, request, **EXTERNAL_CHECK
            )
        return check.decision

    async def _await_review(self) -> bool:
        """Wait for a person up to the review deadline; a decline or no answer releases the credit."""
        invoice = self._state.input
        review_days = invoice.policy.review_days if invoice.policy else 2
        try:
            await workflow.wait_condition(
                lambda: self._view.review is not None,
                timeout=review_days * invoice.day_seconds,
                timeout_summary="until review deadline",
            )
        except TimeoutError:
            pass
        review = self._view.review
        if review is not None and review.decision == "approve":
            return True
        async with self._lock:
            decision = self._view.decision
            assert decision is not None
            decision.outcome = Outcome.DECLINED
            decision.rule = Rule.MANUAL_REVIEW if review else Rule.REVIEW_DEADLINE
            decision.reason = DeclineReason.REVIEW_DECLINED if review else DeclineReason.REVIEW_EXPIRED
            self._record_decision(decision)
            self._decline(decision)
            await self._effects.save()
            await self._effects.hold_credit()
        return False

    async def _issue(self) -> None:
        state, view, invoice = self._state, self._view, self._state.input
        issued = state.number or await workflow.execute_local_activity_method(
            IssuingActivities.assign_invoice_number,
            AssignNumberInput(invoice_id=view.invoice_id, merchant_id=view.merchant_id),
            **DECISION,
        )
        async with self._lock:  # no payment or review answer sees it half issued
            now = workflow.now()
            terms = invoice.payment_terms_days
            policy = invoice.policy
            state.steps = timeline(
                now,
                terms,
                invoice.ladder,
                invoice.day_seconds,
                policy.suspend_after_days_overdue if policy else None,
            )
            view.number = issued.number
            view.payment_reference = issued.payment_reference
            view.issued_at = now
            view.issue_date = now.date().isoformat()
            view.due_at = due_at(now, terms, invoice.day_seconds)
            view.due_date = due_date(now.date(), terms).isoformat()
            view.status = InvoiceStatus.OPEN
            offer = view.early_payment_discount
            if offer is not None:
                view.discount_deadline = discount_deadline(now, offer, invoice.day_seconds)
            state.events.append(EventType.INVOICE_ISSUED)
            self._changes.refresh_next_reminder()
            if invoice.apply_balance:
                await self._charges.apply_balance()
            await self._effects.save(local=True)
            state.decided = True
            if view.amount_paid:  # the balance paid part of it: less exposure
                await self._effects.hold_credit()
        if self._mailer.posts():
            self._mailer.post(Outgoing(EmailKind.INVOICE))  # the ladder runs whatever the mail does
        else:
            await self._effects.send(EmailKind.INVOICE)

    async def _follow_ladder(self, in_refund_window: bool = False) -> None:
        """Remind until settled, settle, and wait out the refund window (again after a refund)."""
        if not in_refund_window:
            await self._remind_until_settled()
            await self._settle()
        while await self._refund_window():
            await self._remind_until_settled()
            await self._settle()

    async def _remind_until_settled(self) -> None:
        """Sleep until the next step (or the end of a hold on reminders) and take it, until paid
        or voided. A change to the schedule wakes the sleep, which starts again on the new one.
        Once the ladder is done (uncollectible) the invoice stays payable until paid or written off."""
        while not self._settled():
            self._continue_as_new_when_due()
            wake = self._changes.next_wake()
            stop = lambda: self._settled() or self._may_continue_as_new()  # noqa: E731
            if not await self._deadline.sleep_until(wake.at, wake.summary, stop):
                continue
            async with self._lock:
                if self._settled() or self._deadline.moved:
                    continue
                await self._wake_for(wake)
                await self._effects.save()

    async def _wake_for(self, wake: Wake) -> None:
        if wake.step is None:
            self._changes.end_hold()
            return
        # Off the schedule first: a query during the step already shows what comes next.
        self._state.steps.remove(wake.step)
        self._changes.refresh_next_reminder()
        await self._take_step(wake.step)

    async def _take_step(self, step: Step) -> None:
        # On an instalment plan, its step as the ladder's own; None: skipped (workflows/instalments.py).
        plan_step = self._instalments.plan_step(step)
        if plan_step is None:
            return
        step = plan_step
        # `state.events`, never a local: a snapshot (`effects.save`) takes the list and starts anew.
        state, view, effects = self._state, self._view, self._effects
        if step.key == OVERDUE_STEP:
            view.status = InvoiceStatus.OVERDUE
            state.events.append(EventType.INVOICE_OVERDUE)
            return
        if step.key == SUSPENSION_STEP:
            await effects.suspend_buyer("overdue")
            return
        stage = step.stage
        assert stage is not None
        if stage.sends_email and self._charges.charge_before_reminder(stage):
            await effects.save()  # the reminder shows the fee and the interest up to today
        if stage.sends_email and self._mailer.posts():
            self._mailer.post(Outgoing(EmailKind.REMINDER, stage))  # counted as sent when delivered
        elif stage.sends_email and await effects.send(EmailKind.REMINDER, stage):
            view.reminders.append(ReminderSent(stage=stage.name, sent_at=workflow.now()))
            state.events.append(EventType.INVOICE_REMINDER_SENT)
        if stage.suspends_credit:
            view.final_notice_sent = True
            await effects.suspend_buyer("final_notice")
        if stage.marks_uncollectible:
            view.status = InvoiceStatus.UNCOLLECTIBLE
            state.events.append(EventType.INVOICE_UNCOLLECTIBLE)
            await effects.hold_credit()

    async def _settle(self) -> None:
        """Paid or voided (the credit was released by the update): tell the buyer, let the
        payment record learn, and lift a suspension this invoice may have caused."""
        view, invoice = self._view, self._state.input
        paid = view.status == InvoiceStatus.PAID
        notice = EmailKind.RECEIPT if paid else EmailKind.VOID
        if self._mailer.posts():
            self._mailer.post(Outgoing(notice))  # the payment record learns now, not after the mail
        else:
            await self._effects.send(notice)
        if paid and view.due_at is not None:
            last_paid_at = max((p.paid_at for p in view.payments), default=workflow.now())
            await workflow.execute_activity_method(
                CreditActivities.record_settlement,
                RecordSettlementInput(
                    buyer_id=view.buyer_id,
                    invoice_id=view.invoice_id,
                    days_late=days_late(view.due_at, last_paid_at, invoice.day_seconds),
                    policy=invoice.policy,
                    day_seconds=invoice.day_seconds,
                ),
                **SIDE_EFFECT,
            )
        await workflow.execute_activity_method(
            CreditActivities.reinstate_buyer,
            BuyerCreditInput(
                buyer_id=view.buyer_id, invoice_id=view.invoice_id, day_seconds=invoice.day_seconds
            ),
            **SIDE_EFFECT,
        )

    async def _refund_window(self) -> bool:
        """After a payment in full, wait out the refund window (patched runs only); True when a
        refund reopened the invoice (even during the receipt), False when the window closed or
        the invoice was voided."""
        state, invoice = self._state, self._state.input
        if self._view.status == InvoiceStatus.VOID or not workflow.patched(REFUND_WINDOW_PATCH):
            return False
        window = timedelta(seconds=invoice.refund_window_days * invoice.day_seconds)
        # A run continued as new during the window waits out what is left of it.
        closes_at = state.window_closes_at = state.window_closes_at or workflow.now() + window
        try:
            while True:
                await workflow.wait_condition(
                    lambda: self._view.status != InvoiceStatus.PAID or self._may_continue_as_new(),
                    timeout=(closes_at - workflow.now()).total_seconds(),
                    timeout_summary="until refund window closes",
                )
                if self._view.status != InvoiceStatus.PAID:
                    break
                self._continue_as_new_when_due()
        except TimeoutError:
            state.refunds_closed = True  # validators refuse from now on
            await workflow.wait_condition(workflow.all_handlers_finished)  # one taken just before
        reopened = self._view.status != InvoiceStatus.PAID
        state.refunds_closed = not reopened
        state.window_closes_at = None
        return reopened

    # Continue-as-new: a long-lived invoice keeps a short history

    def _may_continue_as_new(self) -> bool:
        """Temporal suggests a new run (the history grew long: thousands of partial payments or
        changes) and nothing is in flight: no handler, no step under the lock. An email being
        sent does not hold it up (SMTP may be down for days while payments keep coming): the
        outbox goes over with the state, and the next run sends its first email again, which the
        email log by Message-ID turns into a no-op if the abandoned attempt delivered it."""
        return (
            workflow.info().is_continue_as_new_suggested()
            and workflow.all_handlers_finished()
            and not self._lock.locked()
        )

    def _continue_as_new_when_due(self) -> None:
        """Hand the state over to a new run of this invoice (same workflow id, fresh history);
        nothing happens when the history is short or something is still in flight."""
        if self._may_continue_as_new() and workflow.patched(CONTINUE_AS_NEW_PATCH):
            workflow.continue_as_new(self._state.carried_over())

    # Helpers

    async def _apply_payment(self, payment: RecordPaymentInput) -> None:
        self._payments.apply(payment)
        await self._effects.save()
        await self._effects.hold_credit()

    def _decline(self, decision: CreditDecision) -> None:
        self._view.status = InvoiceStatus.DECLINED
        self._view.decline_reason = decision.reason
        self._state.events.append(EventType.INVOICE_DECLINED)

    def _record_decision(self, decision: CreditDecision) -> None:
        """On the invoice, and in the memo so that the Temporal UI shows why."""
        self._view.decision = decision
        workflow.upsert_memo({"decision": decision})

    def _settled(self) -> bool:
        return self._view.status in (InvoiceStatus.PAID, InvoiceStatus.VOID)
