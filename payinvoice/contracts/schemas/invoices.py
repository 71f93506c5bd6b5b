"""Invoices: the checkout body, the messages that change an invoice, and the invoice as answered."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from payinvoice.contracts.schemas.base import CURRENCIES, Strict, Text
from payinvoice.domain.lines import TaxCategory

TAX_CATEGORIES: dict[str, Any] = {"enum": [category.value for category in TaxCategory]}
OPTIONAL_TAX_CATEGORIES: dict[str, Any] = {"enum": [*TAX_CATEGORIES["enum"], None]}

# Invoices


class LineIn(Strict):
    description: str = Field(min_length=1, max_length=500)
    quantity: str = Field(max_length=40, examples=["2", "1.5"])
    unit_price: str = Field(max_length=40, examples=["19.99"])
    tax_rate: str = Field(default="0", max_length=12, examples=["19", "7.5"])
    # The domain checks the category against the rate and the buyer (422 `invalid_tax_category`,
    # naming the line), so the list is stated for the OpenAPI document only.
    tax_category: str | None = Field(
        default=None, max_length=2, json_schema_extra=OPTIONAL_TAX_CATEGORIES,
        description="EN 16931 VAT category: S standard (the default), Z zero rated, E exempt, "
        "AE reverse charge, K intra-community supply, G export outside the EU, O outside the scope of VAT.",
    )
    exemption_reason: str | None = Field(
        default=None, max_length=200,
        description="Why no VAT is charged: needed for E; AE, K, G and O get a standard text without one.",
    )


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

class ActorOut(BaseModel):
    role: str = Field(description="The API key's role, or `system` for the workflow itself.")
    key_id: str | None


class InvoiceEventOut(BaseModel):
    at: datetime
    kind: str
    who: ActorOut
    details: dict[str, str]


class InvoiceEventPage(BaseModel):
    """One page of an invoice's events, oldest first; `next_cursor` fetches the next."""

    data: list[InvoiceEventOut]
    next_cursor: str | None


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
    tax_category: str = Field(default="S", json_schema_extra=TAX_CATEGORIES)
    exemption_reason: str | None = None


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
