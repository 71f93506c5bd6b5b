"""Request and response bodies. Money is a decimal string with the currency's ISO 4217 exponent."""

import re
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from payinvoice.domain.money import CURRENCY_EXPONENTS
from payinvoice.webhooks import EVENT_TYPES

Text = Field(min_length=1, max_length=200)
# The supported currencies, stated in the OpenAPI document; the domain refuses any other with
# 422 `unsupported_currency` (a code of its own, so pydantic does not check the list).
CURRENCIES: dict[str, Any] = {"enum": sorted(CURRENCY_EXPONENTS)}
OPTIONAL_CURRENCIES: dict[str, Any] = {"enum": [*sorted(CURRENCY_EXPONENTS), None]}


# What no text column can hold: NUL (PostgreSQL refuses it) and unpaired UTF-16 surrogates
# (JSON escapes like "\ud800", which have no UTF-8 form).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def http_url(value: str) -> str:
    """A field validator's check of a URL we will POST to (credit check and webhook endpoints)."""
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError("must not contain whitespace or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    return value


class Strict(BaseModel):
    # No unknown fields, and no coercion: `false` is not 0 and "30" is not 30.
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str) and UNSTORABLE.search(value):
            raise ValueError("must not contain NUL characters or unpaired surrogates")
        return value


# Merchants


class MerchantCreate(Strict):
    name: str = Text
    email: str | None = Field(
        default=None, min_length=3, max_length=320, description="Where operational notices go."
    )
    currency: str = Field(
        default="EUR",
        min_length=3,
        max_length=3,
        description="Of the credit policy.",
        json_schema_extra=CURRENCIES,
    )


class MerchantCreated(BaseModel):
    id: str
    name: str
    api_key: str = Field(description="Shown once; only its hash is stored.")


class BankDetailsIn(Strict):
    iban: str | None = Field(default=None, max_length=50, examples=["DE89 3704 0044 0532 0130 00"])
    bic: str | None = Field(default=None, max_length=20, examples=["COBADEFFXXX"])
    legal_name: str | None = Field(
        default=None, min_length=1, max_length=70, description="The account holder, printed on invoices."
    )
    address: str | None = Field(default=None, max_length=500, description="Lines separated by newlines.")


class BankDetailsOut(BaseModel):
    iban: str | None
    bic: str | None
    legal_name: str | None
    address: str | None


# API keys


class KeyCreate(Strict):
    role: Literal["merchant", "processor", "support"]


class KeyRotate(Strict):
    grace_seconds: int = Field(default=86400, ge=0, le=30 * 86400)


class KeyOut(BaseModel):
    id: str
    role: str
    created_at: datetime
    expires_at: datetime | None = Field(description="Set by a rotation: the key stops working then.")
    replaced_by: str | None


class KeyCreated(KeyOut):
    key: str = Field(description="Shown once; only its hash is stored.")
    signing_secret: str | None = Field(
        description="Processor keys only, shown once: signs settlements (Payinvoice-Signature)."
    )


class KeyList(BaseModel):
    data: list[KeyOut]


# Buyers


class BuyerCreate(Strict):
    external_id: str = Text
    name: str = Text
    email: str = Field(min_length=3, max_length=320)
    currency: str = Field(min_length=3, max_length=3, json_schema_extra=CURRENCIES)
    credit_limit: str | None = Field(
        default=None,
        max_length=40,
        examples=["5000.00"],
        description="Omit it to let the merchant's credit policy set and learn the limit.",
    )
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    review_all: bool = False
    iban: str | None = Field(
        default=None, max_length=50, description="The buyer's bank account, to match its transfers by."
    )
    locale: Literal["en", "de"] = Field(
        default="en", description="The language of the buyer's emails, invoice PDFs and hosted page."
    )
    early_payment_discount: "EarlyPaymentDiscountIO | None" = Field(
        default=None, description="Skonto on the buyer's invoices, e.g. {percent: '2', days: 10}."
    )


