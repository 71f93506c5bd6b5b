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
    credit_limit: str = Field(max_length=40, examples=["5000.00"])
    payment_terms_days: int = Field(default=30, ge=0, le=365)


class BuyerUpdate(Strict):
    credit_limit: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, min_length=3, max_length=320)
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    status: Literal["active", "suspended"] | None = None


class Credit(BaseModel):
    limit: str
    exposure: str
    available: str
    status: str


class BuyerOut(BaseModel):
    id: str
    external_id: str
    name: str
    email: str
    currency: str
    credit_limit: str
    payment_terms_days: int
    status: str
    credit: Credit
    created_at: datetime


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
    workflow_id: str
    created_at: datetime


class InvoiceList(BaseModel):
    data: list[InvoiceOut]
    next_cursor: str | None
