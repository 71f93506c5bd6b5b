"""What EU VAT rules (Directive 2006/112/EC, Art. 226) and § 14 UStG list for an invoice, in the
PDF, the hosted page and the invoice email, in English and German: the seller's full name, address
and VAT id or tax number (its company settings', else its bank details' legal name and address),
the buyer's name, postal address and (for reverse charge) VAT id with the exemption reason on the
line, the date of supply, and the account, reference and amount in both parts of the email. A paid
invoice says it is paid instead of how to pay; numeric column headers align with their numbers;
the IBAN prints in groups of four for people; one name for the line's amount everywhere."""

import json
import re
from dataclasses import replace
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from payinvoice.contracts import EmailKind, InvoiceView
from payinvoice.db import models
from payinvoice.documents import (
    InvoiceDocument,
    document_for,
    epc_for,
    invoice_pdf_data,
    render_hosted_page,
    render_pdf,
)
from payinvoice.domain.identifiers import grouped_iban
from payinvoice.domain.lines import DEFAULT_EXEMPTION_REASONS, Line, price_lines
from payinvoice.i18n import CATALOGUES_DIR
from tests.utils.documents import make_document
from tests.utils.emails import parts, render
from tests.utils.pdf import pdf_text, text_positions

COMPANY = {
    "legal_name": "Widgets Handels GmbH",
    "address": {
        "line1": "Hauptstr. 1", "line2": "Hof 2", "postcode": "10115", "city": "Berlin", "country": "DE",
    },
    "vat_id": "DE136695976", "tax_number": None, "registration": "HRB 12345",
    "contact": {"name": "Erika Muster", "phone": "+49 30 1234567", "email": "billing@widgets.example"},
}  # fmt: skip
BUYER_ADDRESS = {"line1": "Seestraße 3", "postcode": "1010", "city": "Wien", "country": "AT"}
IBAN = "DE89370400440532013000"
GROUPED = "DE89 3704 0044 0532 0130 00"
# What each language calls the parts (the German catalogue's words).
WORDS = {
    "en": {"vat": "VAT ID: ", "tax": "Tax number: ", "supply": "Date of supply", "day": "2025-01-10",
           "from": "FROM", "country": "Germany", "buyer_country": "Austria", "reverse": "Reverse charge",
           "amount": "Amount", "how": "How to pay", "paid": "This invoice is paid. Thank you."},
    "de": {"vat": "USt-IdNr.: ", "tax": "Steuernummer: ", "supply": "Leistungsdatum", "day": "10.01.2025",
           "from": "VON", "country": "Deutschland", "buyer_country": "Österreich",
           "reverse": "Steuerschuldnerschaft des Leistungsempfängers", "amount": "Betrag",
           "how": "Bitte überweisen", "paid": "Diese Rechnung ist bezahlt. Vielen Dank."},
}  # fmt: skip


def merchant(company: dict | None = COMPANY, **changes) -> models.Merchant:
    fields = {
        "id": "m-1", "name": "Widgets", "iban": IBAN, "bic": "COBADEFFXXX",
        "legal_name": "Widgets Bank Name GmbH", "address": "Bankweg 9\n20095 Hamburg", "company": company,
    }  # fmt: skip
    return models.Merchant(**(fields | changes))


def buyer(locale: str, **changes) -> models.Buyer:
    fields = {
        "id": "b-1", "name": "Ada Buyer AG", "email": "ap@ada.example", "locale": locale,
        "address": BUYER_ADDRESS, "vat_id": "ATU13585627",
    }  # fmt: skip
    return models.Buyer(**(fields | changes))


def reverse_charge(view: InvoiceView) -> InvoiceView:
    lines = [Line("Consulting", "2", 50000, "0", "AE", "Reverse charge")]
    totals = price_lines(lines, "EUR")
    return replace(
        view, lines=list(totals.lines), subtotal=totals.subtotal, tax_total=totals.tax_total,
        total=totals.total,
    )


