"""Money in and back out, a plain helper over the workflow's state: payments, refunds, and what
the merchant marks paid out of band. InvoiceWorkflow's Updates check each request first
(payinvoice.rules), call these, and then record the invoice and adjust its credit.
"""

from datetime import datetime

from temporalio import workflow

from workflows.changes import Changes
from workflows.charges import Charges
from workflows.state import InvoiceState

with workflow.unsafe.imports_passed_through():
    from payinvoice.contracts import (
        LedgerKind,
        MarkedPaid,
        MarkPaidInput,
        Movement,
        Payment,
        RecordPaymentInput,
        Refund,
        RefundInput,
    )
    from payinvoice.domain.schedule import OVERDUE_STEP
    from payinvoice.domain.status import InvoiceStatus
    from payinvoice.rules import discount_time
    from payinvoice.webhooks import EventType


class Payments:
    def __init__(self, state: InvoiceState, charges: Charges, changes: Changes) -> None:
        self._state = state
        self._charges = charges
        self._changes = changes

    def apply(self, payment: RecordPaymentInput) -> None:
        state, view = self._state, self._state.view
        view.payments.append(_payment(payment))
        view.amount_paid += payment.amount
        state.movements.append(_movement(LedgerKind.PAYMENT, payment))
        state.events.append(EventType.INVOICE_PAYMENT_RECEIVED)
        self._charges.accrue()
        self._charges.take_early_payment_discount(discount_time(payment, workflow.now()))
        if view.amount_due() == 0:
            state.paid_in_full()

    def keep_unapplied(self, payment: RecordPaymentInput) -> None:
        """A payment the invoice can no longer take: kept for finance staff, not counted."""
        self._state.view.unapplied_payments.append(_payment(payment))
        self._state.movements.append(_movement(LedgerKind.UNAPPLIED_PAYMENT, payment))

    def refund(self, request: RefundInput) -> None:
        """The amount is due again, and a paid invoice reopens where the ladder has it by date."""
        state, view = self._state, self._state.view
        now = workflow.now()
        refund = Refund(request.refund_id, request.payment_id, request.amount, now, request.reason)
        view.refunds.append(refund)
        view.amount_paid -= request.amount
        state.movements.append(Movement(LedgerKind.REFUND, -request.amount, "refund", request.refund_id, now))
        state.events.append(EventType.INVOICE_REFUNDED)
        if view.status == InvoiceStatus.PAID and view.amount_due() > 0:
            self._reopen(now)

    def mark_paid(self, request: MarkPaidInput) -> None:
        """What is due (interest up to today included) is recorded as paid out of band."""
        state, view = self._state, self._state.view
        info = workflow.current_update_info()
        self._charges.accrue()
        amount = view.amount_due()
        view.amount_paid += amount
        view.paid_by, view.paid_by_reason = "out_of_band", request.reason
        view.marked_paid.append(MarkedPaid(amount, request.reason, workflow.now()))
        source_id = info.id if info else view.invoice_id
        state.movements.append(
            Movement(LedgerKind.MARK_PAID, amount, "out_of_band", source_id, workflow.now())
        )
        state.paid_in_full()

    def _reopen(self, now: datetime) -> None:
        """Back on the ladder where it stands by date: the steps whose time passed while it was
        paid move its status on, but send nothing and suspend nobody."""
        state = self._state
        passed = [step for step in state.steps if step.at <= now]
        state.steps = [step for step in state.steps if step.at > now]
        status = state.status_when_paid
        for step in passed:
            if step.key == OVERDUE_STEP and status == InvoiceStatus.OPEN:
                status = InvoiceStatus.OVERDUE
            elif step.stage is not None and step.stage.marks_uncollectible:
                status = InvoiceStatus.UNCOLLECTIBLE
        state.view.status = status
        self._changes.refresh_next_reminder()


def _movement(kind: LedgerKind, payment: RecordPaymentInput) -> Movement:
    paid_at = payment.paid_at or workflow.now()
    return Movement(kind, payment.amount, payment.method, payment.payment_id, paid_at)


def _payment(payment: RecordPaymentInput) -> Payment:
    return Payment(
        payment_id=payment.payment_id,
        amount=payment.amount,
        currency=payment.currency,
        paid_at=payment.paid_at or workflow.now(),
        method=payment.method,
    )
