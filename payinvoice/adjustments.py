"""What an invoice charges beyond its lines, as the buyer reads it in emails, the PDF and the
hosted page: fee lines, credit notes and a discount taken (each with its sign), and the
early-payment discount still on offer. The original lines never change; these come below them.

Fee descriptions are made by the workflow in English (payinvoice.late_charges, workflows/charges.py):
English shows them as they are; other languages show the translation of the known forms
(`FEE_MESSAGES`), and the description as it is otherwise.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from payinvoice.contracts import CreditNote, Fee, FeeKind, InvoiceView
from payinvoice.domain.discount import discount_amount
from payinvoice.domain.status import PAYABLE
from payinvoice.i18n import checked_locale, format_day, format_number, format_rate

# English message ids translated from Python (the templates' own are found in the templates).
LATE_FEE = "Late fee (%(stage)s)"
LATE_FEE_PLAIN = "Late fee"
INTEREST = "Late-payment interest at %(rate)s a year, %(days)s days"
INTEREST_PLAIN = "Late-payment interest"
COMPENSATION = "Compensation for recovery costs (Directive 2011/7/EU)"
CREDIT_NOTE = "Credit note %(number)s (%(reason)s)"
CREDIT_NOTE_PLAIN = "Credit note %(number)s"
DISCOUNT = "Early-payment discount"
FEE_MESSAGES = (
    LATE_FEE,
    LATE_FEE_PLAIN,
    INTEREST,
    INTEREST_PLAIN,
    COMPENSATION,
    CREDIT_NOTE,
    CREDIT_NOTE_PLAIN,
    DISCOUNT,
)

_LATE_FEE = re.compile(r"Late fee \((?P<stage>.+)\)")
_INTEREST = re.compile(r"Late-payment interest at (?P<rate>\d+(?:\.\d+)?) % a year, (?P<days>\d+) days")

Gettext = Callable[[str], str]


@dataclass(frozen=True)
class Adjustment:
    """One line below the invoice's total: `kind` fee | credit_note | discount; `amount` signed
    (what lowers the amount due is negative)."""

    kind: str
    label: str
    amount: int


@dataclass(frozen=True)
class DiscountOffer:
    """The early-payment discount on offer: `rate` and `deadline` formatted for the buyer,
    `amount` what settles the invoice if paid by then, `saving` what that saves."""

    rate: str
    deadline: str
    amount: int
    saving: int


def fee_label(fee: Fee, gettext: Gettext, locale: str) -> str:
    if checked_locale(locale) == "en":
        return fee.description
    if fee.kind == FeeKind.LATE_FEE:
        match = _LATE_FEE.fullmatch(fee.description)
        if match:
            return gettext(LATE_FEE) % {"stage": match["stage"]}
        return gettext(LATE_FEE_PLAIN) if fee.description == LATE_FEE_PLAIN else fee.description
    if fee.kind == FeeKind.INTEREST:
        match = _INTEREST.fullmatch(fee.description)
        if match:
            rate = format_rate(match["rate"], locale)
            return gettext(INTEREST) % {"rate": rate, "days": format_number(match["days"], locale)}
        return gettext(INTEREST_PLAIN) if fee.description == INTEREST_PLAIN else fee.description
    if fee.kind == FeeKind.COMPENSATION and fee.description == COMPENSATION:
        return gettext(COMPENSATION)
    return fee.description


def credit_note_label(note: CreditNote, gettext: Gettext) -> str:
    if note.reason.strip():
        return gettext(CREDIT_NOTE) % {"number": note.number, "reason": note.reason}
    return gettext(CREDIT_NOTE_PLAIN) % {"number": note.number}


def adjustments(invoice: InvoiceView, gettext: Gettext, locale: str) -> list[Adjustment]:
    """Fee lines, then credit notes, then the discount taken, in the order they happened."""
    rows = [Adjustment("fee", fee_label(fee, gettext, locale), fee.amount) for fee in invoice.fees]
    rows += [
        Adjustment("credit_note", credit_note_label(n, gettext), -n.amount) for n in invoice.credit_notes
    ]
    if invoice.discount:
        rows.append(Adjustment("discount", gettext(DISCOUNT), -invoice.discount))
    return rows


def discount_offer(invoice: InvoiceView, locale: str, now: datetime) -> DiscountOffer | None:
    """The early-payment discount while it can still be taken: on offer, its deadline not past,
    none taken yet, and something left to pay once it is deducted."""
    offer, deadline = invoice.early_payment_discount, invoice.discount_deadline
    if offer is None or deadline is None or now > deadline or invoice.discount:
        return None
    if invoice.status not in PAYABLE:
        return None
    saving = discount_amount(invoice.total, offer)
    amount = invoice.amount_due() - saving
    if saving <= 0 or amount <= 0:
        return None
    return DiscountOffer(
        rate=format_rate(offer.percent, locale),
        deadline=format_day(deadline.date().isoformat(), locale),
        amount=amount,
        saving=saving,
    )


def stage_fees(invoice: InvoiceView, stage: str | None) -> list[Fee]:
    """The late fees a reminder stage charged (the reminder that follows tells the buyer)."""
    if not stage:
        return []
    return [fee for fee in invoice.fees if fee.kind == FeeKind.LATE_FEE and fee.stage == stage]


def find_credit_note(invoice: InvoiceView, number: str | None) -> CreditNote:
    """The credit note an email or document is about; LookupError while the read model does not
    have it yet (the activity is retried)."""
    note = next((n for n in invoice.credit_notes if n.number == number), None)
    if note is None:
        raise LookupError(f"invoice {invoice.invoice_id} has no credit note {number!r} yet")
    return note
