"""What an invoice charges beyond its lines, a plain helper over the workflow's state: late fees
at their stage, late-payment interest, the early-payment discount, credit notes, and the buyer's
credit balance (an overpayment goes to it; a new invoice takes from it at issue).

Every change of money is a ledger movement of the snapshot that shows it (`state.movements`); the
arithmetic is pure (payinvoice.domain: late_fees, late_interest, discount; payinvoice.late_charges).
"""

from datetime import datetime

from temporalio import workflow

from workflows.options import LEDGER_WRITE
from workflows.state import InvoiceState

with workflow.unsafe.imports_passed_through():
    from activities.balances import BalanceActivities
    from activities.issuing import IssuingActivities
    from payinvoice.contracts import (
        BALANCE_METHOD,
        ApplyBalanceInput,
        CreditNote,
        CreditNoteInput,
        CreditNoteNumberInput,
        Fee,
        FeeKind,
        LedgerKind,
        Movement,
        Payment,
    )
    from payinvoice.domain.discount import discount_amount
    from payinvoice.domain.late_fees import late_fee_amount
    from payinvoice.domain.schedule import ReminderStage
    from payinvoice.domain.status import PAYABLE
    from payinvoice.late_charges import ACCRUING, fees_as_of
    from payinvoice.webhooks import EventType

# See workflows/invoice.py: fee stages charge their fee (and record it) before the reminder.
LATE_FEE_PATCH = "late-fee-lines-v1"


class Charges:
    def __init__(self, state: InvoiceState) -> None:
        self._state = state

    # Credit notes

    async def credit_note_number(self, request: CreditNoteInput) -> str:
        view = self._state.view
        return await workflow.execute_local_activity_method(
            IssuingActivities.assign_credit_note_number,
            CreditNoteNumberInput(
                credit_note_id=request.credit_note_id,
                merchant_id=view.merchant_id,
                invoice_id=view.invoice_id,
            ),
            **LEDGER_WRITE,
        )

    def credit(self, request: CreditNoteInput, number: str) -> None:
        """Less is due; an invoice credited to zero is paid by credit (on a paid one the credit
        goes to the buyer's balance, with the next snapshot)."""
        state, view = self._state, self._state.view
        now = workflow.now()
        view.credit_notes.append(
            CreditNote(request.credit_note_id, number, request.amount, request.reason, now, request.lines)
        )
        state.movements.append(
            Movement(LedgerKind.CREDIT_NOTE, -request.amount, "credit_note", request.credit_note_id, now)
        )
        state.events.append(EventType.INVOICE_CREDITED)
        if view.status in PAYABLE and view.amount_due() == 0:
            view.paid_by, view.paid_by_reason = "credit_note", request.reason
            state.paid_in_full()

    # Late fees and interest

    def charge_before_reminder(self, stage: ReminderStage) -> bool:
        """Charge the stage's late fee; True when the reminder must show a new figure (a fee, or
        interest up to today), so the invoice is recorded before it goes out."""
        charged = False
        if stage.late_fee is not None and workflow.patched(LATE_FEE_PATCH):
            charged = self._charge_late_fee(stage)
        return charged or self._accrues_interest()

    def accrue(self) -> None:
        """Bring interest and compensation up to now; the ledger gets the difference."""
        if not self._accrues_interest():
            return
        state = self._state
        before = self._accruing_by_kind()
        state.view.fees = fees_as_of(state.view, workflow.now())
        after = self._accruing_by_kind()
        kinds = {FeeKind.INTEREST: LedgerKind.INTEREST, FeeKind.COMPENSATION: LedgerKind.FEE}
        for kind, ledger_kind in kinds.items():
            change = after.get(kind, 0) - before.get(kind, 0)
            if change:
                state.movements.append(
                    Movement(ledger_kind, change, str(kind), f"{kind}:{state.version + 1}", workflow.now())
                )

    # Early-payment discount

    def take_early_payment_discount(self, paid_at: datetime) -> None:
        """Paid inside the discount window at least the discounted amount: the rest is the
        discount, and the invoice is settled in full."""
        view = self._state.view
        offer, deadline = view.early_payment_discount, view.discount_deadline
        if offer is None or deadline is None or view.discount or paid_at > deadline:
            return
        due = view.amount_due()
        if 0 < due <= discount_amount(view.total, offer):
            view.discount = due
            view.paid_by, view.paid_by_reason = "discount", f"early-payment discount of {offer.percent} %"
            self._state.movements.append(
                Movement(LedgerKind.DISCOUNT, -due, "early_payment_discount", "discount", workflow.now())
            )

    # The buyer's credit balance

    async def apply_balance(self) -> None:
        """Take what the buyer's balance holds, up to the amount due, as a payment."""
        state, view = self._state, self._state.view
        applied = await workflow.execute_local_activity_method(
            BalanceActivities.apply_balance,
            ApplyBalanceInput(
                invoice_id=view.invoice_id,
                merchant_id=view.merchant_id,
                buyer_id=view.buyer_id,
                currency=view.currency,
                amount=view.amount_due(),
            ),
            **LEDGER_WRITE,
        )
        if applied.amount <= 0:
            return
        # The activity wrote the ledger row (kind balance_applied): no movement here.
        payment_id = f"balance:{view.invoice_id}"
        view.payments.append(Payment(payment_id, applied.amount, view.currency, applied.at, BALANCE_METHOD))
        view.amount_paid += applied.amount
        if view.amount_due() == 0:
            view.paid_by, view.paid_by_reason = BALANCE_METHOD, "paid from the buyer's balance"
            state.paid_in_full()

    def move_overpayment_to_balance(self) -> None:
        """Keep `to_balance` equal to what the invoice was overpaid (a credit note on a paid
        invoice overpays it too); a refund of the overpaid part takes it back."""
        state, view = self._state, self._state.view
        change = view.overpaid() - view.to_balance
        if change:
            view.to_balance += change
            state.movements.append(
                Movement(
                    LedgerKind.TO_BALANCE,
                    change,
                    "overpayment",
                    f"to_balance:{state.version + 1}",
                    workflow.now(),
                )
            )

    # Helpers

    def _charge_late_fee(self, stage: ReminderStage) -> bool:
        state, view = self._state, self._state.view
        fee = stage.late_fee
        assert fee is not None
        so_far = sum(f.amount for f in view.fees if f.kind == FeeKind.LATE_FEE)
        if fee.currency != view.currency:
            return False  # the ladder's amounts are in another currency: nothing sensible to charge
        amount = late_fee_amount(fee, view.amount_due(), so_far)
        if amount <= 0:
            return False
        now = workflow.now()
        view.fees.append(Fee(FeeKind.LATE_FEE, f"Late fee ({stage.name})", amount, now, stage.name))
        state.movements.append(Movement(LedgerKind.FEE, amount, "late_fee", f"late_fee:{stage.name}", now))
        return True

    def _accrues_interest(self) -> bool:
        terms = self._state.view.late_interest
        return terms is not None and terms.mode != "off"

    def _accruing_by_kind(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for fee in self._state.view.fees:
            if fee.kind in ACCRUING:
                totals[fee.kind] = totals.get(fee.kind, 0) + fee.amount
        return totals