def document(locale: str, view: InvoiceView | None = None, **merchant_changes) -> InvoiceDocument:
    view = view or make_document(locale).invoice
    return document_for(view, merchant(**merchant_changes), buyer(locale), "http://localhost:8000")


def email(doc: InvoiceDocument) -> EmailMessage:
    return render(
        EmailKind.INVOICE, doc.invoice, locale=doc.buyer.locale, seller=doc.seller, bill_to=doc.buyer,
        merchant_name="Widgets",
    )


def everywhere(doc: InvoiceDocument) -> dict[str, str]:
    """The invoice as the buyer reads it: PDF text, hosted page, the email's plain and HTML parts."""
    text, html = parts(email(doc))
    return {"pdf": pdf_text(render_pdf(doc)), "page": render_hosted_page(doc), "text": text, "html": html}


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_seller_states_its_company_name_address_and_vat_id(locale: str) -> None:
    words = WORDS[locale]
    for where, body in everywhere(document(locale)).items():
        for expected in (
            "Widgets Handels GmbH", "Hauptstr. 1", "Hof 2", "10115 Berlin", words["country"],
            words["vat"] + "DE136695976",
        ):
            assert expected in body, (where, expected)
        assert "Bankweg 9" not in body, where  # the company's address, not the bank details'


@pytest.mark.parametrize("locale", ["en", "de"])
def test_without_company_settings_the_bank_details_name_the_seller_with_its_tax_number(locale: str) -> None:
    doc = document(locale, company=None)
    assert doc.seller.vat_id is None
    doc = replace(doc, seller=replace(doc.seller, tax_number="21/815/08150"))
    for where, body in everywhere(doc).items():
        tax_number = WORDS[locale]["tax"] + "21/815/08150"
        for expected in ("Widgets Bank Name GmbH", "Bankweg 9", "20095 Hamburg", tax_number):
            assert expected in body, (where, expected)


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_buyer_states_its_postal_address_and_its_vat_id_beside_a_reverse_charge_line(locale: str) -> None:
    words = WORDS[locale]
    doc = document(locale, reverse_charge(make_document(locale).invoice))
    for where, body in everywhere(doc).items():
        for expected in (
            "Ada Buyer AG", "Seestraße 3", "1010 Wien", words["buyer_country"], words["vat"] + "ATU13585627",
            "Consulting", words["reverse"],
        ):
            assert expected in body, (where, expected)


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_date_of_supply_is_the_issue_date(locale: str) -> None:
    words = WORDS[locale]
    found = everywhere(document(locale))
    assert f"{words['supply']} {words['day']}" in found["pdf"]
    assert f"{words['supply']}:" in found["text"] and words["day"] in found["text"]
    assert re.search(rf"<th>{words['supply']}</th><td[^>]*>{re.escape(words['day'])}</td>", found["page"])
    assert re.search(rf">{words['supply']}</td><td[^>]*>{re.escape(words['day'])}</td>", found["html"])


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_invoice_email_carries_the_grouped_iban_the_bic_the_reference_and_the_amount(locale: str) -> None:
    doc = document(locale)
    amount = {"en": "173.62 EUR", "de": "173,62\xa0€"}[locale]
    text, html = parts(email(doc))
    for body in (text, html):
        assert GROUPED in body and IBAN not in body
        for expected in ("COBADEFFXXX", "RF18INV000042", amount, "Widgets Bank Name GmbH"):
            assert expected in body, expected
    assert re.search(rf"IBAN: +{GROUPED}", text)
    assert f'id="iban">{GROUPED}</td>' in html and 'id="reference">RF18INV000042</td>' in html