class BuyerUpdate(Strict):
    credit_limit: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, min_length=3, max_length=320)
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    status: Literal["active", "suspended"] | None = None
    limit_source: Literal["manual", "policy"] | None = None
    review_all: bool | None = None
    dunning_ladder: "DunningLadderIO | None" = Field(
        default=None, description="The buyer's own reminder ladder; null goes back to the merchant's."
    )
    iban: str | None = Field(default=None, max_length=50, description="null forgets it.")
    locale: Literal["en", "de"] | None = None
    early_payment_discount: "EarlyPaymentDiscountIO | None" = Field(
        default=None, description="null removes it."
    )


class Credit(BaseModel):
    limit: str
    exposure: str
    available: str
    status: str


class PaymentRecordOut(BaseModel):
    invoices_paid: int
    paid_on_time: int
    on_time_streak: int
    average_days_late: str
    worst_days_late: int
    overdue_amount: str


class BuyerOut(BaseModel):
    id: str
    external_id: str
    name: str
    email: str
    currency: str
    credit_limit: str
    limit_source: str
    review_all: bool
    payment_terms_days: int
    status: str
    credit: Credit
    payment_record: PaymentRecordOut
    dunning_ladder: "DunningLadderIO | None" = None
    iban: str | None = None
    locale: str = "en"
    early_payment_discount: "EarlyPaymentDiscountIO | None" = None
    balance: str = Field(
        default="0", description="The buyer's credit balance: it pays its next invoices at issue."
    )
    created_at: datetime


class CreditEventOut(BaseModel):
    kind: str
    old_limit: str | None
    new_limit: str | None
    reason: str
    invoice_id: str | None
    created_at: datetime


class CreditHistory(BaseModel):
    data: list[CreditEventOut]


# Credit policy


class GrowthIO(Strict):
    after_on_time_payments: int = Field(ge=1, le=1000)
    step: str = Field(max_length=40)
    cap: str = Field(max_length=40)


class ReductionIO(Strict):
    on_days_late_over: int = Field(ge=0, le=3650)
    factor: str = Field(max_length=12, examples=["0.5"])


class CreditPolicyIn(Strict):
    currency: str | None = Field(
        default=None, min_length=3, max_length=3, json_schema_extra=OPTIONAL_CURRENCIES
    )
    new_buyer_limit: str = Field(max_length=40)
    max_limit: str = Field(max_length=40)
    auto_approve_up_to: str | None = Field(default=None, max_length=40)
    max_total_exposure: str | None = Field(default=None, max_length=40)
    growth: GrowthIO | None = None
    reduction: ReductionIO | None = None
    suspend_after_days_overdue: int | None = Field(default=None, ge=1, le=3650)
    review_days: int = Field(default=2, ge=1, le=365)


class CreditPolicyOut(BaseModel):
    version: int
    currency: str
    new_buyer_limit: str
    max_limit: str
    auto_approve_up_to: str | None
    max_total_exposure: str | None
    growth: GrowthIO | None
    reduction: ReductionIO | None
    suspend_after_days_overdue: int | None
    review_days: int


# External credit check


class CreditCheckSettingsIn(Strict):
    url: str = Field(max_length=2000, examples=["https://scoring.example.com/check"])
    secret: str = Field(min_length=16, max_length=200, description="Signs each request; never shown again.")
    timeout_ms: int = Field(ge=50, le=30000)
    cache_days: int = Field(ge=0, le=3650)
    on_error: Literal["approve_within_limit", "review", "decline"]

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)


class CreditCheckSettingsOut(BaseModel):
    url: str
    timeout_ms: int
    cache_days: int
    on_error: str
    secret_set: bool


# Reminder ladders (the rules are payinvoice.domain.dunning's; these only bound request sizes)


class LateFeeIO(Strict):
    fixed: str | None = Field(default=None, max_length=40, examples=["10.00"])
    percent: str | None = Field(default=None, max_length=40, examples=["1.5"])
    cap: str | None = Field(default=None, max_length=40, examples=["50.00"])


