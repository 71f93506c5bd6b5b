"""ZUGFeRD / Factur-X EN 16931: the invoice's own PDF as PDF/A-3b (payinvoice.documents
`render_archival_pdf`) with its CII XML embedded as `factur-x.xml` and the Factur-X XMP metadata,
by the `factur-x` package (which also checks the XML against the Factur-X EN 16931 schema)."""

from facturx import generate_from_binary

from payinvoice.einvoice.model import EInvoice

FILENAME = "factur-x.xml"


def facturx_pdf(pdf_a3: bytes, cii: bytes, document: EInvoice, locale: str) -> bytes:
    """`pdf_a3` with `cii` (the XML of `document`) embedded. Blocking and CPU-bound."""
    kind = "Credit note" if document.is_credit_note else "Invoice"
    metadata = {
        "author": document.seller.name,
        "keywords": f"Factur-X, {kind}",
        "title": f"{document.seller.name}: {kind} {document.number}",
        "subject": f"Factur-X {kind.lower()} {document.number} dated {document.issue_date} "
        f"issued by {document.seller.name}",
    }
    return generate_from_binary(
        pdf_a3, cii, flavor="factur-x", level="en16931", check_xsd=True, pdf_metadata=metadata,
        lang="de-DE" if locale == "de" else "en-GB",
    )  # fmt: skip
