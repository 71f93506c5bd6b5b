"""Changing an invoice with bad values: 422 in the error shape and nothing recorded. The API refuses
what it can tell itself; a date not in the invoice's future is refused by the update's validator."""

from typing import Any

import httpx
import pytest

from tests.utils.factories import auth, checkout, create_buyer, create_key, create_merchant, error_code


@pytest.fixture
async def invoice(api: httpx.AsyncClient) -> dict[str, Any]:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await checkout(api, key, buyer["id"])
    assert response.status_code == 201, response.text
    return {"key": key, **response.json()}


async def post(api: httpx.AsyncClient, invoice: dict[str, Any], action: str, body: Any) -> httpx.Response:
    return await api.post(f"/v1/invoices/{invoice['id']}/{action}", json=body, headers=auth(invoice["key"]))


async def event_kinds(api: httpx.AsyncClient, invoice: dict[str, Any]) -> list[str]:
    response = await api.get(f"/v1/invoices/{invoice['id']}/events", headers=auth(invoice["key"]))
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [e["kind"] for e in response.json()["data"]]


@pytest.mark.parametrize(
    ("action", "body", "code"),
    [
        ("extend", {"by_days": 3, "due_date": "2099-01-01", "reason": "x"}, "invalid_request"),
        ("extend", {"reason": "x"}, "invalid_request"),
        ("extend", {"by_days": 0, "reason": "x"}, "invalid_request"),
        ("extend", {"due_date": "next week", "reason": "x"}, "invalid_request"),
        ("extend", {"due_date": "2000-01-01", "reason": "x"}, "invalid_due_date"),
        ("extend", {"by_days": 3}, "invalid_request"),
        ("pause", {"reason": "x", "resume_policy": "send_all"}, "invalid_request"),
        ("pause", {"reason": "x", "until": "2000-01-01"}, "invalid_date"),
        ("dispute", {}, "invalid_request"),
        ("promise", {"amount": "500.00", "date": "2099-01-01"}, "invalid_amount"),
        ("promise", {"amount": "0.00", "date": "2099-01-01"}, "invalid_amount"),
        ("promise", {"amount": "1.001", "date": "2099-01-01"}, "invalid_amount"),
        ("promise", {"amount": "10.00", "date": "2000-01-01"}, "invalid_date"),
    ],
)
async def test_a_bad_change_is_refused_with_422_and_changes_nothing(
    api: httpx.AsyncClient, invoice: dict[str, Any], action: str, body: dict[str, Any], code: str
) -> None:
    response = await post(api, invoice, action, body)

    assert (response.status_code, error_code(response)) == (422, code)
    assert await event_kinds(api, invoice) == ["created", "issued"]


async def test_a_support_key_may_read_the_events_but_not_change_the_invoice(
    api: httpx.AsyncClient, invoice: dict[str, Any]
) -> None:
    support = (await create_key(api, invoice["key"], "support"))["key"]

    url = f"/v1/invoices/{invoice['id']}"
    refused = await api.post(f"{url}/pause", json={"reason": "x"}, headers=auth(support))
    read = await api.get(f"{url}/events", headers=auth(support))

    assert (refused.status_code, error_code(refused)) == (403, "forbidden")
    assert read.status_code == 200


async def test_the_events_come_a_page_at_a_time(api: httpx.AsyncClient, invoice: dict[str, Any]) -> None:
    url, headers = f"/v1/invoices/{invoice['id']}/events", auth(invoice["key"])
    first = await api.get(url, params={"limit": 1}, headers=headers)
    assert first.status_code == 200, first.text
    assert [e["kind"] for e in first.json()["data"]] == ["created"]
    cursor = first.json()["next_cursor"]
    assert cursor

    second = (await api.get(url, params={"limit": 1, "cursor": cursor}, headers=headers)).json()

    assert [e["kind"] for e in second["data"]] == ["issued"]
    assert second["next_cursor"] is None
    whole = (await api.get(url, headers=headers)).json()
    assert whole == {"data": first.json()["data"] + second["data"], "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": 0}, "invalid_request"),
        ({"limit": 201}, "invalid_request"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
        ({"cursor": "MjAyNi0wMS0wMVQwMDowMDowMHwx"}, "invalid_cursor"),  # another time at position 1
        ({"cursor": "MjAyNi0wMS0wMVQwMDowMDowMHw5OQ=="}, "invalid_cursor"),  # position 99
    ],
)
async def test_a_bad_page_of_events_is_refused(
    api: httpx.AsyncClient, invoice: dict[str, Any], params: dict[str, Any], code: str
) -> None:
    url = f"/v1/invoices/{invoice['id']}/events"
    response = await api.get(url, params=params, headers=auth(invoice["key"]))
    assert (response.status_code, error_code(response)) == (422, code)