class DunningStageIO(Strict):
    name: str = Field(max_length=100, examples=["overdue_1"])
    offset_days: int = Field(strict=True, description="Days relative to the due date; negative is before.")
    subject: str | None = Field(default=None, max_length=2000, description="Jinja2 template.")
    body: str | None = Field(default=None, max_length=20000, description="Jinja2 template, plain text.")
    late_fee: LateFeeIO | None = Field(default=None, description="Charged as a fee line at the stage.")
    suspend_credit: bool = False
    mark_uncollectible: bool = False


class DunningLadderIO(Strict):
    stages: list[DunningStageIO] = Field(max_length=100)


class DunningLadderOut(DunningLadderIO):
    version: int = Field(description="0 is the default ladder.")


# Invoices


class LineIn(Strict):
    description: str = Field(min_length=1, max_length=500)
    quantity: str = Field(max_length=40, examples=["2", "1.5"])
    unit_price: str = Field(max_length=40, examples=["19.99"])
    tax_rate: str = Field(default="0", max_length=12, examples=["19", "7.5"])


class EarlyPaymentDiscountIO(Strict):
    percent: str = Field(description='Percent of the total, e.g. "2" for "2/10 net 30".', max_length=12)
    days: int = Field(description="Days after issue the discount is on offer.")


class InvoiceCreate(Strict):
    order_id: str = Text
    buyer_id: str = Field(min_length=1, max_length=64)
    currency: str = Field(min_length=3, max_length=3, json_schema_extra=CURRENCIES)
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    purchase_order: str | None = Field(default=None, max_length=200)
    early_payment_discount: EarlyPaymentDiscountIO | None = Field(
        default=None, description="Skonto for this invoice, e.g. {percent: '2', days: 10}; else the buyer's."
    )


class PaymentIn(Strict):
    payment_id: str = Text
    amount: str = Field(max_length=40)
    currency: str = Field(min_length=3, max_length=3, json_schema_extra=CURRENCIES)
    paid_at: datetime | None = Field(default=None, strict=False)  # from its ISO 8601 string
    method: str = Field(default="unknown", max_length=50)


class SettlementIn(Strict):
    """A processor's settlement; names its invoice by id or by payment reference, not both."""

    settlement_id: str = Text
    invoice_id: str | None = Field(default=None, min_length=1, max_length=64)
    payment_reference: str | None = Field(default=None, min_length=5, max_length=35)
    amount: str = Field(max_length=40)
    currency: str = Field(min_length=3, max_length=3, json_schema_extra=CURRENCIES)
    paid_at: datetime | None = Field(default=None, strict=False)  # from its ISO 8601 string
    method: str = Field(default="unknown", max_length=50)
    processor: str = Field(default="unknown", max_length=50)

    @model_validator(mode="after")
    def _one_invoice(self) -> "SettlementIn":
        if (self.invoice_id is None) == (self.payment_reference is None):
            raise ValueError("give exactly one of invoice_id and payment_reference")
        return self


class SettlementOut(BaseModel):
    settlement_id: str
    duplicate: bool = Field(description="True when this settlement_id was reported before.")
    invoice: "InvoiceOut"


class VoidIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class ExtendIn(Strict):
    """A later due date: `due_date`, or `by_days` after the current one (exactly one)."""

    due_date: date | None = Field(default=None, strict=False)  # from its ISO 8601 string
    by_days: int | None = Field(default=None, ge=1, le=365)
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_date(self) -> "ExtendIn":
        if (self.due_date is None) == (self.by_days is None):
            raise ValueError("give exactly one of due_date and by_days")
        return self


class PauseIn(Strict):
    until: date | None = Field(default=None, strict=False)  # from its ISO 8601 string
    reason: str = Field(min_length=1, max_length=500)
    resume_policy: Literal["send_latest", "skip_missed"] = "send_latest"


class DisputeIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class ResumeIn(Strict):
    note: str = Field(default="", max_length=1000)


CalendarDate = date  # a field below is called `date`


