"""The invoice: what its checkout fixes (`InvoiceInput`) and what it is (`InvoiceView`)."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.converter import AdvancedJSONEncoder, value_to_type

from payinvoice.domain.discount import EarlyPaymentDiscount
from payinvoice.domain.instalments import Instalment
from payinvoice.domain.late_interest import LateInterest
from payinvoice.domain.lines import Line, PricedLine, price_lines
from payinvoice.domain.policy import CreditPolicy
from payinvoice.domain.schedule import ReminderStage
from payinvoice.domain.status import InvoiceStatus, amount_due, overpaid_amount


@dataclass
class InvoiceInput:
    """Everything the checkout fixes; terms, ladder and day length are frozen here."""

    invoice_id: str
    merchant_id: str
    buyer_id: str
    order_id: str
    currency: str
    lines: list[Line]
    payment_terms_days: int
    created_at: datetime
    request_id: str
    purchase_order: str | None = None
    ladder: list[ReminderStage] = field(default_factory=list)
    day_seconds: float = 86400.0
    # The merchant's credit policy in force at checkout, frozen into the decision.
    policy: CreditPolicy | None = None
    # Whether the merchant had an external credit check configured at checkout; False skips
    # asking. True (the default) is what invoices started before this field existed did.
    external_check: bool = True
    # Days a paid invoice still takes refunds before its workflow completes.
    refund_window_days: int = 60
    # The hosted invoice page's unguessable token (GET /i/{token}), made by the API at checkout;
    # None in invoices started before it existed.
    hosted_token: str | None = None
    # The merchant's late-payment interest and the early-payment discount (invoice's or buyer's)
    # in force at checkout.
    late_interest: LateInterest | None = None
    early_payment_discount: EarlyPaymentDiscount | None = None
    # The buyer had a credit balance at checkout: the invoice takes from it at issue.
    apply_balance: bool = False
    # Set only on a run continued as new (workflows/invoice.py, CONTINUE_AS_NEW_PATCH): the state
    # its predecessor handed over (workflows.state.InvoiceState as a document; the contracts
    # cannot name the workflow's own type). None for every invoice started by a checkout.
    carried: dict[str, Any] | None = None


@dataclass
class InvoiceNumber:
    number: str
    payment_reference: str


@dataclass
class CreditDecision:
    """What the credit decision saw and which rule decided (see payinvoice.domain.credit)."""

    outcome: str
    rule: str
    limit: int
    exposure: int
    amount: int
    evaluated_at: datetime
    reason: str | None = None
    policy_version: int | None = None
    # The number an approval took with its reservation (`ReserveCreditInput.take_number`); the
    # workflow moves it to the invoice, so the decision it records never carries it.
    issued: InvoiceNumber | None = None


@dataclass
class Review:
    decision: str
    note: str
    at: datetime


@dataclass
class Payment:
    payment_id: str
    amount: int
    currency: str
    paid_at: datetime
    method: str


@dataclass
class Refund:
    refund_id: str
    payment_id: str
    amount: int
    refunded_at: datetime
    reason: str = ""


@dataclass
class MarkedPaid:
    """What a merchant marked paid out of band (cheque, cash, settled elsewhere): it counts in
    `amount_paid` without a payment of its own, so the invoice keeps where that money came from
    even after a later refund, payment or credit note changes `paid_by`."""

    amount: int
    reason: str
    marked_at: datetime


@dataclass
class Movement:
    """One movement of money the next snapshot records in the ledger, in its transaction.
    Signed: what raises the invoice's `amount_paid` is positive. (kind, source_id) is unique
    per invoice, so a retried save inserts nothing twice."""

    kind: str
    amount: int
    source: str
    source_id: str
    at: datetime


@dataclass
class Fee:
    """A charge added after issue, as a line of its own (the original lines never change): a
    stage's late fee, late-payment interest up to the last change, the recovery compensation."""

    kind: str  # FeeKind
    description: str
    amount: int
    at: datetime
    stage: str | None = None


@dataclass
class CreditNote:
    """A numbered credit note reducing what the invoice charges; `credit_note_id` is the
    caller's idempotency key."""

    credit_note_id: str
    number: str
    amount: int
    reason: str
    issued_at: datetime
    lines: list[PricedLine] = field(default_factory=list)


@dataclass
class ReminderSent:
    stage: str
    sent_at: datetime


@dataclass
class NextReminder:
    stage: str
    at: datetime


@dataclass
class EmailFailure:
    kind: str
    stage: str | None
    error: str
    at: datetime


@dataclass
class Actor:
    """Who made a change: the API key's role and id, or the workflow itself (`system`)."""

    role: str
    key_id: str | None = None


SYSTEM = Actor("system")


@dataclass
class InvoiceEvent:
    """One entry of the invoice's history (`GET /v1/invoices/{id}/events`); `kind` is the webhook
    event type without its `invoice.` prefix."""

    at: datetime
    kind: str
    who: Actor
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class Promise:
    """A promise to pay `amount` by `date` (ISO); `status`: pending | kept | broken."""

    amount: int
    date: str
    made_at: datetime
    paid_before: int
    status: str = "pending"


