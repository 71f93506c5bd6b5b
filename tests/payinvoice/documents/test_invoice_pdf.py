"""The invoice PDF shows seller, buyer, number, dates, PO, lines, taxes by rate, totals, terms,
reference and bank details, in the buyer's language, with an EPC QR code on EUR invoices; what
merchants and buyers typed prints as typed; it is printed again only when what it is printed from
no longer hashes as the archived PDF's input did."""

from dataclasses import replace

from payinvoice.documents import (
    context,
    epc_for,
    pdf_sha256,
    render_hosted_page,
    render_pdf,
    render_pdf_if_changed,
)
from tests.utils.documents import SELLER, make_document
from tests.utils.pdf import pdf_text, text_positions


def test_the_epc_payload_asks_for_what_is_still_due_with_the_reference() -> None:
    document = make_document(amount_paid=2000)
    assert document.invoice.total == 17362
    assert epc_for(document) == (
        "BCD\n002\n1\nSCT\nCOBADEFFXXX\nWidgets Handels GmbH\nDE89370400440532013000\nEUR153.62\n\n"
        "RF18INV000042"
    )
    assert context(document)["qr"].startswith("data:image/svg+xml")


def test_no_epc_code_without_an_iban_outside_eur_or_once_paid() -> None:
    assert epc_for(replace(make_document(), seller=replace(SELLER, iban=None))) is None
    assert epc_for(make_document(currency="CHF")) is None
    assert epc_for(make_document(status="paid", amount_paid=17362)) is None


def test_the_english_pdf_has_every_part_of_the_invoice() -> None:
    text = pdf_text(render_pdf(make_document("en")))
    for expected in (
        "Widgets Handels GmbH", "Hauptstr. 1", "Ada Buyer AG", "Invoice INV-000042", "order-42", "PO-7781",
        "2025-01-10", "2025-02-09", "Net 30 days", "Blue widget", "Manual <b>",
        "Tax 19% on 35.00 EUR 6.65 EUR", "Tax 7.5% on 120.00 EUR 9.00 EUR", "Tax 0% on 2.97 EUR 0.00 EUR",
        "Subtotal 157.97 EUR", "Tax total 15.65 EUR", "Total 173.62 EUR",
        "RF18INV000042", "DE89 3704 0044 0532 0130 00", "COBADEFFXXX", "GiroCode",
    ):
        assert expected in text, expected


def test_the_german_pdf_uses_german_words_numbers_and_dates() -> None:
    text = pdf_text(render_pdf(make_document("de", amount_paid=2000)))
    for expected in (
        "Rechnung INV-000042", "Rechnungsdatum 10.01.2025", "Fälligkeitsdatum 09.02.2025", "30 Tage netto",
        "USt. 19 % auf 35,00 € 6,65 €", "USt. 7,5 % auf 120,00 € 9,00 €", "Gesamtbetrag 173,62 €",
        "Bezahlt 20,00 €", "Offener Betrag 153,62 €", "Verwendungszweck", "RF18INV000042",
    ):
        assert expected in text, expected


def test_seller_and_buyer_stand_side_by_side_above_the_invoice() -> None:
    at = text_positions(render_pdf(make_document()))
    assert at["FROM"][1] == at["BILL TO"][1] and at["BILL TO"][0] > at["FROM"][0] + 200
    assert at["Invoice INV-000042"][1] > at["10115 Berlin"][1]  # below the seller's address


def test_the_qr_code_stands_right_of_the_bank_details_above_the_footer() -> None:
    at = text_positions(render_pdf(make_document()))
    caption = at["Scan with your banking app (GiroCode)"]
    assert caption[0] > at["DE89 3704 0044 0532 0130 00"][0] + 200
    assert at["Account holder"][1] < caption[1] < at["1 / 1"][1]


def test_the_pdf_prints_what_merchants_and_buyers_typed_as_typed() -> None:
    typed = "Ada #x[AG] ] $y$ *z* @r \\ `c`"
    document = make_document(purchase_order="PO #7 ] [x]")
    document = replace(
        document, buyer=replace(document.buyer, name=typed),
        seller=replace(SELLER, address='#set text(size: 40pt)\n"quoted" // not a comment'),
    )

    text = pdf_text(render_pdf(document))

    for expected in (typed, "PO #7 ] [x]", "#set text(size: 40pt)", '"quoted" // not a comment'):
        assert expected in text, expected


def test_the_same_invoice_prints_the_same_bytes() -> None:
    """No timestamp in the PDF: the archive's hash of the input stands for the bytes."""
    assert render_pdf(make_document()) == render_pdf(make_document())


def test_the_hosted_page_escapes_what_merchants_and_buyers_typed() -> None:
    document = make_document(purchase_order='<script>alert("x")</script>')
    html = render_hosted_page(replace(document, seller=replace(SELLER, address="<img src=x onerror=1>")))
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html and "Manual &lt;b&gt;" in html


def test_an_invoice_whose_input_hashes_as_the_archived_one_is_not_printed_again() -> None:
    archived = pdf_sha256(make_document())

    assert render_pdf_if_changed(make_document(), archived) == (archived, None)


def test_an_invoice_whose_input_changed_since_the_archived_one_is_printed_as_it_stands() -> None:
    archived = pdf_sha256(make_document())
    paid_in_part = make_document(amount_paid=2000)

    sha256, pdf = render_pdf_if_changed(paid_in_part, archived)

    assert sha256 == pdf_sha256(paid_in_part) != archived
    assert pdf is not None and "Amount due 153.62 EUR" in pdf_text(pdf)


def test_an_invoice_with_nothing_archived_is_printed() -> None:
    sha256, pdf = render_pdf_if_changed(make_document(), None)

    assert sha256 == pdf_sha256(make_document())
    assert pdf is not None and "Invoice INV-000042" in pdf_text(pdf)
