"""Helpers for the credit policy through the public API: policies, buyers whose limit the policy
sets, payment records, credit history, late payments and the external credit check."""

from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.utils.factories import auth, buyer_body, get_ok, put_ok
from tests.utils.pages import every_item
from tests.utils.waiting import eventually

POLICY = "/v1/settings/credit-policy"
CREDIT_CHECK = "/v1/settings/credit-check"
# Shared with the ScoringServer; the API wants at least 16 characters.
SCORING_SECRET = "scoring-secret-0123456789"

# What GET answers before the merchant saved a policy (EUR merchant).
DEFAULT_POLICY: dict[str, Any] = {
    "version": 0,
    "currency": "EUR",
    "new_buyer_limit": "1000.00",
    "max_limit": "10000.00",
    "auto_approve_up_to": None,
    "max_total_exposure": None,
    "growth": {"after_on_time_payments": 3, "step": "500.00", "cap": "5000.00"},
    "reduction": {"on_days_late_over": 15, "factor": "0.5"},
    "suspend_after_days_overdue": None,
    "review_days": 2,
}


def policy_body(**fields: Any) -> dict[str, Any]:
    """A valid policy with only the required fields; `fields` override or add to it."""
    return {"new_buyer_limit": "1000.00", "max_limit": "10000.00"} | fields


async def put_policy(api: httpx.AsyncClient, key: str, **fields: Any) -> dict[str, Any]:
    return await put_ok(api, key, POLICY, policy_body(**fields))


async def get_policy(api: httpx.AsyncClient, key: str) -> dict[str, Any]:
    return await get_ok(api, key, POLICY)


def policy_buyer_body(**fields: Any) -> dict[str, Any]:
    """A valid buyer without a credit_limit (unless `fields` give one): the policy sets it."""
    body = buyer_body(**fields)
    if "credit_limit" not in fields:
        del body["credit_limit"]
    return body


async def create_policy_buyer(api: httpx.AsyncClient, key: str, **fields: Any) -> dict[str, Any]:
    response = await api.post("/v1/buyers", json=policy_buyer_body(**fields), headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()


async def get_buyer(api: httpx.AsyncClient, key: str, buyer_id: str) -> dict[str, Any]:
    return await get_ok(api, key, f"/v1/buyers/{buyer_id}")


async def patch_buyer(api: httpx.AsyncClient, key: str, buyer_id: str, **fields: Any) -> dict[str, Any]:
    response = await api.patch(f"/v1/buyers/{buyer_id}", json=fields, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def credit_history(api: httpx.AsyncClient, key: str, buyer_id: str) -> list[dict[str, Any]]:
    """The buyer's credit events, newest first."""
    return await every_item(api, key, f"/v1/buyers/{buyer_id}/credit/history", limit=200)


async def get_invoice(api: httpx.AsyncClient, key: str, invoice_id: str) -> dict[str, Any]:
    return await get_ok(api, key, f"/v1/invoices/{invoice_id}")


async def settled(api: httpx.AsyncClient, key: str, buyer_id: str, invoices_paid: int) -> dict[str, Any]:
    """The buyer once its payment record counts `invoices_paid` settled invoices (the workflow
    records a settlement a moment after the paying update answered)."""

    async def check() -> dict[str, Any] | None:
        buyer = await get_buyer(api, key, buyer_id)
        return buyer if buyer["payment_record"]["invoices_paid"] >= invoices_paid else None

    return await eventually(check, within=10)


async def buyer_status_becomes(
    api: httpx.AsyncClient, key: str, buyer_id: str, status: str, within: float = 10
) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        buyer = await get_buyer(api, key, buyer_id)
        return buyer if buyer["status"] == status else None

    return await eventually(check, within)


async def exposure_becomes(api: httpx.AsyncClient, key: str, buyer_id: str, exposure: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        buyer = await get_buyer(api, key, buyer_id)
        return buyer if buyer["credit"]["exposure"] == exposure else None

    return await eventually(check, within=10)


def paid_days_late(invoice: dict[str, Any], days: int, day_seconds: float) -> str:
    """A `paid_at` that is `days` whole days after the invoice's due instant.

    The due instant is issue + terms days; the invoice is issued a few milliseconds after its
    `created_at`, so half a day of margin lands the payment inside the wanted day."""
    created = datetime.fromisoformat(invoice["created_at"])
    late = timedelta(seconds=(invoice["payment_terms_days"] + days + 0.5) * day_seconds)
    return (created + late).isoformat()


async def configure_credit_check(api: httpx.AsyncClient, key: str, url: str, **fields: Any) -> None:
    body = {
        "url": url, "secret": SCORING_SECRET, "timeout_ms": 2000, "cache_days": 30,
        "on_error": "decline",
    } | fields
    await put_ok(api, key, CREDIT_CHECK, body)


async def review(
    api: httpx.AsyncClient, key: str, invoice_id: str, decision: str, note: str = ""
) -> httpx.Response:
    return await api.post(
        f"/v1/invoices/{invoice_id}/review", json={"decision": decision, "note": note}, headers=auth(key)
    )
