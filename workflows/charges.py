"""What an invoice charges beyond its lines, mixed into InvoiceWorkflow: late fees at their
stage, late-payment interest, the early-payment discount, credit notes, and the buyer's credit
balance (an overpayment goes to it; a new invoice takes from it at issue).

Every change of money is a ledger movement of the snapshot that shows it (`_movements`); the
arithmetic is pure (payinvoice.domain: late_fees, late_interest, discount; payinvoice.late_charges).
"""

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.balance import BalanceActivities
    from activities.issuing import IssuingActivities
    from payinvoice.contracts import (
        BALANCE_METHOD,
        ApplyBalanceInput,
        CreditNote,
        CreditNoteInput,
        CreditNoteNumberInput,
        EmailKind,
        ErrorType,
        Fee,
        FeeKind,
        InvoiceInput,
        InvoiceView,
        LedgerKind,
        Movement,
        Payment,
    )
    from payinvoice.domain.discount import discount_amount
    from payinvoice.domain.late_fees import late_fee_amount
    from payinvoice.domain.money import from_minor
    from payinvoice.domain.schedule import ReminderStage
    from payinvoice.domain.status import PAYABLE, InvoiceStatus
    from payinvoice.late_charges import ACCRUING, fees_as_of
    from payinvoice.webhooks import EventType

# See workflows/invoice.py: fee stages charge their fee (and record it) before the reminder.
LATE_FEE_PATCH = "late-fee-lines-v1"
# Credit notes are taken on invoices still payable, and on paid ones (the credit goes to the balance).
CREDITABLE = PAYABLE | {InvoiceStatus.PAID}
# The credit note's number and the balance taken at issue: short database writes.
LEDGER_WRITE = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=2)),
}


