"""Request and response bodies. Money is a decimal string with the currency's ISO 4217 exponent."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Text = Field(min_length=1, max_length=200)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Merchants


class MerchantCreate(Strict):
    name: str = Text
    currency: str = Field(default="EUR", min_length=3, max_length=3, description="Of the credit policy.")


class MerchantCreated(BaseModel):
    id: str
    name: str
    api_key: str = Field(description="Shown once; only its hash is stored.")


# Buyers


class BuyerCreate(Strict):
    external_id: str = Text
    name: str = Text
    email: str = Field(min_length=3, max_length=320)
    currency: str = Field(min_length=3, max_length=3)
    credit_limit: str | None = Field(
        default=None, max_length=40, examples=["5000.00"],
        description="Omit it to let the merchant's credit policy set and learn the limit.",
    )
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    review_all: bool = False


class BuyerUpdate(Strict):
    credit_limit: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, min_length=3, max_length=320)
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    status: Literal["active", "suspended"] | None = None
    limit_source: Literal["manual", "policy"] | None = None
    review_all: bool | None = None


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
    currency: str | None = Field(default=None, min_length=3, max_length=3)
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


# Invoices


class LineIn(Strict):
    description: str = Field(min_length=1, max_length=500)
    quantity: str = Field(max_length=40, examples=["2", "1.5"])
    unit_price: str = Field(max_length=40, examples=["19.99"])
    tax_rate: str = Field(default="0", max_length=12, examples=["19", "7.5"])


class InvoiceCreate(Strict):
    order_id: str = Text
    buyer_id: str = Field(min_length=1, max_length=64)
    currency: str = Field(min_length=3, max_length=3)
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    purchase_order: str | None = Field(default=None, max_length=200)


class PaymentIn(Strict):
    payment_id: str = Text
    amount: str = Field(max_length=40)
    currency: str = Field(min_length=3, max_length=3)
    paid_at: datetime | None = None
    method: str = Field(default="unknown", max_length=50)


class VoidIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class ReviewIn(Strict):
    decision: Literal["approve", "decline"]
    note: str = Field(default="", max_length=1000)


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
    reminders: list[ReminderOut]
    next_reminder: NextReminderOut | None
    email_failures: list[EmailFailureOut]
    void_reason: str | None
    decision: DecisionOut | None
    review: ReviewOut | None
    workflow_id: str
    created_at: datetime


class InvoiceList(BaseModel):
    data: list[InvoiceOut]
    next_cursor: str | None