class PromiseIn(Strict):
    amount: str = Field(max_length=40)
    date: CalendarDate = Field(strict=False)  # from its ISO 8601 string


class InstalmentIn(Strict):
    """One instalment of a plan (`POST /v1/invoices/{id}/instalments` takes a list of them);
    checked by payinvoice.domain.instalments.parse_plan, which answers 422 `invalid_instalments`."""

    due_date: str = Field(max_length=40, examples=["2026-12-01"], description="YYYY-MM-DD")
    amount: str = Field(max_length=40, examples=["300.00"])


class ReviewIn(Strict):
    decision: Literal["approve", "decline"]
    note: str = Field(default="", max_length=1000)


class RefundIn(Strict):
    payment_id: str = Text
    amount: str = Field(max_length=40, examples=["19.00"])
    refund_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Your id of the refund: the same id again counts once. Derived when omitted.",
    )
    reason: str = Field(default="", max_length=500)


class CreditNoteIn(Strict):
    """Credit either an `amount` or `lines` (priced as at checkout, their total credited)."""

    reason: str = Field(min_length=1, max_length=500, examples=["2 items returned damaged"])
    amount: str | None = Field(default=None, max_length=40, examples=["19.00"])
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=200)
    credit_note_id: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Your id of the credit note: the same id again counts once. Derived when omitted.",
    )

    @model_validator(mode="after")
    def _amount_or_lines(self) -> "CreditNoteIn":
        if (self.amount is None) == (self.lines is None):
            raise ValueError("give either amount or lines")
        return self


class BuyerRefundIn(Strict):
    amount: str = Field(max_length=40, examples=["25.00"])
    reference: str = Field(
        min_length=1, max_length=200, description="Your reference of the refund: the same again counts once."
    )


class BuyerRefundOut(BaseModel):
    id: str
    buyer_id: str
    amount: str
    currency: str
    reference: str
    created_at: datetime
    balance: str = Field(description="The buyer's credit balance after the refund.")


class MarkPaidIn(Strict):
    reason: str = Field(min_length=1, max_length=500, examples=["paid by cheque"])


class RefundOut(BaseModel):
    refund_id: str
    payment_id: str
    amount: str
    refunded_at: datetime
    reason: str


class MarkedPaidOut(BaseModel):
    amount: str
    reason: str
    marked_at: datetime


class FeeOut(BaseModel):
    kind: Literal["late_fee", "interest", "compensation"]
    description: str
    amount: str
    at: datetime
    stage: str | None = None


class CreditNoteOut(BaseModel):
    credit_note_id: str
    number: str
    amount: str
    reason: str
    issued_at: datetime
    lines: list["LineOut"] = Field(default_factory=list)


class LateInterestIn(Strict):
    mode: Literal["off", "fixed", "statutory_eu"]
    annual_rate: str | None = Field(
        default=None, max_length=12, description='fixed: percent a year, e.g. "9.5"'
    )
    reference_rate: str | None = Field(
        default=None, max_length=12, description="statutory_eu: the central bank's reference rate, percent"
    )
    margin_points: str | None = Field(default=None, max_length=12, description='statutory_eu: e.g. "8"')
    compensation: str | None = Field(
        default=None, max_length=24, description='statutory_eu: once per late invoice; EUR default "40.00"'
    )


class LateInterestOut(BaseModel):
    mode: Literal["off", "fixed", "statutory_eu"]
    annual_rate: str
    reference_rate: str | None = None
    margin_points: str | None = None
    compensation: str


class LedgerDifferenceOut(BaseModel):
    subject: Literal["invoice", "buyer"]
    id: str
    field: Literal["amount_paid", "charged", "amount_due", "credited_to_balance", "exposure"]
    recorded: str = Field(description="What the read model or the credit line holds.")
    from_ledger: str = Field(description="What the ledger makes of it.")
    currency: str


class LedgerCheckOut(BaseModel):
    consistent: bool
    differences: list[LedgerDifferenceOut]


