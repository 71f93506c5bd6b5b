"""Processor settlements as a processor sends them: a JSON body signed with the processor key's
signing secret in `Payinvoice-Signature` (payinvoice/signature.py)."""

import json
import time
import uuid
from typing import Any

import httpx

from payinvoice.signature import SIGNATURE_HEADER, sign
from tests.utils.factories import auth


def settlement_body(
    *,
    invoice_id: str | None = None,
    payment_reference: str | None = None,
    amount: str = "119.00",
    **fields: Any,
) -> bytes:
    """A settlement of `amount` EUR naming its invoice by id or by payment reference, with a fresh
    settlement_id; `fields` override or add to it. The exact bytes that are signed and sent."""
    body: dict[str, Any] = {
        "settlement_id": f"st-{uuid.uuid4().hex[:12]}", "amount": amount, "currency": "EUR",
        "method": "card", "processor": "acme-pay",
    }  # fmt: skip
    if invoice_id is not None:
        body["invoice_id"] = invoice_id
    if payment_reference is not None:
        body["payment_reference"] = payment_reference
    return json.dumps(body | fields).encode()


async def post_settlement(
    api: httpx.AsyncClient,
    processor: dict[str, Any],
    raw: bytes,
    *,
    signed: bytes | None = None,
    at: float | None = None,
) -> httpx.Response:
    """Send `raw` with the key of `processor` (`{key, signing_secret}` of `POST /v1/keys`), signed
    at `at` (now by default) over `signed` (`raw` by default: another body is a forged one)."""
    timestamp = int(time.time() if at is None else at)
    signature = sign(processor["signing_secret"], timestamp, raw if signed is None else signed)
    headers = auth(processor["key"]) | {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
    return await api.post("/v1/settlements", content=raw, headers=headers)
