"""What the buyer sees: the invoice PDF (merchant key) and the hosted invoice page (`/i/{token}`,
no login: the unguessable token is the only key)."""

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.deps import CurrentMerchant, SessionDep, SettingsDep
from api.responses import pdf_response
from payinvoice.contracts import InvoiceView, from_document
from payinvoice.db.models import Invoice
from payinvoice.documents import render_hosted_page, render_not_found
from payinvoice.domain.status import InvoiceStatus
from services import documents
from services.invoices import stored_invoice

router = APIRouter()

# The hosted page is for the buyer's eyes: never cached by proxies, never indexed.
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}
# What a token page shows: issued invoices only (a pending or declined one has nothing to pay).
SHOWN = frozenset({
    InvoiceStatus.OPEN, InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE, InvoiceStatus.PAID,
    InvoiceStatus.VOID,
})


@router.get(
    "/v1/invoices/{invoice_id}/pdf", tags=["invoices"], response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The invoice as a PDF."}},
)
async def invoice_pdf(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, settings: SettingsDep
) -> Response:
    view = await stored_invoice(session, merchant, invoice_id)
    document = await documents.load_document(session, view, settings.public_url, merchant)
    return pdf_response(await documents.invoice_pdf(document))


async def _by_token(session: SessionDep, token: str) -> InvoiceView | None:
    if not 16 <= len(token) <= 64:
        return None
    row = await session.scalar(select(Invoice).where(Invoice.hosted_token == token))
    if row is None or row.status not in SHOWN:
        return None
    return from_document(row.document)


def _not_found() -> HTMLResponse:
    # The same page whatever the reason (unknown, malformed, not issued): nothing leaks.
    return HTMLResponse(render_not_found(), status_code=404, headers=PRIVATE)


@router.get("/i/{token}", tags=["hosted invoice page"], response_class=HTMLResponse, include_in_schema=False)
async def hosted_invoice(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    view = await _by_token(session, token)
    if view is None:
        return _not_found()
    document = await documents.load_document(session, view, settings.public_url)
    return HTMLResponse(render_hosted_page(document), headers=PRIVATE)


@router.get("/i/{token}/pdf", tags=["hosted invoice page"], response_class=Response, include_in_schema=False)
async def hosted_invoice_pdf(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    view = await _by_token(session, token)
    if view is None:
        return _not_found()
    document = await documents.load_document(session, view, settings.public_url)
    response = pdf_response(await documents.invoice_pdf(document))
    response.headers.update(PRIVATE)
    return response
