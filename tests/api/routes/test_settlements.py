"""Processor settlements: a processor key, a signature over the exact body, applied exactly once."""

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.utils.factories import auth, checkout, create_buyer, create_key, create_merchant, error_code

Processor = dict[str, Any]


def _signature(secret: str, body: bytes, at: float | None = None) -> str:
    timestamp = int(time.time() if at is None else at)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


async def _settle(
    api: httpx.AsyncClient, processor: Processor, body: dict[str, Any], *,
    signature: str | None = None, sent: bytes | None = None,
) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = auth(processor["key"]) | {"Content-Type": "application/json"}
    headers["Payinvoice-Signature"] = signature or _signature(processor["signing_secret"], raw)
    return await api.post("/v1/settlements", content=sent if sent is not None else raw, headers=headers)


def _body(invoice: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "settlement_id": f"st-{uuid.uuid4()}", "invoice_id": invoice["id"], "amount": invoice["total"],
        "currency": "EUR", "paid_at": "2026-11-25T10:00:00Z", "method": "card", "processor": "acme-pay",
    } | fields


@pytest.fixture
async def shop(api: httpx.AsyncClient) -> tuple[str, Processor, dict[str, Any]]:
    """A merchant key, one of its processor keys, and an open invoice of 119.00 EUR."""
    key = await create_merchant(api)
    processor = await create_key(api, key, "processor")
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    assert invoice["status"] == "open"
    return key, processor, invoice


async def _unchanged(api: httpx.AsyncClient, key: str, invoice: dict[str, Any], paid: str = "0.00") -> None:
    """A refused settlement left the invoice as it was: nothing more paid, no payment added."""
    response = await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))
    assert response.status_code == 200, response.text
    after = response.json()
    assert (after["amount_paid"], after["status"]) == (paid, "open" if paid != invoice["total"] else "paid")
    assert sum(float(p["amount"]) for p in after["payments"]) == float(paid)
    assert len(after["payments"]) == (0 if paid == "0.00" else 1)


async def test_a_signed_settlement_pays_the_invoice(api: httpx.AsyncClient, shop) -> None:
    _, processor, invoice = shop

    response = await _settle(api, processor, _body(invoice))

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["duplicate"] is False
    assert (answer["invoice"]["status"], answer["invoice"]["amount_due"]) == ("paid", "0.00")
    assert answer["invoice"]["payments"][0]["method"] == "card"


async def test_a_settlement_finds_its_invoice_by_payment_reference(api: httpx.AsyncClient, shop) -> None:
    _, processor, invoice = shop
    body = {k: v for k, v in _body(invoice, amount="19.00").items() if k != "invoice_id"}
    body["payment_reference"] = invoice["payment_reference"]

    response = await _settle(api, processor, body)

    assert response.status_code == 200, response.text
    assert response.json()["invoice"]["amount_due"] == "100.00"


async def test_a_replayed_settlement_answers_200_and_changes_nothing(api: httpx.AsyncClient, shop) -> None:
    _, processor, invoice = shop
    body = _body(invoice, amount="19.00")

    first = await _settle(api, processor, body)
    again = await _settle(api, processor, body)

    assert first.status_code == again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["invoice"]["amount_due"] == "100.00"
    assert len(again.json()["invoice"]["payments"]) == 1


async def test_the_same_settlement_id_with_another_body_is_a_409(api: httpx.AsyncClient, shop) -> None:
    key, processor, invoice = shop
    body = _body(invoice, amount="19.00")
    assert (await _settle(api, processor, body)).status_code == 200

    response = await _settle(api, processor, body | {"amount": "20.00"})

    assert (response.status_code, error_code(response)) == (409, "settlement_conflict")
    await _unchanged(api, key, invoice, paid="19.00")


async def test_a_tampered_body_is_refused(api: httpx.AsyncClient, shop) -> None:
    key, processor, invoice = shop
    body = _body(invoice, amount="1.00")
    signature = _signature(processor["signing_secret"], json.dumps(body).encode())
    tampered = json.dumps(body | {"amount": "119.00"}).encode()

    response = await _settle(api, processor, body, signature=signature, sent=tampered)

    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    await _unchanged(api, key, invoice)


async def test_a_signature_with_another_secret_is_refused(api: httpx.AsyncClient, shop) -> None:
    key, processor, invoice = shop
    body = _body(invoice)

    forged = _signature("not-the-secret", json.dumps(body).encode())

    response = await _settle(api, processor, body, signature=forged)

    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    await _unchanged(api, key, invoice)


@pytest.mark.parametrize("skew", [-330, 330])  # clear of the 300 s edge: the clock runs on
async def test_a_timestamp_more_than_five_minutes_off_is_refused(
    api: httpx.AsyncClient, shop, skew: int
) -> None:
    key, processor, invoice = shop
    body = _body(invoice)
    stale = _signature(processor["signing_secret"], json.dumps(body).encode(), at=time.time() + skew)

    response = await _settle(api, processor, body, signature=stale)

    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    await _unchanged(api, key, invoice)


async def test_a_missing_signature_is_refused(api: httpx.AsyncClient, shop) -> None:
    key, processor, invoice = shop
    headers = auth(processor["key"]) | {"Content-Type": "application/json"}

    response = await api.post("/v1/settlements", json=_body(invoice), headers=headers)

    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    await _unchanged(api, key, invoice)


