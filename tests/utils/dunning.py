"""Helpers for reminder ladders through the public API: the merchant's and a buyer's own, and an
invoice issued on one, as `issue_on_ladder` makes it."""

from typing import Any

import httpx

from tests.utils.dates import days_after
from tests.utils.factories import auth, create_buyer, create_merchant, get_ok, issue, put_ok
from tests.utils.waiting import eventually

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
    return await put_ok(api, key, DUNNING, {"stages": stages})


async def get_ladder(api: httpx.AsyncClient, key: str) -> dict[str, Any]:
    return await get_ok(api, key, DUNNING)


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


def days_after_issue(issued: dict[str, Any], days: int) -> str:
    """The day `days` after the issue date of the invoice of `issued` (`issue_on_ladder`'s)."""
    return days_after(issued["invoice"]["issue_date"], days)


async def current(api: httpx.AsyncClient, issued: dict[str, Any]) -> dict[str, Any]:
    """The invoice of `issued` as the API answers it now."""
    return await get_ok(api, issued["key"], f"/v1/invoices/{issued['invoice']['id']}")


async def reminders_reach(
    api: httpx.AsyncClient, issued: dict[str, Any], count: int, within: float = 20.0
) -> list[dict[str, Any]]:
    """The reminders the invoice of `issued` lists once there are at least `count` of them."""

    async def check() -> list[dict[str, Any]] | None:
        reminders = (await current(api, issued))["reminders"]
        return reminders if len(reminders) >= count else None

    return await eventually(check, within)
