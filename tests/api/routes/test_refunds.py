"""Refunds and mark-paid over HTTP: every refusal answers its code and changes nothing."""

from typing import Any

import httpx
import pytest

from tests.utils.factories import auth, checkout, create_buyer, create_merchant, error_code, post_payment


@pytest.fixture
async def paid(api: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """A merchant key and its invoice of 119.00 EUR, paid by `pay-1`."""
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    response = await post_payment(api, key, invoice["id"], payment_id="pay-1")
    assert response.json()["status"] == "paid", response.text
    return key, response.json()


async def _refund(api: httpx.AsyncClient, key: str, invoice_id: str, **body: Any) -> httpx.Response:
    return await api.post(f"/v1/invoices/{invoice_id}/refunds", json=body, headers=auth(key))


async def _unchanged(api: httpx.AsyncClient, key: str, invoice: dict[str, Any]) -> None:
    now = (await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))).json()
    expected = (invoice["status"], invoice["amount_paid"], [])
    assert (now["status"], now["amount_paid"], now["refunds"]) == expected


@pytest.mark.parametrize("amount", ["0.00", "-1.00", "1.001", "abc", "1e3"])
async def test_a_refund_of_a_bad_amount_is_refused_422(api: httpx.AsyncClient, paid, amount: str) -> None:
    key, invoice = paid

    response = await _refund(api, key, invoice["id"], payment_id="pay-1", amount=amount)

    assert response.status_code == 422, response.text
    assert error_code(response) in ("invalid_amount", "invalid_request")
    await _unchanged(api, key, invoice)


async def test_a_refund_of_an_unknown_payment_is_refused_422(api: httpx.AsyncClient, paid) -> None:
    key, invoice = paid

    response = await _refund(api, key, invoice["id"], payment_id="pay-nope", amount="1.00")

    assert (response.status_code, error_code(response)) == (422, "unknown_payment")
    await _unchanged(api, key, invoice)


async def test_a_refund_of_more_than_the_payment_left_is_refused_422(api: httpx.AsyncClient, paid) -> None:
    key, invoice = paid

    response = await _refund(api, key, invoice["id"], payment_id="pay-1", amount="119.01")

    assert (response.status_code, error_code(response)) == (422, "refund_exceeds_payment")
    assert "119.00 EUR" in response.json()["error"]["message"]
    await _unchanged(api, key, invoice)


async def test_a_refund_on_an_invoice_without_payments_is_refused_422(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()

    response = await _refund(api, key, invoice["id"], payment_id="pay-1", amount="1.00")

    assert (response.status_code, error_code(response)) == (422, "unknown_payment")


async def test_mark_paid_on_a_paid_invoice_is_refused_409(api: httpx.AsyncClient, paid) -> None:
    key, invoice = paid

    response = await api.post(
        f"/v1/invoices/{invoice['id']}/mark-paid", json={"reason": "cash"}, headers=auth(key)
    )

    assert (response.status_code, error_code(response)) == (409, "invoice_not_markable_paid")


async def test_mark_paid_on_a_void_invoice_is_refused_409(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    await api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "cancelled"}, headers=auth(key))

    response = await api.post(
        f"/v1/invoices/{invoice['id']}/mark-paid", json={"reason": "cash"}, headers=auth(key)
    )

    assert (response.status_code, error_code(response)) == (409, "invoice_not_markable_paid")


async def test_mark_paid_without_a_reason_is_refused_422(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()

    url = f"/v1/invoices/{invoice['id']}/mark-paid"
    response = await api.post(url, json={"reason": ""}, headers=auth(key))

    assert (response.status_code, error_code(response)) == (422, "invalid_request")
    assert (await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))).json()["status"] == "open"
