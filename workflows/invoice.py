"""InvoiceWorkflow: one durable workflow per invoice, from credit decision to settlement.

The lifecycle: reserve credit, issue, wait for the due dates and remind, settle. Payments and
voids arrive as Updates at any time and interrupt the wait at once.

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
  transaction fewer while the checkout waits (bench/README.md). An order approved after review
  still takes it in `_issue`. Invoices started before replay with the separate activity. Remove
  (stage 3) once no invoice started before the patch is still in its decision or its review.
  Histories: `paid_numbered_at_approval`, `approved_after_review`.

- `MAIL_QUEUE_PATCH` ("mail-task-queue-v1"): `send_email` runs on the mail task queue
  (`mail_task_queue`), which the worker serves a few at a time, instead of the invoice queue. In
  the benchmark's scale phase hundreds of emails waited there for the one rendering process and
  took every activity slot: a payment's `save_invoice` and `adjust_credit` queued behind them
  and its checkout answered 202 (bench/README.md). Emails sent before the patch replay on the
  invoice queue; an invoice open at the deploy sends its next email on the mail queue. Remove
  (stage 3) once no invoice that sent an email before the patch is open. Histories: every one
  recorded with it (`paid_numbered_at_approval`, `approved_after_review`).

- `NOTICE_QUEUE_PATCH` ("notice-task-queue-v1"): every email but the invoice email (reminders,
  receipts, void notices, credit notes) runs on a task queue of its own (`notice_task_queue`);
  invoice emails stay on the mail queue. In the benchmark a burst of checkouts left thousands of
  invoice emails waiting for the renderer, and a batch of reminders falling due then waited
  behind all of them (bench/README.md). Emails sent before the patch replay on the mail queue
  (or the invoice queue, before MAIL_QUEUE_PATCH); an invoice open at the deploy sends its next
  later email on the notice queue. Remove (stage 3) once no invoice that sent a later email
  before the patch is open. Histories: `full_ladder_then_paid_on_notice_queue`.

Changing an open invoice (extend, pause, dispute, promise: workflows/changes.py) needs no patch:
the reminder loop waits on a re-anchorable `Deadline` that, for an invoice nobody changes, emits
the very commands the plain per-step timer did (same durations, summaries and order), which the
recorded histories prove. Histories of changed invoices: `extended`, `paused_and_resumed`.
Instalment plans (workflows/instalments.py) need none either: without a plan their hooks in
`_take_step`, `_send` and `_save` change nothing and add no command. History: `instalments`.

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
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from workflows.changes import InvoiceChanges, Wake
from workflows.charges import InvoiceCharges
from workflows.deadline import Deadline
from workflows.instalments import InvoiceInstalments

with workflow.unsafe.imports_passed_through():
    from activities.credit import CreditActivities
    from activities.email import EmailActivities
    from activities.issuing import IssuingActivities
    from activities.scoring import ScoringActivities
    from payinvoice.contracts import (
        INVOICE_WORKFLOW,
        AdjustCreditInput,
        AssignNumberInput,
        BuyerCreditInput,
        CheckoutRequest,
        CheckoutResult,
        CreditDecision,
        EmailFailure,
        EmailKind,
        ErrorType,
        ExternalCheckInput,
        InvoiceInput,
        InvoiceNumber,
        InvoiceView,
        LedgerKind,
        MarkedPaid,
        MarkPaidInput,
        Movement,
        NextReminder,
        Payment,
        RecordPaymentInput,
        RecordSettlementInput,
        Refund,
        RefundInput,
        ReminderSent,
        ResendReminderInput,
        ReserveCreditInput,
        Review,
        ReviewInput,
        SaveInvoiceInput,
        SendEmailInput,
        VoidInput,
        mail_task_queue,
        new_invoice_view,
        notice_task_queue,
    )
    from payinvoice.domain.credit import Outcome, Rule
    from payinvoice.domain.discount import discount_deadline
    from payinvoice.domain.dunning import tone_of
    from payinvoice.domain.money import exponent, from_minor
    from payinvoice.domain.policy import days_late
    from payinvoice.domain.schedule import (
        OVERDUE_STEP,
        SUSPENSION_STEP,
        ReminderStage,
        Step,
        due_at,
        due_date,
        timeline,
    )
    from payinvoice.domain.status import (
        EXPOSED,
        PAYABLE,
        VOIDABLE,
        DeclineReason,
        InvoiceStatus,
    )
    from payinvoice.search import (
        AMOUNT_DUE,
        BUYER_ID,
        DUE_DATE,
        DUNNING_STAGE,
        INVOICE_NUMBER,
        INVOICE_STATUS,
        MERCHANT_ID,
        ORDER_ID,
    )
    from payinvoice.webhooks import EventType

# See the module docstring: a paid invoice waits out its refund window before completing.
REFUND_WINDOW_PATCH = "settlement-refund-window-v1"
# See the module docstring: an approval takes the invoice's number with its reservation.
NUMBER_AT_APPROVAL_PATCH = "number-at-approval-v1"
# See the module docstring: emails go to a task queue of their own.
MAIL_QUEUE_PATCH = "mail-task-queue-v1"
# See the module docstring: every email after the invoice email goes to a queue of its own.
NOTICE_QUEUE_PATCH = "notice-task-queue-v1"
# What an invoice may be refunded in: it has taken payments (and is not void or declined).
REFUNDABLE = PAYABLE | {InvoiceStatus.PAID}
# The decision path runs as local activities: no server round trip while the checkout waits.
DECISION = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=2)),
}
# The merchant's scoring endpoint has its own hard timeout (at most 30 s) inside the activity.
EXTERNAL_CHECK = {**DECISION, "start_to_close_timeout": timedelta(seconds=35)}
# Database writes retry until they succeed: an outage delays them, never drops them. The timeout
# is short because it is also how long an attempt lost with a killed worker holds the invoice up.
SIDE_EFFECT = {
    "start_to_close_timeout": timedelta(seconds=15),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=5)),
}
# An email renders its PDF and talks SMTP (which times out after 30 s) in one attempt.
EMAIL = {**SIDE_EFFECT, "start_to_close_timeout": timedelta(seconds=60)}


@workflow.defn(name=INVOICE_WORKFLOW)
class InvoiceWorkflow(InvoiceChanges, InvoiceCharges, InvoiceInstalments):
    @workflow.init
    def __init__(self, invoice: InvoiceInput) -> None:
        self._input = invoice
        self._view = new_invoice_view(invoice)
        self._decided = False
        self._number: InvoiceNumber | None = None  # taken with the approval (NUMBER_AT_APPROVAL_PATCH)
        self._steps: list[Step] = []
        self._version = 0
        # Webhook events and ledger movements that the next snapshot reports.
        self._events: list[str] = []
        self._movements: list[Movement] = []
        # Where the ladder had the invoice when it was paid in full: a refund reopens it there.
        self._status_when_paid = InvoiceStatus.OPEN
        self._refunds_closed = False
        # Handlers and the reminder loop both call activities; one at a time keeps state coherent.
        self._lock = asyncio.Lock()
        # Wakes the reminder loop when a change (workflows/changes.py) moves the schedule.
        self._deadline = Deadline()
        self._event_context = {}

    @workflow.run
    async def run(self, invoice: InvoiceInput) -> InvoiceView:
        if await self._decide_credit():
            await self._issue()
            await self._remind_until_settled()
            await self._settle()
            while await self._refund_window():
                await self._remind_until_settled()
                await self._settle()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view

    # Messages

    @workflow.query
    def get_invoice(self) -> InvoiceView:
        return self._view

    @workflow.query
    def summary(self) -> str:
        """One line for people reading the Temporal UI."""
        view = self._view
        due = f"{from_minor(self._amount_due(), view.currency)} {view.currency} due"
        parts = [view.number or view.order_id, str(view.status), due]
        if view.due_date:
            parts.append(f"by {view.due_date}")
        if view.decline_reason:
            parts.append(f"declined: {view.decline_reason}")
        if view.next_reminder:
            parts.append(f"next: {view.next_reminder.stage} at {view.next_reminder.at.isoformat()}")
        return " | ".join(parts)

    @workflow.update
    async def checkout(self, request: CheckoutRequest) -> CheckoutResult:
        """The checkout's wait for the credit decision; `created` tells the first request apart."""
        await workflow.wait_condition(lambda: self._decided)
        return CheckoutResult(self._view, created=request.request_id == self._input.request_id)

    @workflow.update
    async def record_payment(self, payment: RecordPaymentInput) -> InvoiceView:
        async with self._lock:
            if not self._already_recorded(payment.payment_id):
                self._check_payable()
                await self._apply_payment(payment)
        return self._view

    @workflow.signal
    async def payment_reported(self, payment: RecordPaymentInput) -> None:
        """The same payment, sent as a signal when no worker took the update in time: durable
        at once, applied when a worker runs. The API validated it; a payment the invoice can no
        longer take (voided meanwhile) is kept as unapplied, never dropped."""
        async with self._lock:
            if self._already_recorded(payment.payment_id):
                return
            if self._view.status not in PAYABLE:
                self._view.unapplied_payments.append(self._payment(payment))
                self._movements.append(self._movement(LedgerKind.UNAPPLIED_PAYMENT, payment))
                await self._save()
                return
            await self._apply_payment(payment)

    @record_payment.validator
    def _validate_payment(self, payment: RecordPaymentInput) -> None:
        if self._already_recorded(payment.payment_id):
            return  # answered with the invoice as it stands
        if payment.amount <= 0:
            raise ApplicationError("amount must be greater than 0", type=ErrorType.INVALID_AMOUNT)
        if payment.currency != self._view.currency:
            raise ApplicationError(
                f"payment in {payment.currency}, invoice in {self._view.currency}",
                type=ErrorType.CURRENCY_MISMATCH,
            )
        self._check_payable()

    @workflow.update
    async def void(self, request: VoidInput) -> InvoiceView:
        async with self._lock:
            self._check_voidable()
            self._view.status = InvoiceStatus.VOID
            self._view.void_reason = request.reason
            self._events.append(EventType.INVOICE_VOIDED)
            self._view.next_reminder = None
            await self._save()
            await self._hold_credit()
        return self._view

    @void.validator
    def _validate_void(self, request: VoidInput) -> None:
        self._check_voidable()

    @workflow.update
    async def resend_reminder(self, request: ResendReminderInput) -> InvoiceView:
        """An operator sends a reminder already sent once more (the buyer lost it): a new
        message, numbered, recorded under `resent_reminders`."""
        async with self._lock:
            stage = self._ladder_stage(request.stage)
            resend = 1 + sum(r.stage == stage.name for r in self._view.resent_reminders)
            if await self._send(EmailKind.REMINDER, stage, resend=resend):
                self._view.resent_reminders.append(ReminderSent(stage=stage.name, sent_at=workflow.now()))
            await self._save()
        return self._view

    @resend_reminder.validator
    def _validate_resend(self, request: ResendReminderInput) -> None:
        self._check_payable()
        if not any(r.stage == request.stage for r in self._view.reminders):
            raise ApplicationError(
                f"reminder {request.stage!r} was not sent on this invoice", type=ErrorType.REMINDER_NOT_SENT
            )

    @workflow.update
    async def refund(self, request: RefundInput) -> InvoiceView:
        """Give back (part of) a payment: the amount is due again, and a paid invoice reopens
        where the ladder has it by date. The same refund id again changes nothing."""
        async with self._lock:
            if self._refund_recorded(request.refund_id):
                return self._view
            self._check_refund(request)
            now = workflow.now()
            self._view.refunds.append(
                Refund(request.refund_id, request.payment_id, request.amount, now, request.reason)
            )
            self._view.amount_paid -= request.amount
            self._movements.append(
                Movement(LedgerKind.REFUND, -request.amount, "refund", request.refund_id, now)
            )
            self._events.append(EventType.INVOICE_REFUNDED)
            if self._view.status == InvoiceStatus.PAID and self._amount_due() > 0:
                self._reopen(now)
            await self._save()
            await self._hold_credit()
        return self._view

    @refund.validator
    def _validate_refund(self, request: RefundInput) -> None:
        if not self._refund_recorded(request.refund_id):
            self._check_refund(request)

    @workflow.update
    async def mark_paid(self, request: MarkPaidInput) -> InvoiceView:
        """Paid out of band (cheque, cash, settled elsewhere): what is due is recorded as paid so."""
        async with self._lock:
            self._check_markable()
            info = workflow.current_update_info()
            self._accrue()  # interest up to today is part of what is marked paid
            amount = self._amount_due()
            self._view.amount_paid += amount
            self._view.paid_by, self._view.paid_by_reason = "out_of_band", request.reason
            self._view.marked_paid.append(MarkedPaid(amount, request.reason, workflow.now()))
            self._movements.append(
                Movement(
                    LedgerKind.MARK_PAID,
                    amount,
                    "out_of_band",
                    info.id if info else self._view.invoice_id,
                    workflow.now(),
                )
            )
            self._paid_in_full()
            await self._save()
            await self._hold_credit()
        return self._view

    @mark_paid.validator
    def _validate_mark_paid(self, request: MarkPaidInput) -> None:
        self._check_markable()

    @workflow.update
    async def review(self, request: ReviewInput) -> InvoiceView:
        """A person's decision on an order waiting for review; answers once it took effect."""
        self._view.review = Review(decision=request.decision, note=request.note, at=workflow.now())
        await workflow.wait_condition(lambda: self._view.status != InvoiceStatus.PENDING_REVIEW)
        async with self._lock:  # the issue or the release that follows the decision is recorded
            return self._view

    @review.validator
    def _validate_review(self, request: ReviewInput) -> None:
        if self._view.status != InvoiceStatus.PENDING_REVIEW or self._view.review is not None:
            raise ApplicationError(
                f"invoice is {self._view.status}, not waiting for review",
                type=ErrorType.INVOICE_NOT_IN_REVIEW,
            )

    # The lifecycle

    async def _decide_credit(self) -> bool:
        """The merchant's external check (when it has one), then the reservation; an order that
        needs a person waits, reserved, for their review."""
        external_decision = await self._external_decision()
        decision = await workflow.execute_local_activity_method(
            CreditActivities.reserve_credit,
            ReserveCreditInput(
                invoice_id=self._view.invoice_id,
                merchant_id=self._view.merchant_id,
                buyer_id=self._view.buyer_id,
                currency=self._view.currency,
                amount=self._view.total,
                policy=self._input.policy,
                external_decision=external_decision,
                take_number=workflow.patched(NUMBER_AT_APPROVAL_PATCH),
            ),
            **DECISION,
        )
        self._number, decision.issued = decision.issued, None
        self._record_decision(decision)
        if decision.outcome == Outcome.DECLINED:
            self._decline(decision)
            await self._save(local=True)
            self._decided = True
            return False
        if decision.outcome == Outcome.REVIEW:
            self._view.status = InvoiceStatus.PENDING_REVIEW
            await self._save(local=True)
            self._decided = True
            return await self._await_review()
        return True

    async def _external_decision(self) -> str:
        """The merchant's scoring answer, or "none" without asking when the checkout found no
        external check configured: one local activity (and its database read) fewer on every
        decision of such a merchant. Runs started before `InvoiceInput.external_check` existed
        replay with its default and ask, as they did."""
        if not self._input.external_check:
            return "none"
        check = await workflow.execute_local_activity_method(
            ScoringActivities.check_credit_externally,
            ExternalCheckInput(
                merchant_id=self._view.merchant_id,
                buyer_id=self._view.buyer_id,
                currency=self._view.currency,
                amount=self._view.total,
                day_seconds=self._input.day_seconds,
            ),
            **EXTERNAL_CHECK,
        )
        return check.decision

    async def _await_review(self) -> bool:
        """Wait for a person up to the review deadline; a decline or no answer releases the credit."""
        review_days = self._input.policy.review_days if self._input.policy else 2
        try:
            await workflow.wait_condition(
                lambda: self._view.review is not None,
                timeout=review_days * self._input.day_seconds,
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
            await self._save()
            await self._hold_credit()
        return False

    async def _issue(self) -> None:
        issued = self._number or await workflow.execute_local_activity_method(
            IssuingActivities.assign_invoice_number,
            AssignNumberInput(invoice_id=self._view.invoice_id, merchant_id=self._view.merchant_id),
            **DECISION,
        )
        async with self._lock:  # no payment or review answer sees it half issued
            now = workflow.now()
            terms = self._input.payment_terms_days
            policy = self._input.policy
            self._steps = timeline(
                now,
                terms,
                self._input.ladder,
                self._input.day_seconds,
                policy.suspend_after_days_overdue if policy else None,
            )
            self._view.number = issued.number
            self._view.payment_reference = issued.payment_reference
            self._view.issued_at = now
            self._view.issue_date = now.date().isoformat()
            self._view.due_at = due_at(now, terms, self._input.day_seconds)
            self._view.due_date = due_date(now.date(), terms).isoformat()
            self._view.status = InvoiceStatus.OPEN
            offer = self._view.early_payment_discount
            if offer is not None:
                self._view.discount_deadline = discount_deadline(now, offer, self._input.day_seconds)
            self._events.append(EventType.INVOICE_ISSUED)
            self._refresh_next_reminder()
            if self._input.apply_balance:
                await self._apply_balance()
            await self._save(local=True)
            self._decided = True
            if self._view.amount_paid:  # the balance paid part of it: less exposure
                await self._hold_credit()
        await self._send(EmailKind.INVOICE)

    async def _remind_until_settled(self) -> None:
        """Sleep until the next step (or the end of a hold on reminders) and take it, until paid
        or voided. A change to the schedule wakes the sleep, which starts again on the new one.
        Once the ladder is done (uncollectible) the invoice stays payable until paid or written off."""
        while not self._settled():
            wake = self._next_wake()
            if not await self._deadline.sleep_until(wake.at, wake.summary, self._settled):
                continue
            async with self._lock:
                if self._settled() or self._deadline.moved:
                    continue
                await self._wake_for(wake)
                await self._save()

    async def _wake_for(self, wake: Wake) -> None:
        if wake.step is None:
            self._end_hold()
            return
        # Off the schedule first: a query during the step already shows what comes next.
        self._steps.remove(wake.step)
        self._refresh_next_reminder()
        await self._take_step(wake.step)

    async def _settle(self) -> None:
        """Paid or voided (the credit was released by the update): tell the buyer, let the
        payment record learn, and lift a suspension this invoice may have caused."""
        paid = self._view.status == InvoiceStatus.PAID
        await self._send(EmailKind.RECEIPT if paid else EmailKind.VOID)
        if paid and self._view.due_at is not None:
            last_paid_at = max((p.paid_at for p in self._view.payments), default=workflow.now())
            await workflow.execute_activity_method(
                CreditActivities.record_settlement,
                RecordSettlementInput(
                    buyer_id=self._view.buyer_id,
                    invoice_id=self._view.invoice_id,
                    days_late=days_late(self._view.due_at, last_paid_at, self._input.day_seconds),
                    policy=self._input.policy,
                    day_seconds=self._input.day_seconds,
                ),
                **SIDE_EFFECT,
            )
        await workflow.execute_activity_method(
            CreditActivities.reinstate_buyer,
            BuyerCreditInput(
                buyer_id=self._view.buyer_id,
                invoice_id=self._view.invoice_id,
                day_seconds=self._input.day_seconds,
            ),
            **SIDE_EFFECT,
        )

    # Helpers

    async def _take_step(self, step: Step) -> None:
        # On an instalment plan, its step as the ladder's own; None: skipped (workflows/instalments.py).
        plan_step = self._plan_step(step)
        if plan_step is None:
            return
        step = plan_step
        if step.key == OVERDUE_STEP:
            self._view.status = InvoiceStatus.OVERDUE
            self._events.append(EventType.INVOICE_OVERDUE)
            return
        if step.key == SUSPENSION_STEP:
            await self._suspend_buyer("overdue")
            return
        stage = step.stage
        assert stage is not None
        if stage.sends_email and self._charge_before_reminder(stage):
            await self._save()  # the reminder shows the fee and the interest up to today
        if stage.sends_email and await self._send(EmailKind.REMINDER, stage):
            self._view.reminders.append(ReminderSent(stage=stage.name, sent_at=workflow.now()))
            self._events.append(EventType.INVOICE_REMINDER_SENT)
        if stage.suspends_credit:
            self._view.final_notice_sent = True
            await self._suspend_buyer("final_notice")
        if stage.marks_uncollectible:
            self._view.status = InvoiceStatus.UNCOLLECTIBLE
            self._events.append(EventType.INVOICE_UNCOLLECTIBLE)
            await self._hold_credit()

    async def _apply_payment(self, payment: RecordPaymentInput) -> None:
        self._view.payments.append(self._payment(payment))
        self._view.amount_paid += payment.amount
        self._movements.append(self._movement(LedgerKind.PAYMENT, payment))
        self._events.append(EventType.INVOICE_PAYMENT_RECEIVED)
        self._accrue()
        self._take_early_payment_discount(payment.paid_at or workflow.now())
        if self._amount_due() == 0:
            self._paid_in_full()
        await self._save()
        await self._hold_credit()

    def _paid_in_full(self) -> None:
        self._status_when_paid = self._view.status
        self._view.status = InvoiceStatus.PAID
        self._view.next_reminder = None
        self._events.append(EventType.INVOICE_PAID)

    async def _refund_window(self) -> bool:
        """After a payment in full, wait out the refund window (patched runs only); True when a
        refund reopened the invoice (even during the receipt), False when the window closed or
        the invoice was voided."""
        if self._view.status == InvoiceStatus.VOID or not workflow.patched(REFUND_WINDOW_PATCH):
            return False
        try:
            await workflow.wait_condition(
                lambda: self._view.status != InvoiceStatus.PAID,
                timeout=self._input.refund_window_days * self._input.day_seconds,
                timeout_summary="until refund window closes",
            )
        except TimeoutError:
            self._refunds_closed = True  # validators refuse from now on
            await workflow.wait_condition(workflow.all_handlers_finished)  # one taken just before
        reopened = self._view.status != InvoiceStatus.PAID
        self._refunds_closed = not reopened
        return reopened

    def _reopen(self, now: datetime) -> None:
        """Back on the ladder where it stands by date: the steps whose time passed while it was
        paid move its status on, but send nothing and suspend nobody."""
        passed = [step for step in self._steps if step.at <= now]
        self._steps = [step for step in self._steps if step.at > now]
        status = self._status_when_paid
        for step in passed:
            if step.key == OVERDUE_STEP and status == InvoiceStatus.OPEN:
                status = InvoiceStatus.OVERDUE
            elif step.stage is not None and step.stage.marks_uncollectible:
                status = InvoiceStatus.UNCOLLECTIBLE
        self._view.status = status
        self._refresh_next_reminder()

    def _movement(self, kind: LedgerKind, payment: RecordPaymentInput) -> Movement:
        return Movement(
            kind, payment.amount, payment.method, payment.payment_id, payment.paid_at or workflow.now()
        )

    def _payment(self, payment: RecordPaymentInput) -> Payment:
        return Payment(
            payment_id=payment.payment_id,
            amount=payment.amount,
            currency=payment.currency,
            paid_at=payment.paid_at or workflow.now(),
            method=payment.method,
        )

    async def _suspend_buyer(self, reason: str) -> None:
        self._view.suspends_buyer = True
        await workflow.execute_activity_method(
            CreditActivities.suspend_buyer,
            BuyerCreditInput(
                buyer_id=self._view.buyer_id,
                invoice_id=self._view.invoice_id,
                reason=reason,
                day_seconds=self._input.day_seconds,
            ),
            **SIDE_EFFECT,
        )

    def _decline(self, decision: CreditDecision) -> None:
        self._view.status = InvoiceStatus.DECLINED
        self._view.decline_reason = decision.reason
        self._events.append(EventType.INVOICE_DECLINED)

    def _record_decision(self, decision: CreditDecision) -> None:
        """On the invoice, and in the memo so that the Temporal UI shows why."""
        self._view.decision = decision
        workflow.upsert_memo({"decision": decision})

    def _mail_queue(self, kind: EmailKind) -> str | None:
        """The invoice email on the mail queue (MAIL_QUEUE_PATCH) and every later one on the
        notice queue (NOTICE_QUEUE_PATCH); None: this invoice's own queue."""
        own = workflow.info().task_queue
        if kind != EmailKind.INVOICE and workflow.patched(NOTICE_QUEUE_PATCH):
            return notice_task_queue(own)
        if workflow.patched(MAIL_QUEUE_PATCH):
            return mail_task_queue(own)
        return None

    async def _send(
        self,
        kind: EmailKind,
        reminder: ReminderStage | None = None,
        resend: int = 0,
        stage: str | None = None,
    ) -> bool:
        # A reminder carries its frozen stage (the merchant's own subject and body) and its tone;
        # other emails sent more than once per invoice (credit notes) name theirs in `stage`.
        stage = reminder.name if reminder else stage
        # On an instalment plan a reminder's stage is named after its instalment (`due-i2`).
        name, instalment = self._plan_part(stage) if reminder and stage else (stage, None)
        tone = tone_of(self._input.ladder, name) if reminder and name else None
        result = await workflow.execute_activity_method(
            EmailActivities.send_email,
            SendEmailInput(
                invoice_id=self._view.invoice_id,
                kind=kind,
                stage=stage,
                reminder=reminder,
                tone=tone,
                resend=resend,
                instalment=instalment,
            ),
            summary=f"send_{kind}:{stage}" if stage else f"send_{kind}",
            task_queue=self._mail_queue(kind),
            **EMAIL,
        )
        if not result.delivered:
            self._view.email_failures.append(
                EmailFailure(kind=kind, stage=stage, error=result.error or "", at=workflow.now())
            )
        return result.delivered

    async def _save(self, local: bool = False) -> None:
        """Record the invoice's new state: the read model, the webhook events it reports, and
        the UI's search attributes. The first snapshot reports the invoice's creation."""
        self._follow_plan()
        self._accrue()
        self._move_overpayment_to_balance()
        self._upsert_search_attributes()
        events = [EventType.INVOICE_CREATED] if self._view.version == 0 else []
        events += self._events
        self._log_events([str(e) for e in events])
        self._events = []
        movements, self._movements = self._movements, []
        self._view.version = self._next_version()
        request = SaveInvoiceInput(
            invoice=self._view,
            events=[str(e) for e in events],
            day_seconds=self._input.day_seconds,
            movements=movements,
        )
        if local:
            await workflow.execute_local_activity_method(IssuingActivities.save_invoice, request, **DECISION)
        else:
            await workflow.execute_activity_method(IssuingActivities.save_invoice, request, **SIDE_EFFECT)

    async def _hold_credit(self) -> None:
        """Make the credit this invoice holds equal to what still counts as exposure."""
        held = self._amount_due() if self._view.status in EXPOSED else 0
        await workflow.execute_activity_method(
            CreditActivities.adjust_credit,
            AdjustCreditInput(invoice_id=self._view.invoice_id, amount=held, version=self._next_version()),
            **SIDE_EFFECT,
        )

    def _upsert_search_attributes(self) -> None:
        view = self._view
        updates = [
            INVOICE_STATUS.value_set(str(view.status)),
            ORDER_ID.value_set(view.order_id),
            MERCHANT_ID.value_set(view.merchant_id),
            BUYER_ID.value_set(view.buyer_id),
            AMOUNT_DUE.value_set(self._amount_due() / 10 ** exponent(view.currency)),
        ]
        if view.number:
            updates.append(INVOICE_NUMBER.value_set(view.number))
        if view.due_at:
            updates.append(DUE_DATE.value_set(view.due_at))
        if view.reminders:
            updates.append(DUNNING_STAGE.value_set(view.reminders[-1].stage))
        workflow.upsert_search_attributes(updates)

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def _refresh_next_reminder(self) -> None:
        # While a hold is on, no reminder is scheduled.
        upcoming = None if self._holding() else next((s for s in self._steps if s.stage is not None), None)
        self._view.next_reminder = NextReminder(upcoming.key, upcoming.at) if upcoming else None

    def _amount_due(self) -> int:
        return self._view.amount_due()

    def _settled(self) -> bool:
        return self._view.status in (InvoiceStatus.PAID, InvoiceStatus.VOID)

    def _already_recorded(self, payment_id: str) -> bool:
        recorded = self._view.payments + self._view.unapplied_payments
        return any(p.payment_id == payment_id for p in recorded)

    def _check_payable(self) -> None:
        if self._view.status not in PAYABLE:
            raise ApplicationError(
                f"invoice is {self._view.status}: payments are not accepted",
                type=ErrorType.INVOICE_NOT_PAYABLE,
            )

    def _refund_recorded(self, refund_id: str) -> bool:
        return any(r.refund_id == refund_id for r in self._view.refunds)

    def _check_refund(self, request: RefundInput) -> None:
        if self._view.status not in REFUNDABLE or self._refunds_closed:
            raise ApplicationError(
                f"invoice is {self._view.status}: refunds are not accepted"
                + (" (refund window closed)" if self._refunds_closed else ""),
                type=ErrorType.INVOICE_NOT_REFUNDABLE,
            )
        if request.amount <= 0:
            raise ApplicationError("amount must be greater than 0", type=ErrorType.INVALID_AMOUNT)
        left = self._view.left_to_refund(request.payment_id)
        if left is None:
            raise ApplicationError(
                f"invoice has no payment {request.payment_id!r}", type=ErrorType.PAYMENT_NOT_FOUND
            )
        if request.amount > left:
            raise ApplicationError(
                f"payment {request.payment_id!r} has {from_minor(left, self._view.currency)} "
                f"{self._view.currency} left to refund",
                type=ErrorType.REFUND_EXCEEDS_PAYMENT,
            )

    def _check_markable(self) -> None:
        if self._view.status not in PAYABLE:
            raise ApplicationError(
                f"invoice is {self._view.status} and cannot be marked paid",
                type=ErrorType.INVOICE_NOT_MARKABLE_PAID,
            )

    def _check_voidable(self) -> None:
        if self._view.amount_paid > 0:
            raise ApplicationError(
                "invoice has payments and cannot be voided", type=ErrorType.INVOICE_HAS_PAYMENTS
            )
        if self._view.status not in VOIDABLE:
            raise ApplicationError(
                f"invoice is {self._view.status} and cannot be voided",
                type=ErrorType.INVOICE_NOT_VOIDABLE,
            )
