"""What the invoice PDF and the hosted page show: the invoice behind a hosted page's token (while
its link lives), its merchant and buyer, and the PDF (the archived one while it is current)."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts import InvoiceView, from_document
from payinvoice.db.models import Buyer, Invoice, InvoiceBankDetails, InvoicePdf, Merchant
from payinvoice.db.pdf_archive import archive_pdf
from payinvoice.documents import (
    InvoiceDocument,
    document_for,
    pdf_filename,
    render_pdf_if_changed,
)
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.status import InvoiceStatus
from payinvoice.hosted_links import link_expired
from payinvoice.late_charges import as_of

# What a token page shows: issued invoices only (a pending or declined one has nothing to pay).
SHOWN = frozenset({
    InvoiceStatus.OPEN, InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE, InvoiceStatus.PAID,
    InvoiceStatus.VOID,
})
TOKEN_LENGTHS = range(16, 65)


async def hosted_invoice(
    session: AsyncSession, token: str, link_days: int, now: datetime | None = None
) -> InvoiceView | None:
    """The invoice behind a hosted page's token; None for an unknown or malformed token, an
    invoice not issued, and one paid or voided more than `link_days` of its days ago: the page
    tells none of them apart."""
    if len(token) not in TOKEN_LENGTHS:
        return None
    row = await session.scalar(select(Invoice).where(Invoice.hosted_token == token))
    if row is None or row.status not in SHOWN:
        return None
    view = from_document(row.document)
    if link_expired(view, link_days, now or datetime.now(UTC)):
        return None
    return view


async def load_document(
    session: AsyncSession, view: InvoiceView, public_url: str, merchant: Merchant | None = None
) -> InvoiceDocument:
    merchant = merchant or await session.get(Merchant, view.merchant_id)
    buyer = await session.get(Buyer, view.buyer_id)
    if merchant is None or buyer is None:  # the read model references both: never in practice
        raise Refusal(ErrorType.INVOICE_NOT_FOUND, "invoice not found")
    bank = await session.get(InvoiceBankDetails, view.invoice_id)
    return document_for(as_of(view, datetime.now(UTC)), merchant, buyer, public_url, bank=bank)


@dataclass(frozen=True)
class PrintedPdf:
    content: bytes
    filename: str


class PdfPrinter:
    """Prints invoice PDFs in threads, at most `concurrency` at once in this process: the event
    loop keeps serving meanwhile, and a burst of requests waits here in turn instead of taking
    every thread of the loop's pool (the compiler prints one PDF at a time anyway: its lock in
    payinvoice/documents.py). One per API process, made with the app."""

    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)

    async def print_if_changed(
        self, document: InvoiceDocument, archived_sha256: str | None
    ) -> tuple[str, bytes | None]:
        """`render_pdf_if_changed` in a thread: the hash of what the PDF is printed from, and the
        PDF, or None when that hash is `archived_sha256`."""
        async with self._slots:
            return await asyncio.to_thread(render_pdf_if_changed, document, archived_sha256)


async def invoice_pdf(session: AsyncSession, document: InvoiceDocument, printer: PdfPrinter) -> PrintedPdf:
    """The invoice PDF; refused before the invoice is issued. The archived bytes while what the
    PDF is printed from hashes as theirs (so a changed invoice is never served stale), else
    printed now and archived, as the email activity does."""
    invoice = document.invoice
    if invoice.number is None:
        raise Refusal(ErrorType.INVOICE_NOT_ISSUED, "the invoice has no number yet: nothing to print")
    archived = await session.get(InvoicePdf, invoice.invoice_id)
    archived_sha256, archived_pdf = (archived.html_sha256, archived.pdf) if archived else (None, None)
    # The read transaction ends here: no pooled connection waits for the printer.
    await session.commit()
    sha256, printed = await printer.print_if_changed(document, archived_sha256)
    if printed is None:
        assert archived_pdf is not None  # nothing printed: the input hashes as the archived one's
        return PrintedPdf(archived_pdf, pdf_filename(invoice))
    await archive_pdf(session, invoice.invoice_id, sha256, printed)
    await session.commit()
    return PrintedPdf(printed, pdf_filename(invoice))
