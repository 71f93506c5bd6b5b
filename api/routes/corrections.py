"""Corrections of an issued invoice: refunds of a payment, and marking it paid out of band."""

from fastapi import APIRouter

from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from payinvoice.contracts.schemas import InvoiceOut, MarkPaidIn, RefundIn
from payinvoice.views import invoice_out
from services import corrections

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


@router.post("/{invoice_id}/refunds", response_model=InvoiceOut)
async def refund_payment(
    invoice_id: str, body: RefundIn, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> InvoiceOut:
    """Give back (part of) a payment. The amount is due again: a paid invoice reopens, open or
    overdue by date, on its ladder where it stands. The same refund id again counts once."""
    view = await corrections.apply_refund(client, session, merchant, invoice_id, body)
    return invoice_out(view, settings.public_url)


@router.post("/{invoice_id}/mark-paid", response_model=InvoiceOut)
async def mark_paid(
    invoice_id: str, body: MarkPaidIn, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> InvoiceOut:
    """Paid out of band (cheque, cash, settled elsewhere): what is due is recorded as paid, with
    the reason; only an open, overdue or uncollectible invoice."""
    view = await corrections.mark_paid(client, session, merchant, invoice_id, body.reason)
    return invoice_out(view, settings.public_url)
