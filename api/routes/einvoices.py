"""E-invoices (EN 16931) of an invoice and of its credit notes, in the format the caller names:
XRechnung 3.0 CII or UBL, ZUGFeRD / Factur-X EN 16931 (PDF/A-3 with the XML inside), Peppol BIS 3.0."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import CurrentMerchant, SessionDep, SettingsDep
from payinvoice.einvoice.files import EInvoiceFile
from services import einvoices
from services.einvoices import EInvoiceFormatName

router = APIRouter(tags=["invoices"])

FormatQuery = Annotated[
    str | None,
    Query(
        alias="format",
        description="xrechnung-cii | xrechnung-ubl | zugferd | peppol; omitted: the buyer's own format.",
        examples=[f.value for f in EInvoiceFormatName],
    ),
]
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/xml": {}, "application/pdf": {}},
        "description": "The e-invoice: XML, or the ZUGFeRD / Factur-X PDF.",
    },
    409: {
        "description": "`einvoice_incomplete`: the format needs data that is missing (the BTs are listed)."
    },
}


def _file(einvoice: EInvoiceFile) -> Response:
    return Response(
        einvoice.content,
        media_type=einvoice.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{einvoice.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/v1/invoices/{invoice_id}/einvoice", response_class=Response, responses=_ANSWERS)
async def invoice_einvoice(
    invoice_id: str,
    session: SessionDep,
    merchant: CurrentMerchant,
    settings: SettingsDep,
    format_name: FormatQuery = None,
) -> Response:
    """The invoice as an EN 16931 e-invoice; `409 einvoice_incomplete` names the business terms
    (BT-n) the format needs and the data lacks."""
    return _file(
        await einvoices.invoice_einvoice(session, merchant, invoice_id, format_name, settings.public_url)
    )


@router.get(
    "/v1/invoices/{invoice_id}/credit-notes/{credit_note_id}/einvoice",
    response_class=Response,
    responses=_ANSWERS,
)
async def credit_note_einvoice(
    invoice_id: str,
    credit_note_id: str,
    session: SessionDep,
    merchant: CurrentMerchant,
    settings: SettingsDep,
    format_name: FormatQuery = None,
) -> Response:
    """A credit note as an EN 16931 e-invoice (type 381, naming its invoice); `credit_note_id` is
    your id of it or its number."""
    einvoice = await einvoices.credit_note_einvoice(
        session, merchant, invoice_id, credit_note_id, format_name, settings.public_url
    )
    return _file(einvoice)
