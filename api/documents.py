"""Loading what the invoice PDF and the hosted page show: the invoice, its merchant and buyer."""

import asyncio
from datetime import UTC, datetime

from fastapi import Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ApiError
from payinvoice.contracts import InvoiceView
from payinvoice.db.models import Buyer, Merchant
from payinvoice.documents import (
    InvoiceDocument,
    document_for,
    pdf_filename,
    pdf_unavailable,
    render_pdf,
)
from payinvoice.late_charges import as_of


async def load_document(
    session: AsyncSession, view: InvoiceView, public_url: str, merchant: Merchant | None = None
) -> InvoiceDocument:
    merchant = merchant or await session.get(Merchant, view.merchant_id)
    buyer = await session.get(Buyer, view.buyer_id)
    if merchant is None or buyer is None:  # the read model references both: never in practice
        raise ApiError(404, "invoice_not_found", "invoice not found")
    return document_for(as_of(view, datetime.now(UTC)), merchant, buyer, public_url)


async def pdf_response(document: InvoiceDocument) -> Response:
    """The invoice PDF; 503 `pdf_unavailable` where WeasyPrint cannot run, 409 before it is issued."""
    if document.invoice.number is None:
        raise ApiError(409, "invoice_not_issued", "the invoice has no number yet: nothing to print")
    reason = pdf_unavailable()
    if reason is not None:
        raise ApiError(503, "pdf_unavailable", reason)
    pdf = await asyncio.to_thread(render_pdf, document)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{pdf_filename(document.invoice)}"',
            "Cache-Control": "no-store",
        },
    )
