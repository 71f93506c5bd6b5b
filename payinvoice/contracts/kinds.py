"""Vocabularies shared by the workflow, the activities and the read model."""

from enum import StrEnum


class EmailKind(StrEnum):
    INVOICE = "invoice"
    REMINDER = "reminder"
    RECEIPT = "receipt"
    VOID = "void"
    CREDIT_NOTE = "credit_note"


class LedgerKind(StrEnum):
    """What moved money on an invoice (table `ledger_entries`). `PAID_KINDS` make up its
    `amount_paid`; an unapplied payment is money received but kept off the invoice."""

    PAYMENT = "payment"
    REFUND = "refund"
    MARK_PAID = "mark_paid"
    UNAPPLIED_PAYMENT = "unapplied_payment"
    # What the buyer is charged beyond the lines (signed: a credit note or discount is negative).
    FEE = "fee"
    INTEREST = "interest"
    CREDIT_NOTE = "credit_note"
    DISCOUNT = "discount"
    # The buyer's credit balance: an invoice's overpayment goes to it (signed: a refund of the
    # overpaid part takes it back), the next invoices take from it at issue, and the merchant may
    # refund it (a buyer-level row, without invoice).
    TO_BALANCE = "to_balance"
    BALANCE_APPLIED = "balance_applied"
    BALANCE_REFUND = "balance_refund"


PAID_KINDS = frozenset(
    {LedgerKind.PAYMENT, LedgerKind.REFUND, LedgerKind.MARK_PAID, LedgerKind.BALANCE_APPLIED}
)
# Added to the invoice's total to make what it charges (`InvoiceView.charged`).
CHARGE_KINDS = frozenset({LedgerKind.FEE, LedgerKind.INTEREST, LedgerKind.CREDIT_NOTE, LedgerKind.DISCOUNT})
# The buyer's balance: into it (+) and out of it (-).
BALANCE_SIGNS = {LedgerKind.TO_BALANCE: 1, LedgerKind.BALANCE_APPLIED: -1, LedgerKind.BALANCE_REFUND: -1}
# The payment method of what a buyer's balance paid.
BALANCE_METHOD = "credit_balance"


class FeeKind(StrEnum):
    LATE_FEE = "late_fee"
    INTEREST = "interest"
    COMPENSATION = "compensation"
