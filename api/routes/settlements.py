"""Settlements reported by payment processors: a processor key, a signed body, applied once.

The body is checked against `Payinvoice-Signature` (payinvoice/signature.py) with the key's
signing secret before it is even parsed. A settlement_id seen before answers 200 with the
invoice as it stands and changes nothing; the same id with another body is a 409.
"""

import hashlib
import time

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ProcessorKey, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError, not_found
from api.invoicing import find_by_reference, invoice_out, stored_invoice
from api.payments import apply_payment, payment_input
from api.schemas import SettlementIn, SettlementOut
from payinvoice.contracts import InvoiceView
from payinvoice.db.models import Merchant, ProcessorSettlement
from payinvoice.db.session import dialect_insert
from payinvoice.signature import SIGNATURE_HEADER, SignatureError, verify

router = APIRouter(prefix="/v1/settlements", tags=["settlements"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SettlementIn.model_json_schema()}},
    },
    "parameters": [{
        "name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
        "description": 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the signing secret>',
    }],
}  # fmt: skip


def _parse(raw: bytes) -> SettlementIn:
    try:
        return SettlementIn.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None


async def _invoice(session: AsyncSession, merchant: Merchant, body: SettlementIn) -> InvoiceView:
    if body.invoice_id is not None:
        return await stored_invoice(session, merchant, body.invoice_id)
    assert body.payment_reference is not None
    view = await find_by_reference(session, merchant, body.payment_reference)
    if view is None:
        raise not_found("invoice")
    return view


@router.post(
    "", response_model=SettlementOut, openapi_extra=_BODY,
    responses={202: {"model": SettlementOut, "description": "Accepted durably; applied when a worker runs."}},
)
async def report_settlement(
    request: Request, response: Response, session: SessionDep, client: TemporalDep,
    caller: ProcessorKey, settings: SettingsDep,
) -> SettlementOut:
    raw = await request.body()
    try:
        verify(request.headers.get(SIGNATURE_HEADER), raw, caller.key.signing_secret or "", time.time())
    except SignatureError as error:
        raise ApiError(401, "invalid_signature", str(error)) from None
    body = _parse(raw)
    merchant = caller.merchant
    body_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    seen = await session.get(ProcessorSettlement, (merchant.id, body.settlement_id))
    if seen is not None:
        if seen.body_hash != body_hash:
            raise ApiError(409, "settlement_conflict", "this settlement_id was reported with another body")
        view = await stored_invoice(session, merchant, seen.invoice_id, client)
        return SettlementOut(
            settlement_id=body.settlement_id, duplicate=True, invoice=invoice_out(view, settings.public_url)
        )
    view = await _invoice(session, merchant, body)
    # The settlement id is the payment id: the same money reported again, here or through the
    # payments endpoint, is applied once by the workflow.
    payment = payment_input(
        view, payment_id=body.settlement_id, amount=body.amount, currency=body.currency,
        paid_at=body.paid_at, method=body.method,
    )
    await session.close()  # a processor's burst must not hold the pool while workers answer
    applied = await apply_payment(client, session, merchant, view, payment, settings.message_timeout_seconds)
    response.status_code = applied.status_code
    view = applied.view
    await session.execute(
        dialect_insert(session, ProcessorSettlement)
        .values(
            merchant_id=merchant.id, settlement_id=body.settlement_id, invoice_id=view.invoice_id,
            body_hash=body_hash,
        )
        .on_conflict_do_nothing()
    )
    await session.commit()
    return SettlementOut(
        settlement_id=body.settlement_id, duplicate=False, invoice=invoice_out(view, settings.public_url)
    )
