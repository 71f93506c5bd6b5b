"""Which invoice a credit entry pays, in this order:

1. the RF creditor reference of the structured remittance information (ISO 11649, checked);
2. an invoice number anywhere in the unstructured remittance text ("inv 000123" counts too);
3. the exact amount, against the single open invoice of that amount of the buyer the debtor is
   (by an IBAN known for the buyer, or by name);
4. otherwise none: the entry waits in the unmatched queue, with the reason.

An entry that names an invoice (rules 1 and 2) is never paid to another one: when that invoice
cannot take it (another currency, already paid, void) the entry goes unmatched with the reason.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from stdnum import iso11649

from payinvoice.domain.money import from_minor
from payinvoice.domain.reference import INVOICE_PREFIX, invoice_number
from payinvoice.domain.status import PAYABLE
from payinvoice.reconciliation.camt053 import StatementEntry

# The prefix, then any run of spaces or separators, then the sequence ("INV-000123",
# "inv 123", "Inv.000123"); not inside a longer word or number.
_NUMBER = re.compile(rf"(?<![0-9A-Z]){INVOICE_PREFIX}[\s\-_/.:#]*([0-9]{{1,12}})(?![0-9])", re.IGNORECASE)


class MatchedBy(StrEnum):
    REFERENCE = "reference"
    INVOICE_NUMBER = "invoice_number"
    AMOUNT = "amount"


@dataclass(frozen=True)
class InvoiceCandidate:
    """What matching needs of one of the merchant's invoices."""

    invoice_id: str
    number: str | None
    payment_reference: str | None
    buyer_id: str
    currency: str
    amount_due: int
    status: str
    created_at: datetime


@dataclass(frozen=True)
class KnownBuyer:
    buyer_id: str
    name: str
    iban: str | None = None


@dataclass(frozen=True)
class Match:
    """The invoice to pay and the rule that found it, or the reason there is none."""

    invoice_id: str | None = None
    matched_by: MatchedBy | None = None
    reason: str | None = None


def creditor_references(entry: StatementEntry) -> list[str]:
    """The entry's structured references that are valid ISO 11649 RF references, compacted."""
    return [iso11649.compact(ref) for ref in entry.references if iso11649.is_valid(ref)]


def invoice_numbers_in(texts: Iterable[str]) -> list[str]:
    """Invoice numbers written anywhere in `texts`, as issued (`INV-000123`), in order, once."""
    found = [invoice_number(int(m.group(1))) for text in texts for m in _NUMBER.finditer(text)]
    return list(dict.fromkeys(found))


def same_name(a: str, b: str) -> bool:
    """Names equal but for case, spacing, punctuation and accents ("ACME G.M.B.H." is "Acme GmbH",
    "BERGMANN + SOEHNE KG" is "Bergmann & Söhne KG")."""
    return _letters(a) == _letters(b) != ""


def identified_buyers(entry: StatementEntry, buyers: Sequence[KnownBuyer]) -> list[KnownBuyer]:
    """The buyers the debtor is: by IBAN when one is known for the buyer, else by name."""
    if entry.debtor_iban:
        by_iban = [b for b in buyers if b.iban and b.iban == entry.debtor_iban]
        if by_iban:
            return by_iban
    if entry.debtor_name:
        return [b for b in buyers if same_name(b.name, entry.debtor_name)]
    return []


def match_entry(
    entry: StatementEntry, invoices: Sequence[InvoiceCandidate], buyers: Sequence[KnownBuyer]
) -> Match:
    """The invoice a credit entry pays, given the merchant's candidate invoices and buyers."""
    references = set(creditor_references(entry))
    named = [i for i in invoices if i.payment_reference and i.payment_reference in references]
    if named:
        return _named(entry, named, MatchedBy.REFERENCE)
    numbers = set(invoice_numbers_in(entry.remittance))
    named = [i for i in invoices if i.number and i.number in numbers]
    if named:
        return _named(entry, named, MatchedBy.INVOICE_NUMBER)
    return _by_amount(entry, invoices, identified_buyers(entry, buyers))


def _named(entry: StatementEntry, named: Sequence[InvoiceCandidate], rule: MatchedBy) -> Match:
    if len(named) > 1:
        listed = ", ".join(sorted(i.number or i.invoice_id for i in named))
        return Match(reason=f"the entry names several invoices ({listed}): apply it by hand")
    invoice = named[0]
    what = f"invoice {invoice.number or invoice.invoice_id}"
    if invoice.currency != entry.currency:
        return Match(reason=f"currency_mismatch: entry in {entry.currency}, {what} in {invoice.currency}")
    if invoice.status not in PAYABLE:
        return Match(reason=f"{what} is {invoice.status}: it takes no payment")
    return Match(invoice_id=invoice.invoice_id, matched_by=rule)


def _by_amount(
    entry: StatementEntry, invoices: Sequence[InvoiceCandidate], buyers: Sequence[KnownBuyer]
) -> Match:
    if not buyers:
        return Match(reason="no valid RF reference, no invoice number and no known debtor")
    ids = {b.buyer_id for b in buyers}
    amount = f"{from_minor(entry.minor, entry.currency)} {entry.currency}"
    fits = [
        i for i in invoices
        if i.buyer_id in ids and i.status in PAYABLE and i.currency == entry.currency
        and i.amount_due == entry.minor
    ]  # fmt: skip
    who = ", ".join(sorted({b.name for b in buyers}))
    if not fits:
        return Match(reason=f"no open invoice of {amount} for {who}")
    if len(fits) > 1:
        return Match(reason=f"{len(fits)} open invoices of {amount} for {who}: apply it by hand")
    return Match(invoice_id=fits[0].invoice_id, matched_by=MatchedBy.AMOUNT)


# How SEPA's Latin character set spells what it lacks ("Söhne" arrives as "SOEHNE").
_SPELLED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def _letters(name: str) -> str:
    spelled = unicodedata.normalize("NFKD", name.casefold().translate(_SPELLED))
    return "".join(ch for ch in spelled if ch.isalnum() and not unicodedata.combining(ch))
