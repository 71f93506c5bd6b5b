"""ZUGFeRD / Factur-X EN 16931: the invoice PDF as PDF/A-3b with its CII inside as factur-x.xml."""

import io

from lxml import etree
from pypdf import PdfReader

from payinvoice.contracts import InvoiceView
from payinvoice.documents import BuyerParty, InvoiceDocument, Seller
from payinvoice.domain.parties import EInvoiceFormat
from payinvoice.einvoice.files import credit_note_file, invoice_file
from tests.payinvoice.einvoice import cases
from tests.utils.einvoice import embedded_xml, text_of, validation_errors


def document(invoice: InvoiceView | None = None) -> InvoiceDocument:
    return InvoiceDocument(
        invoice=invoice or cases.several_rates(),
        seller=Seller(
            name="Widgets", legal_name="Widgets GmbH", iban=cases.SELLER.iban, bic=cases.SELLER.bic
        ),
        buyer=BuyerParty(name="Gadgets Ltd", email="accounts@gadgets.example"),
    )


def zugferd() -> bytes:
    return invoice_file(document(), cases.SELLER, cases.ENGLISH_BUYER, EInvoiceFormat.ZUGFERD).content


def _xmp(pdf: bytes) -> str:
    metadata = PdfReader(io.BytesIO(pdf)).xmp_metadata
    assert metadata is not None
    return metadata.stream.get_data().decode("utf-8")


def test_the_zugferd_pdf_carries_its_valid_cii_as_factur_x_xml() -> None:
    filename, xml = embedded_xml(zugferd())

    assert (filename, validation_errors(xml, "zugferd")) == ("factur-x.xml", [])


def test_the_zugferd_pdf_declares_pdfa_3b_and_the_en_16931_level() -> None:
    xmp = _xmp(zugferd())

    assert "<pdfaid:part>3</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp


def test_a_credit_notes_zugferd_pdf_carries_a_381() -> None:
    doc = document(cases.with_credit_notes())

    pdf = credit_note_file(doc, "CN-2026-0008", cases.SELLER, cases.ENGLISH_BUYER, EInvoiceFormat.ZUGFERD)

    _, xml = embedded_xml(pdf.content)
    assert text_of(etree.fromstring(xml), "/*/rsm:ExchangedDocument/ram:TypeCode") == "381"
