"""What a test knows for sure about the money on one invoice: a small model the reliability state
machine keeps next to the real invoice, moved by the same operations (payments, refunds, marking
paid, voids, credit notes, the buyer's balance applied at issue) and compared with what the API
shows. What the invoice charges is its total less its credit notes (the state machine's buyers
have no late fees, interest or discount); what it was paid beyond that went to the buyer's
balance (`credited_to_balance`), so the buyer's balance is the sum of the overpaid amounts less
what new invoices took from it and what was refunded out of it (`buyer_balance`).

Amounts are in cents. The status is known exactly once the invoice is paid or void; while it can
take money it is open, overdue or uncollectible by date, which the model does not track. A new
movement of money (a credit note, a balance applied) is a method that changes the figures here
and, if it has its own list on the invoice, a line in `differences`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# The statuses of an invoice that still takes payments (the ladder moves it among them by date).
PAYABLE = frozenset({"open", "overdue", "uncollectible"})
VOIDABLE = frozenset({"open", "overdue"})
# The payment id of what the buyer's balance paid on an invoice at issue (method credit_balance).
BALANCE_PAYMENT = "balance:"


def cents(amount: str | Decimal) -> int:
    return int(Decimal(amount) * 100)


def amount(minor: int) -> str:
    """The API's decimal string of an amount of cents (EUR)."""
    return f"{Decimal(minor) / 100:.2f}"


@dataclass
class Refund:
    payment_id: str
    amount: int


