"""Helpers that make merchants, buyers and checkouts through the public API."""

import uuid
from typing import Any

import httpx

from tests.conftest import ADMIN_KEY


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def create_merchant(api: httpx.AsyncClient, name: str = "Widgets GmbH") -> str:
    response = await api.post("/v1/merchants", json={"name": name}, headers=auth(ADMIN_KEY))
    assert response.status_code == 201, response.text
    return response.json()["api_key"]


async def create_buyer(api: httpx.AsyncClient, key: str, **fields: Any) -> dict[str, Any]:
    body = {
        "external_id": f"cust-{uuid.uuid4()}",
        "name": "Ada Buyer",
        "email": f"ada-{uuid.uuid4().hex[:8]}@example.com",
        "currency": "EUR",
        "credit_limit": "1000.00",
        "payment_terms_days": 30,
    } | fields
    response = await api.post("/v1/buyers", json=body, headers=auth(key))
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
