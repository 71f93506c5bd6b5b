"""Credit notes: a numbered document that reduces what an invoice charges, emailed to the buyer.
Checked here first (nothing reaches the workflow on a 4xx), applied by the workflow's Update."""

import uuid

from fastapi import APIRouter, Response, status

from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.invoicing import invoice_out, stored_invoice, update_invoice
from api.schemas import CreditNoteIn, InvoiceOut
from payinvoice.contracts import CreditNoteInput, ErrorType, InvoiceView
from payinvoice.domain.lines import parse_line, price_lines
from payinvoice.domain.money import MoneyError, from_minor, to_minor
from workflows.charges import CREDITABLE
from workflows.invoice import InvoiceWorkflow

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])
_CREDIT_NOTE_IDS = uuid.UUID("2c7d7f0e-9b1a-4f5e-8d3c-6a0b1e2f3c4d")


def credit_note_input(view: InvoiceView, body: CreditNoteIn) -> CreditNoteInput:
    """The credit note, checked against the invoice; an id already recorded passes as it is."""
    lines = []
    if body.lines is not None:
        parsed = [
            parse_line(line.description, line.quantity, line.unit_price, line.tax_rate, view.currency, i)
            for i, line in enumerate(body.lines)
        ]
        totals = price_lines(parsed, view.currency)
        lines, amount = list(totals.lines), totals.total
    else:
        amount = to_minor(body.amount or "", view.currency, "amount")
    if amount <= 0:
        raise MoneyError(ErrorType.INVALID_AMOUNT, "amount must be greater than 0")
    # Without an id of the caller's, a retry of the same request is the same credit note.
    lines_key = body.model_dump_json(include={"lines"})
    credit_note_id = body.credit_note_id or "cn_" + uuid.uuid5(
        _CREDIT_NOTE_IDS, f"{view.invoice_id}|{amount}|{body.reason}|{lines_key}"
    ).hex
    request = CreditNoteInput(credit_note_id=credit_note_id, amount=amount, reason=body.reason, lines=lines)
    recorded = next((note for note in view.credit_notes if note.credit_note_id == credit_note_id), None)
    if recorded is not None:
        if recorded.amount != amount:
            message = f"credit note {credit_note_id!r} was issued for another amount"
            raise ApiError(409, "credit_note_id_reused", message)
        return request
    if view.status not in CREDITABLE:
        raise ApiError(409, ErrorType.INVOICE_NOT_CREDITABLE, f"invoice is {view.status}: no credit notes")
    if amount > view.charged():
        charged = f"{from_minor(view.charged(), view.currency)} {view.currency}"
        message = f"the invoice charges {charged}: a credit note cannot credit more"
        raise ApiError(422, ErrorType.CREDIT_EXCEEDS_CHARGED, message)
    return request


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
    view = await stored_invoice(session, merchant, invoice_id)
    request = credit_note_input(view, body)
    if any(note.credit_note_id == request.credit_note_id for note in view.credit_notes):
        response.status_code = status.HTTP_200_OK
        return invoice_out(view, settings.public_url)
    update_id = f"credit:{request.credit_note_id}"  # a retry racing the first joins it
    credited = await update_invoice(client, invoice_id, InvoiceWorkflow.credit, request, update_id)
    if credited is None:  # its refund window closed meanwhile: the workflow is done
        raise ApiError(409, ErrorType.INVOICE_NOT_CREDITABLE, "invoice is closed: no credit notes")
    return invoice_out(credited, settings.public_url)