def test_the_iban_is_grouped_for_people_and_compact_in_the_qr_payload() -> None:
    doc = make_document()
    assert grouped_iban(IBAN) == GROUPED
    assert f'id="iban">{GROUPED}</td>' in render_hosted_page(doc)
    assert GROUPED in pdf_text(render_pdf(doc))
    assert invoice_pdf_data(doc)["transfer"]["qr"] is not None
    assert IBAN in (epc_for(doc) or "") and GROUPED not in (epc_for(doc) or "")


@pytest.mark.parametrize("locale", ["en", "de"])
def test_a_paid_invoice_says_it_is_paid_instead_of_how_to_pay(locale: str) -> None:
    words = WORDS[locale]
    paid = make_document(locale, status="paid", amount_paid=17362)
    pdf, page = pdf_text(render_pdf(paid)), render_hosted_page(paid)
    for body in (pdf, page):
        assert words["paid"] in body
        assert words["how"] not in body and GROUPED not in body and "GiroCode" not in body
    assert "How to pay" not in pdf and "How to pay" not in page
    assert 'id="bank-transfer"' not in page and 'id="paid-note"' in page


class _HeaderCells(HTMLParser):
    """Each <th> of the lines table with its class and style."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "th":
            found = dict(attrs)
            self.cells.append((found.get("class") or "", found.get("style") or ""))


def _headers(html: str, table_start: str) -> list[tuple[str, str]]:
    start = html.index(table_start)
    parser = _HeaderCells()
    parser.feed(html[start : html.index("</thead>", start)])
    return parser.cells


@pytest.mark.parametrize("locale", ["en", "de"])
def test_numeric_column_headers_are_right_aligned_like_their_numbers(locale: str) -> None:
    page = render_hosted_page(make_document(locale))
    headers = _headers(page, '<table class="lines">')
    assert [cls for cls, _ in headers] == ["", "num", "num", "num", "num"]
    assert ".lines th.num { text-align: right" in page  # above `.lines th`'s left alignment

    _, html = parts(email(document(locale)))
    headers = _headers(html, "<thead>")
    assert "text-align:left" in headers[0][1]
    assert all("text-align:right" in style for _, style in headers[1:]), headers

    # PDF: cells of one column that end where their numbers end start at different places: a
    # header wider than its number starts left of it, one narrower right of it.
    at = text_positions(render_pdf(make_document(locale)))
    quantity, one_and_a_half = {"en": ("Quantity", "1.5"), "de": ("Menge", "1,5")}[locale]
    assert at[quantity][0] + 5 < at[one_and_a_half][0]
    widest = {"en": "120.00 EUR", "de": "120,00 €"}[locale]
    assert at[WORDS[locale]["amount"]][0] > at[widest][0] + 5


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_lines_amount_column_has_one_name_in_the_pdf_the_page_and_the_email(locale: str) -> None:
    amount = WORDS[locale]["amount"]
    doc = document(locale)
    found = everywhere(doc)
    assert invoice_pdf_data(doc)["lines"]["header"][-1] == amount
    assert f'<th class="num">{amount}</th>' in found["page"]
    assert f">{amount}</th>" in found["html"]
    assert re.search(rf"^   {amount}: +25[.,]00", found["text"], re.MULTILINE)
    for body in found.values():
        assert "Line total" not in body and "Net amount" not in body
        assert "Positionsbetrag" not in body and "Nettobetrag" not in body


def test_the_default_exemption_reasons_are_in_the_german_catalogue() -> None:
    german = json.loads((CATALOGUES_DIR / "de.json").read_text(encoding="utf-8"))
    assert sorted(set(DEFAULT_EXEMPTION_REASONS.values()) - set(german)) == []


def test_a_reminder_names_the_account_to_pay_to_as_well() -> None:
    doc = document("en")
    message = render(EmailKind.REMINDER, doc.invoice, "overdue_1", seller=doc.seller, bill_to=doc.buyer)
    text, html = parts(message)
    for body in (text, html):
        assert GROUPED in body and "COBADEFFXXX" in body and "RF18INV000042" in body