class ActorOut(BaseModel):
    role: str = Field(description="The API key's role, or `system` for the workflow itself.")
    key_id: str | None


class InvoiceEventOut(BaseModel):
    at: datetime
    kind: str
    who: ActorOut
    details: dict[str, str]


class PromiseOut(BaseModel):
    amount: str
    date: str
    made_at: datetime
    status: Literal["pending", "kept", "broken"]


class LineOut(BaseModel):
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    line_total: str
    tax_amount: str


class PaymentOut(BaseModel):
    payment_id: str
    amount: str
    currency: str
    paid_at: datetime
    method: str


class ReminderOut(BaseModel):
    stage: str
    sent_at: datetime


class NextReminderOut(BaseModel):
    stage: str
    at: datetime


class EmailFailureOut(BaseModel):
    kind: str
    stage: str | None
    error: str
    at: datetime


class DecisionOut(BaseModel):
    outcome: str
    reason: str | None
    rule: str
    limit: str
    exposure: str
    amount: str
    policy_version: int | None
    evaluated_at: datetime


class ReviewOut(BaseModel):
    decision: str
    note: str
    at: datetime


class InstalmentOut(BaseModel):
    number: int
    due_date: str
    amount: str
    paid: str = Field(description="What the payments since the plan paid of it (they fill the oldest first).")
    status: Literal["paid", "due", "overdue"]


class InvoiceOut(BaseModel):
    id: str
    number: str | None
    order_id: str
    buyer_id: str
    currency: str
    status: str
    decline_reason: str | None
    lines: list[LineOut]
    subtotal: str
    tax_total: str
    total: str
    amount_paid: str
    amount_due: str
    overpaid_amount: str
    issue_date: str | None
    due_date: str | None
    payment_terms_days: int
    payment_reference: str | None
    purchase_order: str | None
    payments: list[PaymentOut]
    unapplied_payments: list[PaymentOut] = Field(
        default_factory=list,
        description="Payments that reached the invoice after it stopped taking them (voided meanwhile).",
    )
    refunds: list[RefundOut] = Field(default_factory=list)
    paid_by: Literal["out_of_band", "credit_note", "discount", "credit_balance"] | None = Field(
        default=None,
        description="How an invoice was paid other than by payments: marked paid out of band, credited "
        "to zero, settled with its early-payment discount, or from the buyer's balance.",
    )
    paid_by_reason: str | None = None
    marked_paid: list[MarkedPaidOut] = Field(
        default_factory=list,
        description="What the merchant marked paid out of band, each time: it counts in `amount_paid` "
        "without a payment, so `amount_paid` = payments - refunds + marked paid.",
    )
    reminders: list[ReminderOut]
    resent_reminders: list[ReminderOut] = Field(default_factory=list)
    next_reminder: NextReminderOut | None
    email_failures: list[EmailFailureOut]
    fees: list[FeeOut] = Field(
        default_factory=list,
        description="Late fees, late-payment interest (up to now) and compensation, as lines of their own.",
    )
    credit_notes: list[CreditNoteOut] = Field(default_factory=list)
    discount: str = Field(default="0", description="The early-payment discount taken.")
    early_payment_discount: EarlyPaymentDiscountIO | None = None
    discount_deadline: datetime | None = Field(
        default=None, description="Paid by then at least the discounted amount, the invoice is settled."
    )
    discounted_amount: str | None = Field(
        default=None, description="What settles the invoice until `discount_deadline`."
    )
    charged: str = Field(description="total + fees - credit notes - discount")
    credited_to_balance: str = Field(description="Of the overpaid amount, what went to the buyer's balance.")
    void_reason: str | None
    decision: DecisionOut | None
    review: ReviewOut | None
    paused: bool = False
    # No reminders until this date; null: until resumed.
    paused_until: str | None = None
    disputed: bool = False
    promise: PromiseOut | None = None
    instalments: list[InstalmentOut] = Field(
        default_factory=list, description="The instalment plan, if any; `due_date` is the next unpaid one's."
    )
    workflow_id: str
    hosted_invoice_url: str | None = Field(
        default=None, description="The buyer's page of this invoice (GET /i/{token}): no login, unguessable."
    )
    pdf_url: str | None = Field(default=None, description="GET it with a merchant key: application/pdf.")
    created_at: datetime


