"""What the buyer sees: the invoice PDF (merchant key) and the hosted invoice page (`/i/{token}`,
no login: the unguessable token is the only key). The hosted page is rate-limited per token and
per client address, in this process (`app.state.hosted_limits`); PDFs are printed by the process's
one `PdfPrinter` (`app.state.pdf_printer`), only when the archived one is stale."""

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import CurrentMerchant, SessionDep, SettingsDep
from api.errors import error_response
from api.responses import pdf_response
from payinvoice.documents import render_hosted_page, render_not_found, render_rate_limited
from payinvoice.domain.errors import ErrorType
from payinvoice.rate_limit import HostedPageLimits
from services import documents
from services.invoices import stored_invoice

router = APIRouter()

# The hosted page is for the buyer's eyes: never cached by proxies, never indexed.
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _printer(request: Request) -> documents.PdfPrinter:
    return request.app.state.pdf_printer


def _limits(request: Request) -> HostedPageLimits:
    return request.app.state.hosted_limits


Printer = Annotated[documents.PdfPrinter, Depends(_printer)]
Limits = Annotated[HostedPageLimits, Depends(_limits)]


@router.get(
    "/v1/invoices/{invoice_id}/pdf", tags=["invoices"], response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The invoice as a PDF."}},
)
async def invoice_pdf(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, settings: SettingsDep, printer: Printer
) -> Response:
    view = await stored_invoice(session, merchant, invoice_id)
    document = await documents.load_document(session, view, settings.public_url, merchant)
    return pdf_response(await documents.invoice_pdf(session, document, printer))


def _not_found() -> HTMLResponse:
    # The same page whatever the reason (unknown, malformed, not issued, expired): nothing leaks.
    return HTMLResponse(render_not_found(), status_code=404, headers=PRIVATE)


def _waiting(request: Request, limits: HostedPageLimits, token: str) -> int:
    """Whole seconds before this request may be served (0: now). The client's address is the
    connection's, or what uvicorn took from a proxy it trusts (`--forwarded-allow-ips`)."""
    client = request.client.host if request.client else ""
    return math.ceil(limits.wait(token, client))


def _retry_after(seconds: int) -> dict[str, str]:
    return PRIVATE | {"Retry-After": str(seconds)}


@router.get("/i/{token}", tags=["hosted invoice page"], response_class=HTMLResponse, include_in_schema=False)
async def hosted_invoice(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, limits: Limits
) -> HTMLResponse:
    if waiting := _waiting(request, limits, token):
        page = render_rate_limited(ErrorType.RATE_LIMITED, waiting)
        return HTMLResponse(page, status_code=429, headers=_retry_after(waiting))
    view = await documents.hosted_invoice(session, token, settings.hosted_link_days_after_settled)
    if view is None:
        return _not_found()
    document = await documents.load_document(session, view, settings.public_url)
    return HTMLResponse(render_hosted_page(document), headers=PRIVATE)


@router.get("/i/{token}/pdf", tags=["hosted invoice page"], response_class=Response, include_in_schema=False)
async def hosted_invoice_pdf(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, limits: Limits, printer: Printer
) -> Response:
    if waiting := _waiting(request, limits, token):
        message = f"too many requests for this page; retry in {waiting} s"
        return error_response(ErrorType.RATE_LIMITED, message, _retry_after(waiting))
    view = await documents.hosted_invoice(session, token, settings.hosted_link_days_after_settled)
    if view is None:
        return _not_found()
    document = await documents.load_document(session, view, settings.public_url)
    response = pdf_response(await documents.invoice_pdf(session, document, printer))
    response.headers.update(PRIVATE)
    return response
