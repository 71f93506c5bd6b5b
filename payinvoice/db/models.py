"""Tables. Money columns are integer minor units; instants are timezone-aware UTC."""

import time
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from payinvoice.db.sealed import SealedString
from payinvoice.domain.policy import PaymentRecord


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes; SQLite hands back naive ones, which are UTC by construction."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, int: BigInteger, dict[str, Any]: JSON}


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Last invoice number handed out; incremented in the same transaction that records it.
    last_invoice_number: Mapped[int] = mapped_column(default=0)
    last_credit_note_number: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Late-payment interest charged on its invoices (payinvoice.domain.late_interest.LateInterest
    # as a document); None: no interest.
    late_interest: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The currency of the merchant's credit policy and of `exposure`.
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    # Open exposure over all buyers in `currency`, capped by the policy's max_total_exposure.
    exposure: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Where operational notices go (a webhook endpoint disabled); optional.
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    # Bank details printed on invoices (and in their EPC QR code); all optional.
    iban: Mapped[str | None] = mapped_column(String(34), default=None)
    bic: Mapped[str | None] = mapped_column(String(11), default=None)
    legal_name: Mapped[str | None] = mapped_column(String(200), default=None)
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    # The seller's company data that e-invoices need (contracts.schemas.CompanySettings as a
    # document: legal name, postal address, VAT id, contact...); None until it is set.
    company: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Buyer(Base):
    __tablename__ = "buyers"
    __table_args__ = (UniqueConstraint("merchant_id", "external_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    currency: Mapped[str] = mapped_column(String(3))
    credit_limit: Mapped[int]
    # Sum of what this buyer's open reservations hold; changed only by conditional updates.
    exposure: Mapped[int] = mapped_column(default=0)
    payment_terms_days: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="active")
    # "manual" (set by the merchant), "final_notice" (the dunning ladder) or "overdue" (the policy).
    suspended_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    # "manual": set by the merchant and left alone; "policy": set and learned by the credit policy.
    limit_source: Mapped[str] = mapped_column(String(16), default="manual", server_default="manual")
    review_all: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The payment record (see payinvoice.domain.policy.PaymentRecord).
    invoices_paid: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    paid_on_time: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    on_time_streak: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    total_days_late: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    worst_days_late: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Last answer of the merchant's external credit check: {decision, limit, checked_at}.
    external_check: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # The buyer's own reminder ladder, {"stages": [ReminderStage...]}; None: the merchant's applies.
    dunning_ladder: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # The buyer's early-payment discount ({"percent", "days"}), unless an invoice brings its own.
    early_payment_discount: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The buyer's bank account (compact IBAN), known to bank-statement matching; optional.
    iban: Mapped[str | None] = mapped_column(String(34), default=None)
    # The language of the buyer's emails, invoice PDFs and hosted page (payinvoice.i18n.LOCALES).
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # What e-invoices need of the buyer (all optional until its format requires them): the postal
    # address {line1, line2?, postcode, city, country}, VAT id, BT-10 buyer reference (a German
    # public buyer's Leitweg-ID), electronic address {scheme, value} and the format it receives.
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    vat_id: Mapped[str | None] = mapped_column(String(32), default=None)
    buyer_reference: Mapped[str | None] = mapped_column(String(200), default=None)
    electronic_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    einvoice_format: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def payment_record(self) -> PaymentRecord:
        return PaymentRecord(
            invoices_paid=self.invoices_paid, paid_on_time=self.paid_on_time,
            on_time_streak=self.on_time_streak, total_days_late=self.total_days_late,
            worst_days_late=self.worst_days_late,
        )


class CreditReservation(Base):
    __tablename__ = "credit_reservations"

    invoice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"), index=True)
    amount: Mapped[int]
    version: Mapped[int] = mapped_column(default=0)
    # Set when the amount also counts in this merchant's total exposure (policy currency).
    merchant_id: Mapped[str | None] = mapped_column(String(36), default=None)


class InvoiceNumber(Base):
    __tablename__ = "invoice_numbers"
    __table_args__ = (UniqueConstraint("merchant_id", "sequence"),)

    invoice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    sequence: Mapped[int]


class CreditNoteNumber(Base):
    """A credit note's number, taken once: gapless per merchant like invoice numbers."""

    __tablename__ = "credit_note_numbers"
    __table_args__ = (UniqueConstraint("merchant_id", "sequence"),)

    invoice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    credit_note_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    sequence: Mapped[int]


class BuyerRefund(Base):
    """Money paid back out of a buyer's credit balance; the merchant's `reference` makes a
    retry answer the same refund."""

    __tablename__ = "buyer_refunds"
    __table_args__ = (UniqueConstraint("buyer_id", "reference"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"))
    reference: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Unpaid open, overdue and uncollectible invoices: what the receivables index holds (migration
# 0008 repeats it; the order of the statuses matches api/reports/receivables.py).
RECEIVABLE_CONDITION = "status IN ('open', 'overdue', 'uncollectible') AND amount_due > 0"


class Invoice(Base):
    """Read model of one invoice, written only by the workflow's save_invoice activity."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("merchant_id", "order_id"),
        Index("ix_invoices_merchant_created", "merchant_id", "created_at", "id"),
        Index("ix_invoices_buyer_status", "buyer_id", "status"),
        # The aging report (and DSO's receivables): a merchant's unpaid invoices by due date.
        Index("ix_invoices_merchant_status_due", "merchant_id", "status", "due_date"),
        # DSO's credit sales: a merchant's invoices issued in a window.
        Index("ix_invoices_merchant_issue", "merchant_id", "issue_date"),
        # The aging report's whole read: unpaid receivables, in its group-by order (0008).
        Index(
            "ix_invoices_receivables", "merchant_id", "buyer_id", "currency", "due_date", "amount_due",
            postgresql_where=text(RECEIVABLE_CONDITION), sqlite_where=text(RECEIVABLE_CONDITION),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"))
    order_id: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    number: Mapped[str | None] = mapped_column(String(32), default=None)
    total: Mapped[int]
    amount_due: Mapped[int]
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    # The calendar dates of the view (UTC), set once the invoice is issued; what reports group by.
    issue_date: Mapped[date | None] = mapped_column(Date, default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    final_notice_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    # This invoice suspended its buyer (final notice or the policy's overdue rule).
    suspends_buyer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The hosted invoice page's token (GET /i/{token}): set at checkout, never changed.
    hosted_token: Mapped[str | None] = mapped_column(String(64), default=None, unique=True, index=True)
    # The whole InvoiceView as JSON: what the API renders.
    document: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SentEmail(Base):
    """Log of delivered emails by Message-ID, so a retried send does not go out twice."""

    __tablename__ = "sent_emails"

    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(64), default=None)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoicePdf(Base):
    """The latest invoice PDF an email carried, with the SHA-256 of what it was printed from (the
    template and its input, `payinvoice.documents.pdf_sha256`): while that hashes the same, its
    reminders attach these bytes instead of printing again (the renderer's cost: docs/performance.md)."""

    __tablename__ = "invoice_pdfs"

    # No foreign key, like every table keyed by an invoice id: the aging benchmark drops and
    # rebuilds the invoices' keys around its bulk load.
    invoice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The SHA-256 of what the PDF was printed from (its template and input; once its HTML).
    html_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceBankDetails(Base):
    """The bank details an invoice was issued with, frozen at issue: its PDF, page and EPC QR keep
    them when the merchant's change later (a change applies to invoices issued after it)."""

    __tablename__ = "invoice_bank_details"

    invoice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    iban: Mapped[str | None] = mapped_column(String(34), default=None)
    bic: Mapped[str | None] = mapped_column(String(11), default=None)
    account_holder: Mapped[str | None] = mapped_column(String(200), default=None)
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditPolicyVersion(Base):
    """Every version of a merchant's credit policy; the newest is in force."""

    __tablename__ = "credit_policies"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DunningLadderVersion(Base):
    """Every version of a merchant's reminder ladder, {"stages": [ReminderStage...]}; the newest
    is in force. Invoices freeze the one in force at checkout."""

    __tablename__ = "dunning_ladders"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditCheckSettings(Base):
    """The merchant's external scoring endpoint."""

    __tablename__ = "credit_check_settings"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Sealed at rest (payinvoice/db/sealed.py), like every secret below.
    secret: Mapped[str] = mapped_column(SealedString(context="credit_check_settings.secret"))
    timeout_ms: Mapped[int] = mapped_column(Integer)
    cache_days: Mapped[int] = mapped_column(Integer)
    on_error: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Settlement(Base):
    """One settled invoice in its buyer's payment record; the key makes recording it idempotent."""

    __tablename__ = "settlements"

    invoice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"), index=True)
    days_late: Mapped[int]
    settled_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditEvent(Base):
    """A change to a buyer's credit line, with its reason: the credit history."""

    __tablename__ = "credit_events"
    __table_args__ = (Index("ix_credit_events_buyer_created", "buyer_id", "created_at"),)

    # Deterministic per cause (e.g. "settled:<invoice>"), so a retried activity records it once.
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    old_limit: Mapped[int | None] = mapped_column(default=None)
    new_limit: Mapped[int | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(String(500))
    invoice_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEndpoint(Base):
    """A merchant's URL for signed event deliveries. `secret` signs them and is never logged."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Event types subscribed to; an empty list means every type.
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(SealedString(context="webhook_endpoints.secret"))
    # "enabled" or "disabled" (a delivery failed for its whole retry window).
    status: Mapped[str] = mapped_column(String(16), default="enabled")
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


_last_recorded = 0


def recorded_order() -> int:
    """Nanoseconds of the wall clock, but strictly increasing within a process: the events of one
    change share their `created_at`, and this keeps the order they were recorded in."""
    global _last_recorded
    _last_recorded = max(_last_recorded + 1, time.time_ns())
    return _last_recorded


class WebhookEvent(Base):
    """The outbox: one event, written in the transaction of the change it reports.

    The id is derived from its cause (invoice snapshot version and type, or credit event), so a
    retried activity records it once."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(36))
    # The whole delivery body: {type, created_at, data}.
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Orders events of the same `created_at` (redeliveries go oldest first); none before 0016.
    seq: Mapped[int | None] = mapped_column(default=recorded_order)


class WebhookDelivery(Base):
    """One event for one endpoint; its id is the `webhook-id` of every attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id"))
    # pending | retrying | delivered | failed (its endpoint was disabled) | abandoned (its attempt
    # could not be recorded: workflows/webhook_delivery.py)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Sent again on request (POST .../retry), up to PAYINVOICE_WEBHOOK_MAX_RESENDS.
    resends: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: its status code and, of a 2xx answer only, the start of
    the body (payinvoice/outbound.py's `reply_excerpt`)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[str] = mapped_column(String(1000), default="")
    # "timeout", "connection_error", ... when there was no HTTP answer.
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A merchant's API key, stored as its SHA-256 only. The role says what it may do: `merchant`
    everything, `processor` settlements only (signed with `signing_secret`), `support` reads."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The processor's HMAC secret; it must be readable to check signatures, so it is never logged.
    signing_secret: Mapped[str | None] = mapped_column(
        SealedString(context="api_keys.signing_secret"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by a rotation: the old key keeps working until then.
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    replaced_by: Mapped[str | None] = mapped_column(String(36), default=None)


class ProcessorSettlement(Base):
    """A settlement a processor reported, remembered so that a replay changes nothing."""

    __tablename__ = "processor_settlements"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    settlement_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(36))
    body_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class BankEntry(Base):
    """A credit entry of an imported bank statement (camt.053), remembered by its bank reference
    so that the same entry never applies twice. Unmatched ones wait here for finance staff.

    `resolution` of an unmatched entry: None (waiting), "applying" (claimed for `invoice_id`, the
    payment in flight), "applied" or "dismissed"."""

    __tablename__ = "bank_entries"
    __table_args__ = (
        UniqueConstraint("merchant_id", "account", "entry_ref"),
        Index("ix_bank_entries_merchant_outcome_created", "merchant_id", "outcome", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    statement_id: Mapped[str] = mapped_column(String(100))
    # The statement's account (IBAN or other id); "" when the file names none.
    account: Mapped[str] = mapped_column(String(64))
    entry_ref: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    booked_at: Mapped[datetime | None] = mapped_column(default=None)
    debtor_name: Mapped[str | None] = mapped_column(String(200), default=None)
    debtor_iban: Mapped[str | None] = mapped_column(String(34), default=None)
    references: Mapped[list[str]] = mapped_column(JSON)
    remittance: Mapped[list[str]] = mapped_column(JSON)
    # "matched" or "unmatched"; `matched_by` names the rule that matched.
    outcome: Mapped[str] = mapped_column(String(16))
    matched_by: Mapped[str | None] = mapped_column(String(16), default=None)
    invoice_id: Mapped[str | None] = mapped_column(String(36), default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    resolution: Mapped[str | None] = mapped_column(String(16), default=None)
    resolution_note: Mapped[str | None] = mapped_column(String(500), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerEntry(Base):
    """One movement of money (payinvoice.contracts.LedgerKind), append-only. Written only by
    activities, in the transaction of the invoice snapshot that reflects it. The amount is signed
    (what raises the invoice's `amount_paid` is positive); (invoice, kind, source_id) is unique,
    so a retried activity inserts nothing twice."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("invoice_id", "kind", "source_id"),
        Index("ix_ledger_entries_merchant_invoice", "merchant_id", "invoice_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"), index=True)
    # None for a buyer's own movements (a refund of its balance).
    invoice_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    # Where the money came from or went: the payment method, "merchant" for its own moves.
    source: Mapped[str] = mapped_column(String(50))
    # The payment, refund or other id that made it (the invoice's own id for a mark-paid).
    source_id: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeIntegration(Base):
    """The merchant's Stripe webhook endpoint secret (`whsec_…`), which signs the events Stripe
    posts to /v1/integrations/stripe/events/{merchant_id}. Never shown back, never logged."""

    __tablename__ = "stripe_integrations"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    webhook_secret: Mapped[str] = mapped_column(SealedString(context="stripe_integrations.webhook_secret"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StripeEvent(Base):
    """A Stripe event received for a merchant, remembered by its id so that a redelivery applies
    nothing twice, with what became of it: `outcome` "applied", "queued" (accepted durably,
    applied when a worker runs), "unmatched", "refused" (the invoice would not take it),
    or "ignored"; `reason` says why it was not applied."""

    __tablename__ = "stripe_events"

    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    invoice_id: Mapped[str | None] = mapped_column(String(36), default=None)
    payment_id: Mapped[str | None] = mapped_column(String(255), default=None)
    amount: Mapped[int | None] = mapped_column(default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
