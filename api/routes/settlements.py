"""Settlements reported by payment processors: a processor key, a signed body, applied once.

The body is checked against `Payinvoice-Signature` (payinvoice/signature.py) with the key's
signing secret before it is even parsed. A settlement_id seen before answers 200 with the
invoice as it stands and changes nothing; the same id with another body is a 409.
"""

import time

from fastapi import APIRouter, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.deps import ProcessorKey, SessionDep, SettingsDep, TemporalDep
from payinvoice.contracts.schemas import SettlementIn, SettlementOut
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.signature import SIGNATURE_HEADER, SignatureError, verify
from payinvoice.views import invoice_out
from services import payments

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
        raise Refusal(ErrorType.INVALID_SIGNATURE, str(error)) from None
    body = _parse(raw)
    settled = await payments.report_settlement(
        client, session, caller.merchant, body, settings.message_timeout_seconds
    )
    if not settled.applied.now:
        response.status_code = status.HTTP_202_ACCEPTED
    return SettlementOut(
        settlement_id=body.settlement_id, duplicate=settled.duplicate,
        invoice=invoice_out(settled.applied.view, settings.public_url),
    )
