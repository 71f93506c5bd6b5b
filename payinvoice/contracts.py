"""Contracts shared by the API, the workflow and the activities.

Workflow and activity payloads are dataclasses so that fields can be added (with defaults)
without breaking running invoices. Money travels as integer minor units plus the currency;
instants as timezone-aware datetimes; calendar dates as ISO strings (the converter has no `date`).
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from temporalio.converter import AdvancedJSONEncoder, value_to_type

from payinvoice.domain.discount import EarlyPaymentDiscount
from payinvoice.domain.instalments import Instalment
from payinvoice.domain.late_interest import LateInterest
from payinvoice.domain.lines import Line, PricedLine, price_lines
from payinvoice.domain.policy import CreditPolicy
from payinvoice.domain.schedule import ReminderStage
from payinvoice.domain.status import InvoiceStatus, amount_due, overpaid_amount

INVOICE_WORKFLOW = "InvoiceWorkflow"


def mail_task_queue(task_queue: str) -> str:
    """The task queue of the invoice emails of invoices on `task_queue` (worker.build_worker)."""
    return f"{task_queue}-mail"


def notice_task_queue(task_queue: str) -> str:
    """The task queue of every later email (reminders, receipts, ...) of invoices on `task_queue`:
    a backlog of invoice emails after a burst of checkouts never delays them."""
    return f"{task_queue}-notices"


_INVOICE_NAMESPACE = uuid.UUID("5d1c4a6e-2f0b-4d53-9a51-6f1f3c0de7a1")


def invoice_id_for(merchant_id: str, order_id: str) -> str:
    """One invoice per (merchant, order): the id is derived, so retries find the same invoice."""
    return str(uuid.uuid5(_INVOICE_NAMESPACE, f"{merchant_id}\n{order_id}"))


def invoice_workflow_id(invoice_id: str) -> str:
    # Ids only: no customer data in workflow ids (they are not encrypted).
    return f"invoice-{invoice_id}"


WEBHOOK_DELIVERY_WORKFLOW = "WebhookDeliveryWorkflow"
WEBHOOK_ENQUEUE_SIGNAL = "enqueue"


def webhook_delivery_workflow_id(endpoint_id: str, subject_id: str) -> str:
    """One delivery workflow per (endpoint, invoice or buyer): its events go out in order."""
    return f"webhooks-{endpoint_id}-{subject_id}"


class EmailKind(StrEnum):
    INVOICE = "invoice"
    REMINDER = "reminder"
    RECEIPT = "receipt"
    VOID = "void"
    CREDIT_NOTE = "credit_note"


class ErrorType(StrEnum):
    """`ApplicationError.type` values the workflow rejects messages with; the API maps them."""

    INVALID_AMOUNT = "invalid_amount"
    CURRENCY_MISMATCH = "currency_mismatch"
    INVOICE_NOT_PAYABLE = "invoice_not_payable"
    INVOICE_HAS_PAYMENTS = "invoice_has_payments"
    INVOICE_NOT_VOIDABLE = "invoice_not_voidable"
    INVOICE_NOT_IN_REVIEW = "invoice_not_in_review"
    # Changing an open invoice (extend, pause, resume, dispute, promise).
    INVOICE_NOT_EXTENDABLE = "invoice_not_extendable"
    INVOICE_NOT_PAUSABLE = "invoice_not_pausable"
    INVOICE_NOT_PAUSED = "invoice_not_paused"
    INVOICE_NOT_DISPUTABLE = "invoice_not_disputable"
    INVOICE_NOT_DISPUTED = "invoice_not_disputed"
    INVOICE_NOT_PROMISABLE = "invoice_not_promisable"
    INVALID_DUE_DATE = "invalid_due_date"
    INVALID_DATE = "invalid_date"
    INVALID_REQUEST = "invalid_request"
    INVOICE_NOT_REFUNDABLE = "invoice_not_refundable"
    PAYMENT_NOT_FOUND = "unknown_payment"
    REFUND_EXCEEDS_PAYMENT = "refund_exceeds_payment"
    INVOICE_NOT_MARKABLE_PAID = "invoice_not_markable_paid"
    REMINDER_NOT_SENT = "reminder_not_sent"
    INVOICE_NOT_CREDITABLE = "invoice_not_creditable"
    CREDIT_EXCEEDS_CHARGED = "credit_exceeds_charged"
    # Instalment plans (workflows/instalments.py).
    INSTALMENTS_NOT_ALLOWED = "instalments_not_allowed"
    INVALID_INSTALMENTS = "invalid_instalments"


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


@dataclass
class CheckoutRequest:
    request_id: str


@dataclass
class CheckoutResult:
    invoice: InvoiceView
    created: bool


@dataclass
class RecordPaymentInput:
    payment_id: str
    amount: int
    currency: str
    paid_at: datetime | None = None
    method: str = "unknown"


@dataclass
class RefundInput:
    refund_id: str
    payment_id: str
    amount: int
    reason: str = ""


@dataclass
class CreditNoteInput:
    """Credit `amount` (minor units; the lines' total when lines are given) off the invoice."""

    credit_note_id: str
    amount: int
    reason: str
    lines: list[PricedLine] = field(default_factory=list)


@dataclass
class CreditNoteNumberInput:
    credit_note_id: str
    merchant_id: str
    invoice_id: str


@dataclass
class ApplyBalanceInput:
    """Take up to `amount` from the buyer's credit balance for this invoice (once per invoice)."""

    invoice_id: str
    merchant_id: str
    buyer_id: str
    currency: str
    amount: int


@dataclass
class AppliedBalance:
    amount: int
    at: datetime


@dataclass
class MarkPaidInput:
    reason: str


@dataclass
class VoidInput:
    reason: str


@dataclass
class ExtendInput:
    """A later due date: `due_date` (ISO) or `by_days` after the current one, exactly one."""

    who: Actor
    reason: str
    due_date: str | None = None
    by_days: int | None = None


@dataclass
class PauseInput:
    """No reminders until resumed, or until `until` (ISO date); `dispute` marks it disputed."""

    who: Actor
    reason: str
    until: str | None = None
    resume_policy: str = "send_latest"
    dispute: bool = False


@dataclass
class ResumeInput:
    who: Actor
    note: str = ""


@dataclass
class PromiseInput:
    who: Actor
    amount: int
    date: str


@dataclass
class InstalmentPlanInput:
    """Split the amount due into dated parts (payinvoice.domain.instalments.parse_plan checked
    them against the invoice's today); each gets its own reminders."""

    instalments: list[Instalment]
    who: Actor
    reason: str = ""


@dataclass
class ReviewInput:
    decision: str  # "approve" | "decline"
    note: str = ""


# Activity payloads


@dataclass
class ReserveCreditInput:
    invoice_id: str
    merchant_id: str
    buyer_id: str
    currency: str
    amount: int
    policy: CreditPolicy | None = None
    # The merchant's external check: approve | decline | review | none.
    external_decision: str = "none"
    # An approval also takes the invoice's number, in the reservation's transaction.
    take_number: bool = False


@dataclass
class ExternalCheckInput:
    merchant_id: str
    buyer_id: str
    currency: str
    amount: int
    day_seconds: float


@dataclass
class ExternalCheckResult:
    """`decision`: approve | decline | review | none (no check configured);
    `source`: cache | remote | fallback | none."""

    decision: str
    source: str
    limit: int | None = None


@dataclass
class AdjustCreditInput:
    """Set the credit an invoice holds to `amount` (0 releases it); `version` orders the calls."""

    invoice_id: str
    amount: int
    version: int


@dataclass
class BuyerCreditInput:
    buyer_id: str
    invoice_id: str
    # Why a suspension happens: "final_notice" or "overdue".
    reason: str = "final_notice"
    # The invoice's day length: webhook retries of the buyer events span one such day.
    day_seconds: float = 86400.0


@dataclass
class RecordSettlementInput:
    """A settled invoice for the buyer's payment record; the policy decides what the limit learns."""

    buyer_id: str
    invoice_id: str
    days_late: int
    policy: CreditPolicy | None = None
    day_seconds: float = 86400.0


@dataclass
class AssignNumberInput:
    invoice_id: str
    merchant_id: str


@dataclass
class SaveInvoiceInput:
    invoice: InvoiceView
    # The webhook event types this snapshot reports (payinvoice.webhooks.EventType), in order.
    events: list[str] = field(default_factory=list)
    # The invoice's day length: webhook retries span one such day.
    day_seconds: float = 86400.0
    # The movements of money this snapshot reflects, for the ledger (same transaction).
    movements: list[Movement] = field(default_factory=list)


@dataclass
class SendEmailInput:
    invoice_id: str
    kind: EmailKind
    stage: str | None = None
    # A reminder's frozen ladder stage (its own subject and body) and its tone
    # (payinvoice.domain.dunning.Tone); absent from emails scheduled before they were added.
    reminder: ReminderStage | None = None
    tone: str | None = None
    # 0 for the scheduled email; n for the n-th resend of it, a message of its own.
    resend: int = 0
    # The instalment a reminder is about, on an invoice with an instalment plan.
    instalment: Instalment | None = None


@dataclass
class ResendReminderInput:
    stage: str


@dataclass
class EmailResult:
    delivered: bool
    message_id: str
    error: str | None = None


@dataclass
class WebhookDeliveryInput:
    endpoint_id: str
    subject_id: str
    # The retry window of each delivery is one day of this length.
    day_seconds: float = 86400.0


@dataclass
class EnqueueDeliveries:
    """Signal: deliveries to send after those already queued, in this order. `resend` sends
    even a delivery that already succeeded (the merchant asked for it)."""

    delivery_ids: list[str]
    resend: bool = False


@dataclass
class DeliverWebhookInput:
    delivery_id: str
    resend: bool = False


@dataclass
class DeliveryResult:
    """`done`: nothing more to try (delivered, or not to be sent); False: the attempt failed."""

    done: bool


@dataclass
class WebhookFailedInput:
    """A delivery failed for its whole window: disable its endpoint and tell the merchant."""

    endpoint_id: str
    delivery_id: str


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