async def test_a_merchant_key_cannot_report_settlements(api: httpx.AsyncClient, shop) -> None:
    key, processor, invoice = shop

    response = await _settle(api, processor | {"key": key}, _body(invoice))

    assert (response.status_code, error_code(response)) == (403, "forbidden")
    await _unchanged(api, key, invoice)


async def test_a_settlement_naming_both_or_neither_invoice_field_is_a_422(
    api: httpx.AsyncClient, shop
) -> None:
    key, processor, invoice = shop
    both = _body(invoice) | {"payment_reference": invoice["payment_reference"]}
    neither = {k: v for k, v in _body(invoice).items() if k != "invoice_id"}

    for body in (both, neither):
        response = await _settle(api, processor, body)
        assert (response.status_code, error_code(response)) == (422, "invalid_request")
    await _unchanged(api, key, invoice)


async def test_a_settlement_in_another_currency_is_a_422(api: httpx.AsyncClient, shop) -> None:
    key, processor, invoice = shop

    response = await _settle(api, processor, _body(invoice, currency="USD"))

    assert (response.status_code, error_code(response)) == (422, "currency_mismatch")
    await _unchanged(api, key, invoice)


async def test_an_unknown_reference_is_a_404(api: httpx.AsyncClient, shop) -> None:
    key, processor, invoice = shop
    body = {k: v for k, v in _body(invoice).items() if k != "invoice_id"}
    body["payment_reference"] = "RF18539007547034"

    response = await _settle(api, processor, body)

    assert (response.status_code, error_code(response)) == (404, "invoice_not_found")
    await _unchanged(api, key, invoice)


async def test_another_merchants_invoice_is_not_found(api: httpx.AsyncClient, shop) -> None:
    key, _, invoice = shop
    other = await create_merchant(api, name="Other GmbH")
    their_processor = await create_key(api, other, "processor")

    response = await _settle(api, their_processor, _body(invoice))

    assert (response.status_code, error_code(response)) == (404, "invoice_not_found")
    await _unchanged(api, key, invoice)


async def test_a_settlement_and_the_same_payment_reported_directly_count_once(
    api: httpx.AsyncClient, shop
) -> None:
    key, processor, invoice = shop
    body = _body(invoice, amount="19.00")
    payment = {"payment_id": body["settlement_id"], "amount": "19.00", "currency": "EUR"}

    await api.post(f"/v1/invoices/{invoice['id']}/payments", json=payment, headers=auth(key))
    response = await _settle(api, processor, body)

    assert response.json()["invoice"]["amount_due"] == "100.00"


async def _invoice(api: httpx.AsyncClient, key: str, invoice: dict[str, Any]) -> dict[str, Any]:
    response = await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def test_one_settlement_id_with_two_bodies_at_once_applies_one(api: httpx.AsyncClient, shop) -> None:
    key, processor, invoice = shop
    body = _body(invoice, amount="19.00")

    answers = await asyncio.gather(
        _settle(api, processor, body), _settle(api, processor, body | {"amount": "20.00"})
    )

    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200, 409], [answer.text for answer in answers]
    refused = next(answer for answer in answers if answer.status_code == 409)
    assert error_code(refused) == "settlement_conflict"
    applied = next(answer for answer in answers if answer.status_code == 200).json()
    assert applied["duplicate"] is False
    paid = applied["invoice"]["payments"][0]["amount"]
    now = await _invoice(api, key, invoice)
    assert [p["payment_id"] for p in now["payments"]] == [body["settlement_id"]]
    assert now["amount_due"] == f"{119 - float(paid):.2f}"


async def test_one_settlement_sent_twice_at_once_is_one_payment(api: httpx.AsyncClient, shop) -> None:
    key, processor, invoice = shop
    body = _body(invoice, amount="19.00")

    answers = await asyncio.gather(*(_settle(api, processor, body) for _ in range(3)))

    assert [answer.status_code for answer in answers] == [200, 200, 200], [a.text for a in answers]
    assert sorted(answer.json()["duplicate"] for answer in answers) == [False, True, True]
    now = await _invoice(api, key, invoice)
    assert [p["payment_id"] for p in now["payments"]] == [body["settlement_id"]]
    assert now["amount_due"] == "100.00"


async def test_a_refused_settlement_does_not_swallow_its_corrected_retry(
    api: httpx.AsyncClient, shop
) -> None:
    """The claim of a refused settlement is given back: the same id with the corrected body is
    applied, not answered as a conflict (services/payments.py, report_settlement)."""
    key, processor, invoice = shop
    body = _body(invoice, amount="19.00", currency="USD")
    refused = await _settle(api, processor, body)
    assert (refused.status_code, error_code(refused)) == (422, "currency_mismatch")
    assert (await _invoice(api, key, invoice))["payments"] == []

    corrected = await _settle(api, processor, body | {"currency": "EUR"})

    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["duplicate"] is False
    assert corrected.json()["invoice"]["amount_due"] == "100.00"
    again = await _settle(api, processor, body | {"currency": "EUR"})
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    assert len(again.json()["invoice"]["payments"]) == 1
