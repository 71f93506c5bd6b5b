"""An invoice of compressed days (the demo's PAYINVOICE_DAY_SECONDS, frozen into it as
`day_seconds`) says so on its hosted page, in its PDFs and in its emails, in English and German:
its dates count its own days, not the calendar's. An invoice of calendar days says nothing of it."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from payinvoice.contracts import CreditNote, EmailKind
from payinvoice.documents import (
    CALENDAR_DAY_SECONDS,
    credit_note_pdf_data,
    day_length_note,
    invoice_pdf_data,
    receipt_pdf_data,
    render_credit_note_pdf,
    render_hosted_page,
    render_pdf,
    render_receipt_pdf,
)
from tests.utils.documents import make_document
from tests.utils.emails import NEEDS, STAGE_OF, make_view, parts, render
from tests.utils.pdf import pdf_text

NOTE = CreditNote("cn-key-1", "CN-000001", 1000, "Damaged widget", datetime(2025, 2, 1, tzinfo=UTC))
# What each language says of a 1-second and a 10-second day, whitespace as in one line.
SAYS = {
    ("en", 1.0): "Demo time: one day lasts 1 second here. The dates on this invoice count these days, "
    "not calendar days.",
    ("en", 10.0): "Demo time: one day lasts 10 seconds here.",
    ("de", 1.0): "Demo-Zeit: Ein Tag dauert hier 1 Sekunde. Die Daten dieser Rechnung zählen diese "
    "Tage, nicht Kalendertage.",
    ("de", 10.0): "Demo-Zeit: Ein Tag dauert hier 10 Sekunden.",
}
MARKERS = ("Demo time", "Demo-Zeit", "one day lasts", "Ein Tag dauert")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _says_nothing_of_it(text: str) -> None:
    assert not any(marker in text for marker in MARKERS)


def test_the_sentence_is_made_in_one_place_and_only_for_compressed_days() -> None:
    assert day_length_note(CALENDAR_DAY_SECONDS, "en") is None
    assert day_length_note(CALENDAR_DAY_SECONDS, "de") is None
    for (locale, seconds), says in SAYS.items():
        note = day_length_note(seconds, locale)
        assert note is not None and note.startswith(says)
    assert "0,5 Sekunden" in str(day_length_note(0.5, "de"))


@pytest.mark.parametrize(("locale", "seconds"), list(SAYS))
def test_hosted_page_and_pdfs_of_a_compressed_day_invoice_say_how_long_a_day_lasts(
    locale: str, seconds: float
) -> None:
    says = SAYS[locale, seconds]
    document = make_document(locale, day_seconds=seconds, credit_notes=[NOTE])
    assert says in _flat(render_hosted_page(document))
    assert says in _flat(pdf_text(render_pdf(document)))
    assert says in _flat(pdf_text(render_credit_note_pdf(document, NOTE.number)))
    paid = make_document(locale, day_seconds=seconds, status="paid", amount_paid=document.invoice.total)
    assert says in _flat(pdf_text(render_receipt_pdf(paid)))


@pytest.mark.parametrize("locale", ["en", "de"])
def test_hosted_page_and_pdfs_of_a_calendar_day_invoice_say_nothing_of_it(locale: str) -> None:
    document = make_document(locale, credit_notes=[NOTE])
    assert document.invoice.day_seconds == CALENDAR_DAY_SECONDS
    _says_nothing_of_it(render_hosted_page(document))
    _says_nothing_of_it(pdf_text(render_pdf(document)))
    _says_nothing_of_it(pdf_text(render_credit_note_pdf(document, NOTE.number)))
    paid = make_document(locale, status="paid", amount_paid=document.invoice.total)
    _says_nothing_of_it(pdf_text(render_receipt_pdf(paid)))


@pytest.mark.parametrize("kind", list(EmailKind))
@pytest.mark.parametrize(("locale", "seconds"), list(SAYS))
def test_every_email_of_a_compressed_day_invoice_says_it_in_both_parts(
    kind: EmailKind, locale: str, seconds: float
) -> None:
    says = SAYS[locale, seconds]
    text, html = parts(
        render(kind, make_view(day_seconds=seconds, **NEEDS.get(kind, {})), STAGE_OF.get(kind), locale=locale)
    )
    assert says in _flat(text)
    assert says in _flat(html)


@pytest.mark.parametrize("kind", list(EmailKind))
@pytest.mark.parametrize("locale", ["en", "de"])
def test_emails_of_a_calendar_day_invoice_say_nothing_of_it(kind: EmailKind, locale: str) -> None:
    text, html = parts(render(kind, make_view(**NEEDS.get(kind, {})), STAGE_OF.get(kind), locale=locale))
    _says_nothing_of_it(text)
    _says_nothing_of_it(html)


def test_a_calendar_day_invoice_pdf_keeps_its_data_so_its_archived_hash_holds() -> None:
    """No `day_note` key at all on a calendar-day invoice: its PDF inputs, and so the hash archived
    with its PDF, are what they were before compressed days were spelled out."""
    document = make_document("de", credit_notes=[NOTE])
    for data in (
        invoice_pdf_data(document),
        credit_note_pdf_data(document, NOTE.number),
        receipt_pdf_data(document),
    ):
        assert "day_note" not in data
    compressed = replace(document, invoice=replace(document.invoice, day_seconds=1.0))
    assert invoice_pdf_data(compressed)["day_note"].startswith("Demo-Zeit")