@dataclass
class InvoiceView:
    """The invoice as the workflow knows it: answer of queries and updates, and the read-model row.

    `version` grows with every change, so the read model applies each snapshot at most once
    and never goes backwards.
    """

    invoice_id: str
    merchant_id: str
    buyer_id: str
    order_id: str
    currency: str
    lines: list[PricedLine]
    subtotal: int
    tax_total: int
    total: int
    payment_terms_days: int
    created_at: datetime
    purchase_order: str | None = None
    status: InvoiceStatus = InvoiceStatus.PENDING
    decline_reason: str | None = None
    number: str | None = None
    payment_reference: str | None = None
    issued_at: datetime | None = None
    issue_date: str | None = None
    due_at: datetime | None = None
    due_date: str | None = None
    amount_paid: int = 0
    payments: list[Payment] = field(default_factory=list)
    reminders: list[ReminderSent] = field(default_factory=list)
    # Reminders sent again by an operator (`payinvoice resend-reminder`), each a new message.
    resent_reminders: list[ReminderSent] = field(default_factory=list)
    next_reminder: NextReminder | None = None
    email_failures: list[EmailFailure] = field(default_factory=list)
    final_notice_sent: bool = False
    void_reason: str | None = None
    decision: CreditDecision | None = None
    review: Review | None = None
    suspends_buyer: bool = False
    version: int = 0
    # Payments that arrived (as a signal, while no worker ran) after the invoice stopped taking
    # them: kept for finance staff, not counted in amount_paid.
    unapplied_payments: list[Payment] = field(default_factory=list)
    # Changes to an open invoice: its history, and the holds on its reminders.
    events: list[InvoiceEvent] = field(default_factory=list)
    paused: bool = False
    paused_until: str | None = None  # ISO date; None: until resumed
    resume_policy: str | None = None
    disputed: bool = False
    promise: Promise | None = None
    refunds: list[Refund] = field(default_factory=list)
    # "out_of_band" once marked paid by the merchant (cheque, cash, settled elsewhere),
    # "credit_note" once credit notes brought it to zero, "discount" when paid with a discount.
    paid_by: str | None = None
    paid_by_reason: str | None = None
    marked_paid: list[MarkedPaid] = field(default_factory=list)
    fees: list[Fee] = field(default_factory=list)
    credit_notes: list[CreditNote] = field(default_factory=list)
    # The early-payment discount taken (minor units), and the one on offer with its deadline.
    discount: int = 0
    early_payment_discount: EarlyPaymentDiscount | None = None
    discount_deadline: datetime | None = None
    late_interest: LateInterest | None = None
    # What of the overpayment went to the buyer's credit balance (kept equal to `overpaid()`).
    to_balance: int = 0
    # The invoice's day length, for interest "up to today" outside the workflow.
    day_seconds: float = 86400.0
    # An instalment plan (workflows/instalments.py): its parts, oldest first, filled by what was
    # paid since the plan (`amount_paid - paid_before_plan`); the numbers of the instalments that
    # passed their due date unpaid.
    instalments: list[Instalment] = field(default_factory=list)
    paid_before_plan: int = 0
    overdue_instalments: list[int] = field(default_factory=list)

    def charged(self) -> int:
        """What the invoice charges in all: its lines' total, plus fees, less credit notes and a
        discount taken."""
        return self.total + sum(fee.amount for fee in self.fees) - self.credited() - self.discount

    def amount_due(self) -> int:
        return amount_due(self.charged(), self.amount_paid)

    def overpaid(self) -> int:
        return overpaid_amount(self.charged(), self.amount_paid)

    def credited(self) -> int:
        return sum(note.amount for note in self.credit_notes)

    def left_to_refund(self, payment_id: str) -> int | None:
        """What of payment `payment_id` is not refunded yet; None if the invoice has no such payment."""
        paid = [p.amount for p in self.payments if p.payment_id == payment_id]
        if not paid:
            return None
        return sum(paid) - sum(r.amount for r in self.refunds if r.payment_id == payment_id)

    # From InvoiceInput.hosted_token: the hosted page's token, also a column of the read model.
    hosted_token: str | None = None



def new_invoice_view(invoice: InvoiceInput) -> InvoiceView:
    """The invoice before its credit decision: priced, pending."""
    totals = price_lines(invoice.lines, invoice.currency)
    return InvoiceView(
        invoice_id=invoice.invoice_id,
        merchant_id=invoice.merchant_id,
        buyer_id=invoice.buyer_id,
        order_id=invoice.order_id,
        currency=invoice.currency,
        lines=list(totals.lines),
        subtotal=totals.subtotal,
        tax_total=totals.tax_total,
        total=totals.total,
        payment_terms_days=invoice.payment_terms_days,
        created_at=invoice.created_at,
        purchase_order=invoice.purchase_order,
        hosted_token=invoice.hosted_token,
        early_payment_discount=invoice.early_payment_discount,
        late_interest=invoice.late_interest,
        day_seconds=invoice.day_seconds,
    )


def to_document(value: Any) -> dict[str, Any]:
    """The JSON document of a contract dataclass (an invoice view, a policy), as stored."""
    return json.loads(json.dumps(value, cls=AdvancedJSONEncoder))


def from_document(document: dict[str, Any]) -> InvoiceView:
    return value_to_type(InvoiceView, document)
