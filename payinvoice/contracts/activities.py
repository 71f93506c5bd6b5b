"""Activity payloads: one dataclass in, one out."""

from dataclasses import dataclass, field
from datetime import datetime

from payinvoice.contracts.invoice import InvoiceView, Movement
from payinvoice.contracts.kinds import (
    EmailKind,
)
from payinvoice.domain.instalments import Instalment
from payinvoice.domain.policy import CreditPolicy
from payinvoice.domain.schedule import ReminderStage


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


@dataclass
class BankDetailsChangedInput:
    """Tell the merchant its bank details changed (a hijacked key's first move is to change
    them): the accounts before and after, masked, and when."""

    merchant_id: str
    notice_id: str
    changed_at: datetime
    account_before: str | None
    account_after: str | None
