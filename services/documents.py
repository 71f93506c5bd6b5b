"""Loading what the invoice PDF and the hosted page show: the invoice, its merchant and buyer."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts import InvoiceView
from payinvoice.db.models import Buyer, InvoiceBankDetails, Merchant
from payinvoice.documents import (
    InvoiceDocument,
    document_for,
    pdf_filename,
    render_pdf,
)
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.late_charges import as_of


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


async def invoice_pdf(document: InvoiceDocument) -> PrintedPdf:
    """The invoice PDF; refused before the invoice is issued."""
    if document.invoice.number is None:
        raise Refusal(ErrorType.INVOICE_NOT_ISSUED, "the invoice has no number yet: nothing to print")
    return PrintedPdf(await asyncio.to_thread(render_pdf, document), pdf_filename(document.invoice))
