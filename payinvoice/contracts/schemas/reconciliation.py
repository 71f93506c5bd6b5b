"""Checking the money: the ledger check and bank statements (camt.053)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from payinvoice.contracts.schemas.base import Strict


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