class InvoiceList(BaseModel):
    data: list[InvoiceOut]
    next_cursor: str | None


SettlementOut.model_rebuild()  # its invoice is declared further down


# Bank statements (camt.053)


class StatementEntryOut(BaseModel):
    entry_ref: str = Field(description="The bank's reference of the entry (AcctSvcrRef, else NtryRef).")
    amount: str
    currency: str
    outcome: Literal["matched", "unmatched", "already_imported", "ignored_debit"]
    matched_by: Literal["reference", "invoice_number", "amount"] | None = None
    invoice_id: str | None = None
    unmatched_id: str | None = None
    reason: str | None = None


class StatementImportOut(BaseModel):
    statement_id: str
    entries: list[StatementEntryOut]
    counts: dict[str, int] = Field(description="Entries per outcome, every outcome named.")


class UnmatchedEntryOut(BaseModel):
    id: str
    statement_id: str
    account: str
    entry_ref: str
    amount: str
    currency: str
    booked_at: datetime | None
    debtor_name: str | None
    debtor_iban: str | None
    references: list[str]
    remittance: list[str]
    reason: str | None
    status: Literal["open", "applying", "applied", "dismissed"]
    invoice_id: str | None
    resolution_note: str | None
    resolved_at: datetime | None
    created_at: datetime


class UnmatchedList(BaseModel):
    data: list[UnmatchedEntryOut]


class UnmatchedApplyIn(Strict):
    invoice_id: str | None = Field(default=None, min_length=1, max_length=64)
    buyer_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="Pays the buyer's oldest open invoice."
    )


class UnmatchedDismissIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


# Webhook endpoints

ALL_EVENTS = "*"


class WebhookEndpointIn(Strict):
    url: str = Field(max_length=2000, examples=["https://shop.example/payinvoice/webhooks"])
    events: list[str] = Field(
        default_factory=list, max_length=50, examples=[["invoice.paid", "invoice.overdue"]],
        description='Event types to receive; omitted, [] or ["*"] means every type.',
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        if events == [ALL_EVENTS]:
            return []
        unknown = sorted(set(events) - EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)} or ['*']")
        return list(dict.fromkeys(events))


class WebhookEndpointOut(BaseModel):
    id: str
    url: str
    events: list[str] = Field(description='["*"] when subscribed to every type.')
    status: str = Field(description="enabled | disabled (a delivery failed for its whole retry window)")
    disabled_at: datetime | None
    created_at: datetime


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(description="whsec_… (Standard Webhooks); shown once.")


class WebhookEndpointList(BaseModel):
    data: list[WebhookEndpointOut]


class AttemptOut(BaseModel):
    status_code: int | None
    response_body: str = Field(description="The start of the answer (at most 1000 characters).")
    error: str | None = Field(description="timeout, ConnectError, … when there was no answer.")
    attempted_at: datetime


class DeliveryOut(BaseModel):
    id: str = Field(description="The webhook-id header of every attempt.")
    event_id: str
    type: str
    subject_id: str
    status: str = Field(description="pending | retrying | delivered | failed")
    created_at: datetime
    attempts: list[AttemptOut] = Field(description="Oldest first.")


class DeliveryList(BaseModel):
    data: list[DeliveryOut]


# Stripe


class StripeEventOut(BaseModel):
    received: bool = True
    event_id: str
    type: str
    duplicate: bool = Field(description="This event id was received before: nothing is applied twice.")
    applied: bool = Field(description="Whether the event's money reached an invoice.")
    outcome: str = Field(description="applied | queued | unmatched | refused | ignored")
    reason: str | None = Field(description="Why it was not applied.")
    invoice_id: str | None