class InvoiceCharges:
    # Provided by InvoiceWorkflow.
    _view: InvoiceView
    _input: InvoiceInput
    _lock: asyncio.Lock
    _events: list[str]
    _movements: list[Movement]
    _version: int
    _refunds_closed: bool

    async def _save(self, local: bool = False) -> None: ...
    async def _hold_credit(self) -> None: ...
    async def _send(
        self, kind: EmailKind, reminder: ReminderStage | None = None, resend: int = 0
    ) -> bool: ...
    def _paid_in_full(self) -> None: ...
    def _amount_due(self) -> int: ...

    # Credit notes

    @workflow.update
    async def credit(self, request: CreditNoteInput) -> InvoiceView:
        """A numbered credit note: less is due (an invoice credited to zero is paid by credit);
        on a paid invoice the credit goes to the buyer's balance. The same id again changes nothing."""
        async with self._lock:
            if self._credit_note(request.credit_note_id) is not None:
                return self._view
            self._check_credit(request)
            number = await workflow.execute_local_activity_method(
                IssuingActivities.assign_credit_note_number,
                CreditNoteNumberInput(
                    credit_note_id=request.credit_note_id,
                    merchant_id=self._view.merchant_id,
                    invoice_id=self._view.invoice_id,
                ),
                **LEDGER_WRITE,
            )
            now = workflow.now()
            self._view.credit_notes.append(
                CreditNote(request.credit_note_id, number, request.amount, request.reason, now, request.lines)
            )
            self._movements.append(
                Movement(LedgerKind.CREDIT_NOTE, -request.amount, "credit_note", request.credit_note_id, now)
            )
            self._events.append(EventType.INVOICE_CREDITED)
            if self._view.status in PAYABLE and self._amount_due() == 0:
                self._view.paid_by, self._view.paid_by_reason = "credit_note", request.reason
                self._paid_in_full()
            await self._save()
            await self._hold_credit()
            await self._send(EmailKind.CREDIT_NOTE, stage=number)
        return self._view

    @credit.validator
    def _validate_credit(self, request: CreditNoteInput) -> None:
        if self._credit_note(request.credit_note_id) is None:
            self._check_credit(request)

    def _credit_note(self, credit_note_id: str) -> CreditNote | None:
        return next((n for n in self._view.credit_notes if n.credit_note_id == credit_note_id), None)

    def _check_credit(self, request: CreditNoteInput) -> None:
        view = self._view
        if view.status not in CREDITABLE or self._refunds_closed:
            raise ApplicationError(
                f"invoice is {view.status}: credit notes are not accepted",
                type=ErrorType.INVOICE_NOT_CREDITABLE,
            )
        if request.amount <= 0:
            raise ApplicationError("amount must be greater than 0", type=ErrorType.INVALID_AMOUNT)
        creditable = view.charged()
        if request.amount > creditable:
            raise ApplicationError(
                f"the invoice charges {from_minor(creditable, view.currency)} {view.currency}: "
                "a credit note cannot credit more",
                type=ErrorType.CREDIT_EXCEEDS_CHARGED,
            )

    # Late fees and interest

    def _charge_before_reminder(self, stage: ReminderStage) -> bool:
        """Charge the stage's late fee; True when the reminder must show a new figure (a fee, or
        interest up to today), so the invoice is recorded before it goes out."""
        charged = False
        if stage.late_fee is not None and workflow.patched(LATE_FEE_PATCH):
            charged = self._charge_late_fee(stage)
        return charged or self._accrues_interest()

    def _charge_late_fee(self, stage: ReminderStage) -> bool:
        fee = stage.late_fee
        assert fee is not None
        so_far = sum(f.amount for f in self._view.fees if f.kind == FeeKind.LATE_FEE)
        if fee.currency != self._view.currency:
            return False  # the ladder's amounts are in another currency: nothing sensible to charge
        amount = late_fee_amount(fee, self._amount_due(), so_far)
        if amount <= 0:
            return False
        now = workflow.now()
        self._view.fees.append(Fee(FeeKind.LATE_FEE, f"Late fee ({stage.name})", amount, now, stage.name))
        self._movements.append(Movement(LedgerKind.FEE, amount, "late_fee", f"late_fee:{stage.name}", now))
        return True

    def _accrues_interest(self) -> bool:
        terms = self._view.late_interest
        return terms is not None and terms.mode != "off"

    def _accrue(self) -> None:
        """Bring interest and compensation up to now; the ledger gets the difference."""
        if not self._accrues_interest():
            return
        before = self._accruing_by_kind()
        self._view.fees = fees_as_of(self._view, workflow.now())
        after = self._accruing_by_kind()
        kinds = {FeeKind.INTEREST: LedgerKind.INTEREST, FeeKind.COMPENSATION: LedgerKind.FEE}
        for kind, ledger_kind in kinds.items():
            change = after.get(kind, 0) - before.get(kind, 0)
            if change:
                self._movements.append(
                    Movement(ledger_kind, change, str(kind), f"{kind}:{self._version + 1}", workflow.now())
                )

    def _accruing_by_kind(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for fee in self._view.fees:
            if fee.kind in ACCRUING:
                totals[fee.kind] = totals.get(fee.kind, 0) + fee.amount
        return totals

    # Early-payment discount

    def _take_early_payment_discount(self, paid_at: datetime) -> None:
        """Paid inside the discount window at least the discounted amount: the rest is the
        discount, and the invoice is settled in full."""
        view = self._view
        offer, deadline = view.early_payment_discount, view.discount_deadline
        if offer is None or deadline is None or view.discount or paid_at > deadline:
            return
        due = self._amount_due()
        if 0 < due <= discount_amount(view.total, offer):
            view.discount = due
            view.paid_by, view.paid_by_reason = "discount", f"early-payment discount of {offer.percent} %"
            self._movements.append(
                Movement(LedgerKind.DISCOUNT, -due, "early_payment_discount", "discount", workflow.now())
            )

    # The buyer's credit balance

    async def _apply_balance(self) -> None:
        """Take what the buyer's balance holds, up to the amount due, as a payment."""
        applied = await workflow.execute_local_activity_method(
            BalanceActivities.apply_balance,
            ApplyBalanceInput(
                invoice_id=self._view.invoice_id,
                merchant_id=self._view.merchant_id,
                buyer_id=self._view.buyer_id,
                currency=self._view.currency,
                amount=self._amount_due(),
            ),
            **LEDGER_WRITE,
        )
        if applied.amount <= 0:
            return
        # The activity wrote the ledger row (kind balance_applied): no movement here.
        payment_id = f"balance:{self._view.invoice_id}"
        self._view.payments.append(
            Payment(payment_id, applied.amount, self._view.currency, applied.at, BALANCE_METHOD)
        )
        self._view.amount_paid += applied.amount
        if self._amount_due() == 0:
            self._view.paid_by, self._view.paid_by_reason = BALANCE_METHOD, "paid from the buyer's balance"
            self._paid_in_full()

    def _move_overpayment_to_balance(self) -> None:
        """Keep `to_balance` equal to what the invoice was overpaid (a credit note on a paid
        invoice overpays it too); a refund of the overpaid part takes it back."""
        view = self._view
        change = view.overpaid() - view.to_balance
        if change:
            view.to_balance += change
            self._movements.append(
                Movement(
                    LedgerKind.TO_BALANCE,
                    change,
                    "overpayment",
                    f"to_balance:{self._version + 1}",
                    workflow.now(),
                )
            )
