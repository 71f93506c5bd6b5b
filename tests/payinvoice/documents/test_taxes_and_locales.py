"""Taxes by rate add up exactly; money, dates and numbers print in English and German; the German
catalogue translates every message the templates and the PDFs use."""

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from payinvoice import documents
from payinvoice.adjustments import FEE_MESSAGES
from payinvoice.contracts import MarkedPaid
from payinvoice.documents import _ENV as DOCUMENTS_ENV
from payinvoice.documents import STATUS_LABELS
from payinvoice.domain.lines import Line, price_lines
from payinvoice.domain.taxes import TaxGroup, taxes_by_rate
from payinvoice.emails import _ENV as EMAILS_ENV
from payinvoice.emails import SUBJECTS
from payinvoice.i18n import (
    CATALOGUES_DIR,
    checked_locale,
    format_day,
    format_money,
    format_rate,
    translations,
)
from tests.payinvoice.documents.test_fees_and_credit_notes import (
    LATE_FEE,
    NOTE,
    charged_document,
    offering_document,
)
from tests.payinvoice.documents.test_receipt_pdf import PAYMENTS, REFUND
from tests.utils.documents import SELLER, make_document


def test_taxes_group_by_rate_highest_first_and_sum_to_the_totals() -> None:
    lines = [
        Line("A", "2", 1250, "19"), Line("B", "1.5", 8000, "7.5"), Line("C", "3", 99, "0"),
        Line("D", "1", 1001, "19.0"),
    ]
    totals = price_lines(lines, "EUR")
    groups = taxes_by_rate(totals.lines)
    assert groups == [TaxGroup("19", 3501, 665), TaxGroup("7.5", 12000, 900), TaxGroup("0", 297, 0)]
    assert sum(g.net for g in groups) == totals.subtotal
    assert sum(g.tax for g in groups) == totals.tax_total
    assert sum(g.gross for g in groups) == totals.total


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "text"),
    [
        (123450, "EUR", "en", "1,234.50 EUR"),
        (123450, "EUR", "de", "1.234,50\xa0€"),
        (5, "EUR", "de", "0,05\xa0€"),
        (1234, "JPY", "en", "1,234 JPY"),
        (1234, "KWD", "en", "1.234 KWD"),
        (11900, "EUR", "fr", "119.00 EUR"),  # unsupported locales fall back to English
    ],
)
def test_money_is_printed_with_the_currencys_exponent(
    minor: int, currency: str, locale: str, text: str
) -> None:
    assert format_money(minor, currency, locale) == text


def test_dates_and_rates() -> None:
    assert format_day("2025-02-09", "en") == "2025-02-09"
    assert format_day("2025-02-09", "de") == "09.02.2025"
    assert format_day(None, "de") == ""
    assert format_rate("7.5", "en") == "7.5%"
    assert format_rate("7.5", "de") == "7,5\xa0%"
    assert checked_locale("de") == "de" and checked_locale(None) == "en" and checked_locale("xx") == "en"


def _messages() -> set[str]:
    found = set(STATUS_LABELS.values()) | set(FEE_MESSAGES)
    for env in (DOCUMENTS_ENV, EMAILS_ENV):
        for name in env.list_templates():
            if name.startswith("webhook_disabled"):  # to the merchant, in English
                continue
            source = env.loader.get_source(env, name)[0]
            found |= {message for _, _, message in env.extract_translations(source)}
    for subject in SUBJECTS.values():
        found |= {message for _, _, message in EMAILS_ENV.extract_translations(subject)}
    return found


def test_the_german_catalogue_translates_every_message_with_the_same_placeholders() -> None:
    german = json.loads((CATALOGUES_DIR / "de.json").read_text(encoding="utf-8"))
    messages = _messages()
    assert len(messages) > 60
    assert sorted(messages - set(german)) == []
    placeholder = re.compile(r"%\((\w+)\)s")
    for message in messages:
        assert sorted(placeholder.findall(german[message])) == sorted(placeholder.findall(message)), message


def test_the_german_catalogue_translates_every_message_the_pdfs_look_up(monkeypatch) -> None:
    """The PDFs translate in Python (payinvoice.documents), not in a Jinja2 template: every message
    they look up, over invoices paid, unpaid with a discount on offer, without bank details, a
    credit note, and a receipt (refunded, marked paid, overpaid), is in the German catalogue."""
    german = json.loads((CATALOGUES_DIR / "de.json").read_text(encoding="utf-8"))
    looked_up: set[str] = set()

    def recording(locale: str) -> dict[str, Any]:
        messages = translations(locale)
        gettext = messages["gettext"]

        def record(message: str) -> str:
            looked_up.add(message)
            return gettext(message)

        return {**messages, "gettext": record}

    monkeypatch.setattr(documents, "translations", recording)
    paid = make_document("de", status="paid", amount_paid=17362)
    no_bank = replace(make_document("de"), seller=replace(SELLER, iban=None, bic=None))
    for document in (charged_document("de"), offering_document("de"), paid, no_bank):
        documents.invoice_pdf_data(document)
    documents.credit_note_pdf_data(make_document("de", credit_notes=[NOTE]), NOTE.number)
    marked = MarkedPaid(1000, "Cheque", datetime(2025, 2, 5, tzinfo=UTC))
    overpaid = make_document(  # 183.62 charged (with the fee), 193.62 paid
        "de", status="paid", amount_paid=19362, payments=PAYMENTS, refunds=[REFUND], marked_paid=[marked],
        fees=[LATE_FEE],
    )
    assert overpaid.invoice.overpaid() == 1000
    documents.receipt_pdf_data(overpaid)

    assert len(looked_up) > 30
    assert sorted(looked_up - set(german)) == []
