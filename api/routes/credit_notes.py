"""Credit notes: a numbered document that reduces what an invoice charges, emailed to the buyer."""

from fastapi import APIRouter, Response, status

from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from payinvoice.contracts.schemas import CreditNoteIn, InvoiceOut
from payinvoice.views import invoice_out
from services import credit_notes

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


@router.post(
    "/{invoice_id}/credit-notes",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceOut,
    responses={200: {"model": InvoiceOut, "description": "The same credit note again: nothing changed."}},
)
async def create_credit_note(
    invoice_id: str, body: CreditNoteIn, response: Response, session: SessionDep, merchant: CurrentMerchant,
    client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """Credit an amount or lines off the invoice: less is due, and an invoice credited to zero is
    paid; on a paid invoice the credit goes to the buyer's balance. Answers the invoice, its
    `credit_notes` listing the new one (numbered CN-…)."""
    credited = await credit_notes.credit_invoice(client, session, merchant, invoice_id, body)
    if not credited.created:
        response.status_code = status.HTTP_200_OK
    return invoice_out(credited.invoice, settings.public_url)
