"""Buyers, their credit lines and payment records."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from payinvoice.contracts.schemas.base import CURRENCIES, Strict, Text
from payinvoice.contracts.schemas.company import ElectronicAddressIO, PostalAddressIO
from payinvoice.contracts.schemas.invoices import EarlyPaymentDiscountIO
from payinvoice.contracts.schemas.settings import DunningLadderIO
from payinvoice.domain.parties import MAX_BUYER_REFERENCE, EInvoiceFormat

# The formats a buyer may receive: the core's names, stated for the OpenAPI document; the core
# refuses any other (422 `invalid_request`, naming `einvoice_format`).
EINVOICE_FORMATS: dict[str, Any] = {"enum": [f.value for f in EInvoiceFormat]}
OPTIONAL_EINVOICE_FORMATS: dict[str, Any] = {"enum": [*EINVOICE_FORMATS["enum"], None]}

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
    address: PostalAddressIO | None = Field(default=None, description="BG-8, the buyer's postal address.")
    vat_id: str | None = Field(
        default=None, max_length=40, examples=["ATU57194903"], description="BT-48, with its country prefix."
    )
    buyer_reference: str | None = Field(
        default=None, max_length=MAX_BUYER_REFERENCE,
        description="BT-10, e.g. a German public buyer's Leitweg-ID.",
    )  # fmt: skip
    electronic_address: ElectronicAddressIO | None = Field(
        default=None, description="BT-49: where e-invoices reach the buyer, under an EAS scheme."
    )
    einvoice_format: str = Field(
        default="none", max_length=16, json_schema_extra=EINVOICE_FORMATS,
        description="The e-invoice the buyer receives with each invoice, or none.",
    )  # fmt: skip


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
    address: PostalAddressIO | None = Field(default=None, description="null forgets it.")
    vat_id: str | None = Field(default=None, max_length=40, description="null forgets it.")
    buyer_reference: str | None = Field(
        default=None, max_length=MAX_BUYER_REFERENCE, description="null forgets it."
    )
    electronic_address: ElectronicAddressIO | None = Field(default=None, description="null forgets it.")
    einvoice_format: str | None = Field(
        default=None, max_length=16, json_schema_extra=OPTIONAL_EINVOICE_FORMATS
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
    address: PostalAddressIO | None = None
    vat_id: str | None = None
    buyer_reference: str | None = None
    electronic_address: ElectronicAddressIO | None = None
    einvoice_format: str = Field(default="none", json_schema_extra=EINVOICE_FORMATS)
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
