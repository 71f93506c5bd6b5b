"""Below the original lines, the PDF and the hosted page show the fee lines, credit notes and a
discount taken, then the amount due; an early-payment discount on offer until its deadline; and
each credit note has a PDF of its own, in English and German."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from payinvoice.contracts import CreditNote, Fee, FeeKind
from payinvoice.documents import (
    context,
    credit_note_filename,
    render_credit_note_pdf,
    render_hosted_page,
    render_pdf,
)
from payinvoice.domain.discount import EarlyPaymentDiscount
from payinvoice.domain.lines import Line, PricedLine
from tests.utils.documents import make_document
from tests.utils.pdf import pdf_text

LATE_FEE = Fee(FeeKind.LATE_FEE, "Late fee (overdue_1)", 1000, datetime(2025, 2, 16, tzinfo=UTC), "overdue_1")
COMPENSATION = Fee(
    FeeKind.COMPENSATION,
    "Compensation for recovery costs (Directive 2011/7/EU)",
    4000,
    datetime(2025, 2, 10, tzinfo=UTC),
)
NOTE = CreditNote(
    "cn-key-1",
    "CN-000001",
    1488,
    "Damaged widget",
    datetime(2025, 2, 20, 10, 0, tzinfo=UTC),
    lines=[PricedLine(Line("Blue widget", "1", 1250, "19"), 1250, 238)],
)
OFFER = EarlyPaymentDiscount("2", 10)
DEADLINE = datetime(2025, 1, 20, 12, 0, tzinfo=UTC)


def charged_document(locale: str = "en"):
    """Total 173.62, a late fee of 10.00, a credit note of 14.88, 20.00 paid: 148.74 due."""
    return make_document(locale, status="overdue", fees=[LATE_FEE], credit_notes=[NOTE], amount_paid=2000)


def offering_document(locale: str = "en", at: datetime = datetime(2025, 1, 12, tzinfo=UTC)):
    document = make_document(locale, early_payment_discount=OFFER, discount_deadline=DEADLINE)
    return replace(document, at=at)


def test_the_hosted_page_lists_fees_and_credit_notes_below_the_lines_then_the_amount_due() -> None:
    html = render_hosted_page(charged_document())

    assert charged_document().invoice.amount_due() == 14874
    assert (
        '<tr class="adjustment fee"><th>Late fee (overdue_1)</th><td class="num">10.00 EUR</td></tr>' in html
    )
    assert (
        '<tr class="adjustment credit_note"><th>Credit note CN-000001 (Damaged widget)</th>'
        '<td class="num">-14.88 EUR</td></tr>'
    ) in html
    assert '<td class="num" id="total-amount-due">148.74 EUR</td>' in html
    assert '<p class="due" id="amount-due">148.74 EUR</p>' in html
    assert html.index("Cable") < html.index("Total") < html.index("Late fee") < html.index("CN-000001")


def test_the_hosted_page_shows_a_discount_taken_as_a_deduction() -> None:
    document = make_document(status="paid", amount_paid=17015, discount=347, paid_by="discount")

    html = render_hosted_page(document)

    assert (
        '<tr class="adjustment discount"><th>Early-payment discount</th><td class="num">-3.47 EUR</td></tr>'
        in html
    )
    assert '<td class="num" id="total-amount-due">0.00 EUR</td>' in html


def test_the_german_hosted_page_names_fees_and_credit_notes_in_german() -> None:
    html = render_hosted_page(
        make_document("de", status="overdue", fees=[LATE_FEE, COMPENSATION], credit_notes=[NOTE])
    )

    assert '<th>Mahngebühr (overdue_1)</th><td class="num">10,00\xa0€</td>' in html
    assert (
        '<th>Pauschale für Beitreibungskosten (Richtlinie 2011/7/EU)</th><td class="num">40,00\xa0€</td>'
        in html
    )
    assert '<th>Gutschrift CN-000001 (Damaged widget)</th><td class="num">-14,88\xa0€</td>' in html
    assert '<td class="num" id="total-amount-due">208,74\xa0€</td>' in html  # 173.62 + 50.00 - 14.88


def test_a_german_interest_line_gives_rate_and_days_in_german() -> None:
    interest = Fee(FeeKind.INTEREST, "Late-payment interest at 36.5 % a year, 10 days", 174, DEADLINE)

    html = render_hosted_page(make_document("de", status="overdue", fees=[interest]))

    assert '<th>Verzugszinsen zu 36,5\xa0% jährlich, 10 Tage</th><td class="num">1,74\xa0€</td>' in html


def test_a_fee_of_an_unknown_form_keeps_its_description_in_german() -> None:
    fee = Fee(FeeKind.LATE_FEE, "Bearbeitungsgebühr", 500, DEADLINE)

    html = render_hosted_page(make_document("de", status="overdue", fees=[fee]))

    assert "<th>Bearbeitungsgebühr</th>" in html


def test_the_epc_code_and_transfer_ask_for_the_amount_due_with_fees_and_credits() -> None:
    document = charged_document()

    assert context(document)["epc_payload"].split("\n")[7] == "EUR148.74"
    assert "Please transfer 148.74 EUR by 2025-02-09" in render_hosted_page(document)


def test_the_hosted_page_offers_the_early_payment_discount_until_its_deadline() -> None:
    html = render_hosted_page(offering_document())

    assert '<p class="offer" id="discount-offer">2% discount if paid by 2025-01-20: 170.15 EUR</p>' in html


def test_the_german_hosted_page_offers_the_discount_with_a_german_date_and_amount() -> None:
    html = render_hosted_page(offering_document("de"))

    assert "2\xa0% Skonto bei Zahlung bis 20.01.2025: 170,15\xa0€" in html


@pytest.mark.parametrize(
    "document",
    [
        offering_document(at=datetime(2025, 1, 21, tzinfo=UTC)),  # past its deadline
        replace(offering_document(), invoice=replace(offering_document().invoice, status="paid")),
        replace(offering_document(), invoice=replace(offering_document().invoice, discount=347)),
    ],
    ids=["past-deadline", "paid", "discount-taken"],
)
def test_no_discount_is_offered_past_its_deadline_once_paid_or_once_taken(document) -> None:
    assert context(document)["offer"] is None
    assert "discount-offer" not in render_hosted_page(document)


def test_the_english_pdf_shows_fees_credit_notes_and_the_amount_due_below_the_lines() -> None:
    text = pdf_text(render_pdf(charged_document("en")))

    for expected in (
        "Blue widget",
        "Total 173.62 EUR",
        "Late fee (overdue_1) 10.00 EUR",
        "Credit note CN-000001 (Damaged widget) -14.88 EUR",
        "Paid 20.00 EUR",
        "Amount due 148.74 EUR",
    ):
        assert expected in text, expected


def test_the_german_pdf_shows_fees_credit_notes_and_the_amount_due_in_german() -> None:
    text = pdf_text(render_pdf(charged_document("de")))

    for expected in (
        "Gesamtbetrag 173,62 €",
        "Mahngebühr (overdue_1) 10,00 €",
        "Gutschrift CN-000001 (Damaged widget) -14,88 €",
        "Bezahlt 20,00 €",
        "Offener Betrag 148,74 €",
    ):
        assert expected in text, expected


def test_the_pdf_offers_the_early_payment_discount() -> None:
    assert "2% discount if paid by 2025-01-20: 170.15 EUR" in pdf_text(render_pdf(offering_document()))


# The credit note document


def test_the_credit_note_pdf_is_named_after_its_number() -> None:
    assert credit_note_filename(NOTE) == "CN-000001.pdf"


def test_the_credit_note_document_prints_its_reason_as_typed() -> None:
    note = replace(NOTE, reason="<script>alert(1)</script> #text(red)[x] ]")

    text = pdf_text(render_credit_note_pdf(make_document(credit_notes=[note]), "CN-000001"))

    assert "Reason <script>alert(1)</script> #text(red)[x] ]" in text


def test_a_credit_note_document_the_invoice_does_not_have_is_refused() -> None:
    with pytest.raises(LookupError):
        render_credit_note_pdf(make_document(credit_notes=[NOTE]), "CN-000002")


def test_the_english_credit_note_pdf_has_its_number_date_invoice_reason_lines_and_amount() -> None:
    text = pdf_text(render_credit_note_pdf(make_document("en", credit_notes=[NOTE]), "CN-000001"))

    for expected in (
        "Widgets Handels GmbH",
        "Ada Buyer AG",
        "Credit note CN-000001",
        "Date 2025-02-20",
        "For invoice INV-000042",
        "Reason Damaged widget",
        "Blue widget",
        "Subtotal 12.50 EUR",
        "Tax 19% on 12.50 EUR 2.38 EUR",
        "Amount credited 14.88 EUR",
        "RF18INV000042",
    ):
        assert expected in text, expected


def test_the_german_credit_note_pdf_uses_german_words_numbers_and_dates() -> None:
    text = pdf_text(render_credit_note_pdf(make_document("de", credit_notes=[NOTE]), "CN-000001"))

    for expected in (
        "Gutschrift CN-000001",
        "Datum 20.02.2025",
        "Zur Rechnung INV-000042",
        "Grund Damaged widget",
        "USt. 19 % auf 12,50 € 2,38 €",
        "Gutgeschriebener Betrag 14,88 €",
    ):
        assert expected in text, expected


def test_a_credit_note_without_lines_prints_just_its_amount() -> None:
    note = replace(NOTE, lines=[], amount=5000)

    text = pdf_text(render_credit_note_pdf(make_document("en", credit_notes=[note]), "CN-000001"))

    assert "Amount credited 50.00 EUR" in text
    assert "Subtotal" not in text and "Quantity" not in text
