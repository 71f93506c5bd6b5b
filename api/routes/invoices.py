"""Invoices: the checkout call, reads, payments, voiding and review."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from payinvoice.contracts import ReviewInput
from payinvoice.contracts.schemas import InvoiceCreate, InvoiceList, InvoiceOut, PaymentIn, ReviewIn, VoidIn
from payinvoice.domain.status import InvoiceStatus
from payinvoice.views import invoice_out
from services import checkout, invoices, payments

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])

CHECKOUT_STATUS = {
    checkout.CheckoutOutcome.DECIDED: status.HTTP_201_CREATED,
    checkout.CheckoutOutcome.REPEATED: status.HTTP_200_OK,
    checkout.CheckoutOutcome.PENDING: status.HTTP_202_ACCEPTED,
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceOut,
    responses={
        200: {"model": InvoiceOut, "description": "The same order again: the same invoice."},
        202: {"model": InvoiceOut, "description": "Decision still pending, or waiting for review."},
    },
)
async def create_invoice(
    body: InvoiceCreate, response: Response, session: SessionDep, merchant: CurrentMerchant,
    client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """The checkout: answers with the credit decision and, if approved, the issued invoice."""
    done = await checkout.create_invoice(client, session, settings, merchant, body)
    response.status_code = CHECKOUT_STATUS[done.outcome]
    return invoice_out(done.invoice, settings.public_url)


@router.get("", response_model=InvoiceList)
async def get_invoices(
    session: SessionDep,
    merchant: CurrentMerchant,
    settings: SettingsDep,
    status: Annotated[InvoiceStatus | None, Query()] = None,
    buyer_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> InvoiceList:
    views, next_cursor = await invoices.list_invoices(
        session, merchant, status=status, buyer_id=buyer_id, limit=limit, cursor=cursor
    )
    return InvoiceList(data=[invoice_out(v, settings.public_url) for v in views], next_cursor=next_cursor)


@router.get("/{invoice_id}", response_model=InvoiceOut)
async def get_invoice(
    invoice_id: str, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> InvoiceOut:
    stored = await invoices.stored_invoice(session, merchant, invoice_id, client)
    await session.close()  # polled while decisions run: hold no pooled connection during the query
    return invoice_out(await invoices.live_invoice(client, stored), settings.public_url)


@router.post(
    "/{invoice_id}/payments",
    response_model=InvoiceOut,
    responses={202: {"model": InvoiceOut, "description": "Accepted durably; applied when a worker runs."}},
)
async def record_payment(
    invoice_id: str, body: PaymentIn, response: Response, session: SessionDep, merchant: CurrentMerchant,
    client: TemporalDep, settings: SettingsDep,
) -> InvoiceOut:
    """A settlement reported by a payment processor; the same payment_id twice counts once.
    202: no worker took it in time; it is kept durably and applied when one runs."""
    applied = await payments.record_payment(
        client, session, merchant, invoice_id, body, settings.message_timeout_seconds
    )
    response.status_code = status.HTTP_200_OK if applied.now else status.HTTP_202_ACCEPTED
    return invoice_out(applied.view, settings.public_url)


@router.post("/{invoice_id}/void", response_model=InvoiceOut)
async def void_invoice(
    invoice_id: str, body: VoidIn, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> InvoiceOut:
    """Cancel an invoice nothing was paid on; its credit is released."""
    voided = await invoices.void_invoice(client, session, merchant, invoice_id, body.reason)
    return invoice_out(voided, settings.public_url)


@router.post("/{invoice_id}/review", response_model=InvoiceOut)
async def review_invoice(
    invoice_id: str, body: ReviewIn, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> InvoiceOut:
    """Approve or decline an order waiting for review (once; only while it waits)."""
    review = ReviewInput(decision=body.decision, note=body.note)
    reviewed = await invoices.review_invoice(client, session, merchant, invoice_id, review)
    return invoice_out(reviewed, settings.public_url)
