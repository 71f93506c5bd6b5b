"""Helpers for reminder ladders through the public API: the merchant's and a buyer's own."""

from typing import Any

import httpx

from tests.utils.factories import auth, create_buyer, create_merchant, issue

DUNNING = "/v1/settings/dunning"

# What GET answers before the merchant saved a ladder.
DEFAULT_STAGES: list[dict[str, Any]] = [
    {"name": name, "offset_days": offset, "subject": None, "body": None, "late_fee": None,
     "suspend_credit": name == "final_notice", "mark_uncollectible": name == "uncollectible"}
    for name, offset in [
        ("upcoming", -3), ("due", 0), ("overdue_1", 7), ("overdue_2", 14), ("final_notice", 30),
        ("uncollectible", 45),
    ]
]  # fmt: skip


def stage(name: str, offset_days: int, **fields: Any) -> dict[str, Any]:
    return {"name": name, "offset_days": offset_days} | fields


async def put_ladder(api: httpx.AsyncClient, key: str, stages: list[dict[str, Any]]) -> dict[str, Any]:
    response = await api.put(DUNNING, json={"stages": stages}, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def get_ladder(api: httpx.AsyncClient, key: str) -> dict[str, Any]:
    response = await api.get(DUNNING, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def set_buyer_ladder(
    api: httpx.AsyncClient, key: str, buyer_id: str, stages: list[dict[str, Any]] | None
) -> httpx.Response:
    ladder = None if stages is None else {"stages": stages}
    return await api.patch(f"/v1/buyers/{buyer_id}", json={"dunning_ladder": ladder}, headers=auth(key))


async def issue_on_ladder(api: httpx.AsyncClient, stages: list[dict[str, Any]], terms: int) -> dict[str, Any]:
    """A new merchant's key, its buyer on net `terms` and an open invoice on the ladder `stages`."""
    key = await create_merchant(api)
    await put_ladder(api, key, stages)
    buyer = await create_buyer(api, key, payment_terms_days=terms)
    return {"key": key, "buyer": buyer, "invoice": await issue(api, key, buyer["id"])}
