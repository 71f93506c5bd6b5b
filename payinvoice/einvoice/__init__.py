"""EN 16931 e-invoices, pure: `build` turns an invoice or credit note into one document
(`model.EInvoice`) or names the business terms it lacks, `cii` and `ubl` write it, `facturx`
embeds the CII in the invoice PDF (ZUGFeRD / Factur-X)."""

from payinvoice.domain.parties import EInvoiceFormat
from payinvoice.einvoice.build import FORMATS
from payinvoice.einvoice.cii import to_cii
from payinvoice.einvoice.model import EInvoice, Syntax
from payinvoice.einvoice.ubl import to_ubl


def write_xml(document: EInvoice, einvoice_format: EInvoiceFormat) -> bytes:
    """The document in the syntax of `einvoice_format` (CII for XRechnung CII and ZUGFeRD)."""
    return to_cii(document) if FORMATS[einvoice_format][1] is Syntax.CII else to_ubl(document)
