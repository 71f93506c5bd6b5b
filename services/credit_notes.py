"""Credit notes: a numbered document that reduces what an invoice charges, emailed to the buyer.
Checked here first (nothing reaches the workflow on a refusal), applied by the workflow's Update."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from payinvoice.contracts import CreditNoteInput, InvoiceView
from payinvoice.contracts.schemas import CreditNoteIn
from payinvoice.db.models import Merchant
from payinvoice.domain.lines import parse_line, price_lines
from payinvoice.domain.money import to_minor
from payinvoice.rules import check_credit_note, recorded_credit_note, refuse
from services.invoices import stored_invoice
from services.temporal import credit_note_update_id, update_invoice
from workflows.invoice import InvoiceWorkflow

_CREDIT_NOTE_IDS = uuid.UUID("2c7d7f0e-9b1a-4f5e-8d3c-6a0b1e2f3c4d")


@dataclass(frozen=True)
class Credited:
    invoice: InvoiceView
    created: bool  # False: the same credit note again, nothing changed


def credit_note_input(view: InvoiceView, body: CreditNoteIn) -> CreditNoteInput:
    """The credit note, checked against the invoice; an id already recorded passes as it is."""
    lines = []
    if body.lines is not None:
        parsed = [
            parse_line(
                line.description, line.quantity, line.unit_price, line.tax_rate, view.currency, i,
                line.tax_category, line.exemption_reason,
            )
            for i, line in enumerate(body.lines)
        ]
        totals = price_lines(parsed, view.currency)
        lines, amount = list(totals.lines), totals.total
    else:
        amount = to_minor(body.amount or "", view.currency, "amount")
    # Without an id of the caller's, a retry of the same request is the same credit note.
    lines_key = body.model_dump_json(include={"lines"})
    credit_note_id = body.credit_note_id or "cn_" + uuid.uuid5(
        _CREDIT_NOTE_IDS, f"{view.invoice_id}|{amount}|{body.reason}|{lines_key}"
    ).hex
    request = CreditNoteInput(credit_note_id=credit_note_id, amount=amount, reason=body.reason, lines=lines)
    check_credit_note(view, request)
    return request


async def credit_invoice(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, body: CreditNoteIn
) -> Credited:
    """Credit an amount or lines off the invoice: less is due, and an invoice credited to zero is
    paid; on a paid invoice the credit goes to the buyer's balance."""
    view = await stored_invoice(session, merchant, invoice_id)
    request = credit_note_input(view, body)
    if recorded_credit_note(view, request.credit_note_id) is not None:
        return Credited(view, created=False)
    update_id = credit_note_update_id(request.credit_note_id)  # a retry racing the first joins it
    credited = await update_invoice(client, invoice_id, InvoiceWorkflow.credit, request, update_id)
    if credited is None:  # its refund window closed meanwhile: the workflow is done
        refuse(check_credit_note, view, request, refunds_closed=True)
    return Credited(credited, created=True)
