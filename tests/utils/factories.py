"""Helpers that make merchants, buyers, checkouts and payments through the public API, read and
write what it answers with 200, and read its error answers."""

import uuid
from typing import Any

import httpx

from tests.conftest import ADMIN_KEY


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def error_code(response: httpx.Response) -> str:
    """The code of an error answer, which is exactly `{"error": {"code", "message"}}`."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    return body["error"]["code"]


async def get_ok(api: httpx.AsyncClient, key: str, path: str, **params: Any) -> Any:
    """GET `path` (with `params` as its query) as the merchant of `key`, which must answer 200:
    the JSON body."""
    response = await api.get(path, params=params, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def put_ok(api: httpx.AsyncClient, key: str, path: str, body: dict[str, Any]) -> Any:
    """PUT `body` to `path` as the merchant of `key`, which must answer 200: the JSON body."""
    response = await api.put(path, json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def create_merchant(api: httpx.AsyncClient, name: str = "Widgets GmbH", **fields: Any) -> str:
    body = {"name": name} | fields
    response = await api.post("/v1/merchants", json=body, headers=auth(ADMIN_KEY))
    assert response.status_code == 201, response.text
    return response.json()["api_key"]


async def create_merchant_account(
    api: httpx.AsyncClient, name: str = "Widgets GmbH", **fields: Any
) -> dict[str, Any]:
    """A new merchant as `POST /v1/merchants` answers it: `{id, name, api_key}`."""
    response = await api.post("/v1/merchants", json={"name": name} | fields, headers=auth(ADMIN_KEY))
    assert response.status_code == 201, response.text
    return response.json()


async def create_key(api: httpx.AsyncClient, merchant_key: str, role: str) -> dict[str, Any]:
    """A new key of `role` for the merchant of `merchant_key`: `{id, role, key, signing_secret}`."""
    response = await api.post("/v1/keys", json={"role": role}, headers=auth(merchant_key))
    assert response.status_code == 201, response.text
    return response.json()


def buyer_body(**fields: Any) -> dict[str, Any]:
    """A valid buyer with a fresh external_id and email; `fields` override or add to it."""
    return {
        "external_id": f"cust-{uuid.uuid4()}",
        "name": "Ada Buyer",
        "email": f"ada-{uuid.uuid4().hex[:8]}@example.com",
        "currency": "EUR",
        "credit_limit": "1000.00",
        "payment_terms_days": 30,
    } | fields


async def create_buyer(api: httpx.AsyncClient, key: str, **fields: Any) -> dict[str, Any]:
    response = await api.post("/v1/buyers", json=buyer_body(**fields), headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()


def checkout_body(buyer_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "order_id": f"order-{uuid.uuid4()}",
        "buyer_id": buyer_id,
        "currency": "EUR",
        "lines": [{"description": "Widget", "quantity": "2", "unit_price": "50.00", "tax_rate": "19"}],
    } | fields


async def checkout(api: httpx.AsyncClient, key: str, buyer_id: str, **fields: Any) -> httpx.Response:
    return await api.post("/v1/invoices", json=checkout_body(buyer_id, **fields), headers=auth(key))


async def issue(api: httpx.AsyncClient, key: str, buyer_id: str, **fields: Any) -> dict[str, Any]:
    """A checkout that must be approved at once (201): the open invoice."""
    response = await checkout(api, key, buyer_id, **fields)
    assert response.status_code == 201, response.text
    return response.json()


async def open_invoice(api: httpx.AsyncClient, key: str, buyer_id: str, **fields: Any) -> dict[str, Any]:
    """A checkout that must open at once (201, status `open`, not declined or held for review):
    the open invoice."""
    response = await checkout(api, key, buyer_id, **fields)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "open", response.text
    return response.json()


async def create_account(api: httpx.AsyncClient) -> dict[str, Any]:
    """A new merchant's key and a buyer of its own: `{"key", "buyer"}`."""
    key = await create_merchant(api)
    return {"key": key, "buyer": await create_buyer(api, key)}


async def issue_to(api: httpx.AsyncClient, account: dict[str, Any]) -> dict[str, Any]:
    """An open invoice of the default checkout (119.00 EUR) to the account's buyer."""
    return await issue(api, account["key"], account["buyer"]["id"])


async def post_payment(api: httpx.AsyncClient, key: str, invoice_id: str, **fields: Any) -> httpx.Response:
    """Report a payment of the whole default checkout (119.00 EUR) under a fresh payment_id;
    `fields` override or add to the body."""
    body = {"payment_id": f"pay-{uuid.uuid4()}", "amount": "119.00", "currency": "EUR"} | fields
    return await api.post(f"/v1/invoices/{invoice_id}/payments", json=body, headers=auth(key))
