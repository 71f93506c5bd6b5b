"""Buyers, their credit lines and payment records."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from payinvoice.contracts.schemas.base import CURRENCIES, Strict, Text
from payinvoice.contracts.schemas.invoices import EarlyPaymentDiscountIO
from payinvoice.contracts.schemas.settings import DunningLadderIO

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
    """One page of a buyer's credit history, newest first; `next_cursor` fetches the next."""

    data: list[CreditEventOut]
    next_cursor: str | None
