"""Merchants, their bank details and API keys."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from payinvoice.contracts.schemas.base import CURRENCIES, Strict, Text

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
