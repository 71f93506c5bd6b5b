"""The e-invoice of an invoice or credit note as a file, in a buyer's format: the XML (XRechnung
CII or UBL, Peppol BIS UBL) or the ZUGFeRD / Factur-X PDF. Shared by the API and the invoice email.
Blocking and CPU-bound (the PDF takes tens of ms): call in a thread."""

from dataclasses import dataclass

from payinvoice.documents import InvoiceDocument, credit_note_filename, pdf_filename, render_archival_pdf
from payinvoice.domain.parties import EInvoiceFormat
from payinvoice.einvoice import write_xml
from payinvoice.einvoice.build import (
    BuyerData,
    SellerData,
    build_credit_note,
    build_invoice,
)
from payinvoice.einvoice.cii import to_cii
from payinvoice.einvoice.facturx import facturx_pdf
from payinvoice.einvoice.model import EInvoice

XML = "application/xml"
PDF = "application/pdf"


@dataclass(frozen=True)
class EInvoiceFile:
    content: bytes
    filename: str
    media_type: str


def invoice_file(
    document: InvoiceDocument, seller: SellerData, buyer: BuyerData, einvoice_format: EInvoiceFormat
) -> EInvoiceFile:
    """The invoice's e-invoice; `EInvoiceIncomplete` names what the format lacks."""
    einvoice = build_invoice(document.invoice, seller, buyer, einvoice_format)
    if einvoice_format is EInvoiceFormat.ZUGFERD:
        pdf = facturx_pdf(render_archival_pdf(document), to_cii(einvoice), einvoice, buyer.locale)
        return EInvoiceFile(pdf, pdf_filename(document.invoice), PDF)
    return EInvoiceFile(write_xml(einvoice, einvoice_format), _xml_filename(einvoice, einvoice_format), XML)


def credit_note_file(
    document: InvoiceDocument,
    number: str,
    seller: SellerData,
    buyer: BuyerData,
    einvoice_format: EInvoiceFormat,
) -> EInvoiceFile:
    """The e-invoice of the invoice's credit note `number` (LookupError without that note)."""
    note = next((n for n in document.invoice.credit_notes if n.number == number), None)
    if note is None:
        raise LookupError(f"invoice {document.invoice.invoice_id} has no credit note {number!r}")
    einvoice = build_credit_note(document.invoice, note, seller, buyer, einvoice_format)
    if einvoice_format is EInvoiceFormat.ZUGFERD:
        pdf = facturx_pdf(render_archival_pdf(document, number), to_cii(einvoice), einvoice, buyer.locale)
        return EInvoiceFile(pdf, credit_note_filename(note), PDF)
    return EInvoiceFile(write_xml(einvoice, einvoice_format), _xml_filename(einvoice, einvoice_format), XML)


def _xml_filename(einvoice: EInvoice, einvoice_format: EInvoiceFormat) -> str:
    kind = "credit-note" if einvoice.is_credit_note else "invoice"
    return f"{kind}-{einvoice.number}-{einvoice_format.value.replace('_', '-')}.xml"