@dataclass
class InvoiceModel:
    id: str
    total: int
    payment_reference: str | None = None
    state: str = "payable"  # "payable" (open, overdue or uncollectible by date) | "paid" | "void"
    payments: dict[str, int] = field(default_factory=dict)  # applied payment id -> cents
    refunds: dict[str, Refund] = field(default_factory=dict)  # refund id -> what it gave back
    marked: int = 0  # marked paid out of band
    credit_notes: dict[str, int] = field(default_factory=dict)  # credit note id -> cents credited
    # Who settled it last without a payment of its own: "out_of_band" (marked paid), "credit_note"
    # (credited to zero), "credit_balance" (the buyer's balance paid it in full at issue).
    paid_by: str | None = None
    # Seen refused once with `invoice_not_refundable` while paid: the refund window closed (its
    # timer runs in days of a fraction of a second, so the model learns it from the answer).
    refunds_closed: bool = False

    @classmethod
    def from_invoice(cls, invoice: dict[str, Any]) -> "InvoiceModel":
        return cls(invoice["id"], cents(invoice["total"]), invoice.get("payment_reference"))

    # Figures

    @property
    def charged(self) -> int:
        return self.total - sum(self.credit_notes.values())

    @property
    def paid(self) -> int:
        return sum(self.payments.values()) - sum(r.amount for r in self.refunds.values()) + self.marked

    @property
    def due(self) -> int:
        return max(self.charged - self.paid, 0)

    @property
    def overpaid(self) -> int:
        """What was paid beyond what it charges: it went to the buyer's balance."""
        return max(self.paid - self.charged, 0)

    @property
    def from_balance(self) -> int:
        """What the buyer's balance paid on it at issue."""
        return sum(minor for pid, minor in self.payments.items() if pid.startswith(BALANCE_PAYMENT))

    def taken_back(self, refund: int) -> int:
        """What a refund of `refund` cents takes back out of the buyer's balance: the part of the
        overpaid amount it gives back."""
        return self.overpaid - max(self.paid - refund - self.charged, 0)

    @property
    def payable(self) -> bool:
        return self.state == "payable"

    def left_to_refund(self, payment_id: str) -> int:
        given_back = sum(r.amount for r in self.refunds.values() if r.payment_id == payment_id)
        return self.payments[payment_id] - given_back

    @property
    def refunds_certain(self) -> bool:
        """A refund within what is left must be taken: the invoice is not paid (no window runs)."""
        return self.state == "payable"

    @property
    def refunds_possible(self) -> bool:
        return self.state in ("payable", "paid") and not self.refunds_closed

    @property
    def credits_possible(self) -> bool:
        """Credit notes are taken while it is payable, and while paid until its refund window closes."""
        return self.refunds_possible

    # Movements

    def pay(self, payment_id: str, minor: int) -> None:
        assert self.payable and payment_id not in self.payments, (self, payment_id)
        self.payments[payment_id] = minor
        if self.due == 0:
            self._paid_in_full()

    def apply_balance(self, minor: int) -> None:
        """The buyer's balance paid `minor` at issue: a payment of its own; paid if it covers."""
        assert self.payable and not self.payments and 0 < minor <= self.due, (self, minor)
        self.payments[f"{BALANCE_PAYMENT}{self.id}"] = minor
        if self.due == 0:
            self.paid_by = "credit_balance"
            self._paid_in_full()

    def refund(self, refund_id: str, payment_id: str, minor: int) -> None:
        assert self.refunds_possible and 0 < minor <= self.left_to_refund(payment_id), (self, minor)
        assert not payment_id.startswith(BALANCE_PAYMENT), (self, payment_id)
        self.refunds[refund_id] = Refund(payment_id, minor)
        if self.state == "paid" and self.paid < self.charged:
            self.state = "payable"  # reopened, back on its ladder by date

    def credit(self, credit_note_id: str, minor: int) -> None:
        """A credit note: it charges less; credited to zero while payable, it is paid by credit
        (on a paid invoice the credit is overpaid, so it goes to the buyer's balance)."""
        assert self.credits_possible and 0 < minor <= self.charged, (self, minor)
        assert credit_note_id not in self.credit_notes, (self, credit_note_id)
        self.credit_notes[credit_note_id] = minor
        if self.payable and self.due == 0:
            self.paid_by = "credit_note"
            self._paid_in_full()

    def mark_paid(self) -> None:
        assert self.payable, self
        self.marked += self.due
        self.paid_by = "out_of_band"
        self._paid_in_full()

    def void(self) -> None:
        assert self.payable and self.paid == 0, self
        self.state = "void"

    def _paid_in_full(self) -> None:
        self.state = "paid"
        self.refunds_closed = False  # each payment in full opens a new refund window

    # Against the real invoice

    def status_matches(self, status: str) -> bool:
        return status in PAYABLE if self.payable else status == self.state

    def differences(self, invoice: dict[str, Any]) -> list[str]:
        """How the live invoice differs from the model; [] when it is what the model expects."""
        where = f"invoice {self.id}"
        found: list[str] = []
        if not self.status_matches(invoice["status"]):
            found.append(f"{where}: status {invoice['status']}, expected {self.state}")
        figures = {
            "amount_paid": self.paid, "amount_due": self.due, "overpaid_amount": self.overpaid,
            "total": self.total, "charged": self.charged, "credited_to_balance": self.overpaid,
        }  # fmt: skip
        for name, expected in figures.items():
            if cents(invoice[name]) != expected:
                found.append(f"{where}: {name} {invoice[name]}, expected {amount(expected)}")
        applied = {p["payment_id"]: cents(p["amount"]) for p in invoice["payments"]}
        if applied != self.payments:
            found.append(f"{where}: payments {applied}, expected {self.payments}")
        refunds = {r["refund_id"]: Refund(r["payment_id"], cents(r["amount"])) for r in invoice["refunds"]}
        if refunds != self.refunds:
            found.append(f"{where}: refunds {refunds}, expected {self.refunds}")
        balance_paid = {p["payment_id"] for p in invoice["payments"] if p.get("method") == "credit_balance"}
        if balance_paid != {p for p in self.payments if p.startswith(BALANCE_PAYMENT)}:
            found.append(f"{where}: paid by the balance {balance_paid}, expected {self.from_balance} cents")
        credit_notes = {n["credit_note_id"]: cents(n["amount"]) for n in invoice["credit_notes"]}
        if credit_notes != self.credit_notes:
            found.append(f"{where}: credit notes {credit_notes}, expected {self.credit_notes}")
        if invoice.get("unapplied_payments"):
            found.append(f"{where}: unapplied payments {invoice['unapplied_payments']}")
        marked = sum(cents(m["amount"]) for m in invoice["marked_paid"])
        if marked != self.marked:
            found.append(f"{where}: marked paid {amount(marked)}, expected {amount(self.marked)}")
        if invoice.get("paid_by") != self.paid_by:
            found.append(f"{where}: paid_by {invoice.get('paid_by')}, expected {self.paid_by}")
        return found

    def stored_differences(self, stored: dict[str, Any]) -> list[str]:
        """How the read model (the stored invoice, which follows the workflow) differs."""
        where = f"stored invoice {self.id}"
        found = []
        if not self.status_matches(stored["status"]):
            found.append(f"{where}: status {stored['status']}, expected {self.state}")
        if cents(stored["amount_paid"]) != self.paid:
            found.append(f"{where}: amount_paid {stored['amount_paid']}, expected {amount(self.paid)}")
        if cents(stored["amount_due"]) != self.due:
            found.append(f"{where}: amount_due {stored['amount_due']}, expected {amount(self.due)}")
        if cents(stored["charged"]) != self.charged:
            found.append(f"{where}: charged {stored['charged']}, expected {amount(self.charged)}")
        return found


def buyer_balance(invoices: Iterable[InvoiceModel], refunded: int = 0) -> int:
    """The buyer's credit balance the models say it has: what its invoices were overpaid (each
    invoice keeps `credited_to_balance` equal to that), less what its invoices took from it at
    issue and the `refunded` cents paid out of it."""
    models = list(invoices)
    return sum(m.overpaid for m in models) - sum(m.from_balance for m in models) - refunded
