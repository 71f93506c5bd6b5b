"""What the API sends the invoice workflow: one dataclass per update and signal."""

from dataclasses import dataclass, field
from datetime import datetime

from payinvoice.contracts.invoice import Actor, InvoiceView
from payinvoice.domain.instalments import Instalment
from payinvoice.domain.lines import PricedLine


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
    # When payinvoice was told, for a payment a merchant or processor reported (None: a bank
    # statement's booking date, which is trusted): the discount goes by it when later than paid_at.
    received_at: datetime | None = None


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
