"""Buyers and their credit lines: creation, reads, updates, validation and isolation."""

import uuid
from typing import Any

import httpx
import pytest

from tests.utils.factories import auth, buyer_body, create_buyer, create_merchant, error_code


async def _refused_and_not_stored(api: httpx.AsyncClient, key: str, body: dict[str, Any], code: str) -> None:
    """The bad body is refused with `code`, and its external_id is still free afterwards."""
    response = await api.post("/v1/buyers", json=body, headers=auth(key))
    assert response.status_code == 422, response.text
    assert error_code(response) == code, response.text
    retry = await api.post("/v1/buyers", json=buyer_body(external_id=body["external_id"]), headers=auth(key))
    assert retry.status_code == 201, retry.text


async def _unchanged(api: httpx.AsyncClient, key: str, buyer: dict[str, Any]) -> None:
    got = await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(key))
    assert got.status_code == 200, got.text
    assert got.json() == buyer


# Creation


async def test_creating_a_buyer_answers_201_with_a_fresh_credit_line(api) -> None:
    key = await create_merchant(api)
    body = buyer_body()
    response = await api.post("/v1/buyers", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    buyer = response.json()
    assert buyer["id"]
    for field in ("external_id", "name", "email", "currency", "payment_terms_days"):
        assert buyer[field] == body[field]
    assert buyer["credit_limit"] == "1000.00"
    assert buyer["status"] == "active"
    assert buyer["credit"] == {
        "limit": "1000.00",
        "exposure": "0.00",
        "available": "1000.00",
        "status": "active",
    }


async def test_credit_limit_is_formatted_with_the_currency_exponent(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, credit_limit="250")
    assert buyer["credit_limit"] == "250.00"
    assert buyer["credit"]["available"] == "250.00"


async def test_a_zero_decimal_currency_takes_a_whole_credit_limit(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, currency="JPY", credit_limit="100000")
    assert buyer["credit"] == {"limit": "100000", "exposure": "0", "available": "100000", "status": "active"}


async def test_the_same_external_id_twice_for_one_merchant_conflicts(api) -> None:
    key = await create_merchant(api)
    first = await create_buyer(api, key)
    response = await api.post(
        "/v1/buyers", json=buyer_body(external_id=first["external_id"]), headers=auth(key)
    )
    assert response.status_code == 409, response.text
    assert error_code(response) == "buyer_exists"


async def test_another_merchant_may_reuse_an_external_id(api) -> None:
    first_key = await create_merchant(api)
    second_key = await create_merchant(api)
    first = await create_buyer(api, first_key)
    response = await api.post(
        "/v1/buyers", json=buyer_body(external_id=first["external_id"]), headers=auth(second_key)
    )
    assert response.status_code == 201, response.text
    assert response.json()["id"] != first["id"]


# Authentication and isolation


async def test_creating_a_buyer_without_a_key_is_unauthorized(api) -> None:
    response = await api.post("/v1/buyers", json=buyer_body())
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_creating_a_buyer_with_an_unknown_key_is_unauthorized(api) -> None:
    response = await api.post("/v1/buyers", json=buyer_body(), headers=auth(f"pi_{uuid.uuid4().hex}"))
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_reading_a_buyer_without_a_key_is_unauthorized(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await api.get(f"/v1/buyers/{buyer['id']}")
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_reading_a_buyer_returns_it(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(key))
    assert response.status_code == 200, response.text
    assert response.json() == buyer


async def test_reading_an_unknown_buyer_is_not_found(api) -> None:
    key = await create_merchant(api)
    response = await api.get(f"/v1/buyers/{uuid.uuid4()}", headers=auth(key))
    assert response.status_code == 404
    assert error_code(response) == "buyer_not_found"


async def test_another_merchants_buyer_reads_as_not_found(api) -> None:
    owner = await create_merchant(api)
    other = await create_merchant(api)
    buyer = await create_buyer(api, owner)
    response = await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(other))
    assert response.status_code == 404
    assert error_code(response) == "buyer_not_found"


async def test_another_merchants_buyer_cannot_be_updated(api) -> None:
    owner = await create_merchant(api)
    other = await create_merchant(api)
    buyer = await create_buyer(api, owner)
    response = await api.patch(
        f"/v1/buyers/{buyer['id']}", json={"credit_limit": "1.00", "status": "suspended"}, headers=auth(other)
    )
    assert response.status_code == 404
    assert error_code(response) == "buyer_not_found"
    await _unchanged(api, owner, buyer)


# Updates


async def test_updating_a_buyer_changes_its_credit_limit(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await api.patch(
        f"/v1/buyers/{buyer['id']}", json={"credit_limit": "2500.50"}, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["credit_limit"] == "2500.50"
    assert updated["credit"] == {
        "limit": "2500.50",
        "exposure": "0.00",
        "available": "2500.50",
        "status": "active",
    }
    assert (await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(key))).json() == updated


async def test_updating_a_buyer_changes_its_email_and_terms(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    email = f"new-{uuid.uuid4().hex[:8]}@example.org"
    response = await api.patch(
        f"/v1/buyers/{buyer['id']}", json={"email": email, "payment_terms_days": 14}, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["email"] == email
    assert updated["payment_terms_days"] == 14
    assert updated["credit_limit"] == buyer["credit_limit"]
    assert (await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(key))).json() == updated


async def test_suspending_and_reactivating_a_buyer(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    suspended = await api.patch(f"/v1/buyers/{buyer['id']}", json={"status": "suspended"}, headers=auth(key))
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["credit"]["status"] == "suspended"
    active = await api.patch(f"/v1/buyers/{buyer['id']}", json={"status": "active"}, headers=auth(key))
    assert active.status_code == 200, active.text
    assert active.json()["status"] == "active"
    assert active.json()["credit"]["status"] == "active"


async def test_an_empty_update_changes_nothing(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await api.patch(f"/v1/buyers/{buyer['id']}", json={}, headers=auth(key))
    assert response.status_code == 200, response.text
    assert response.json() == buyer


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        ({"credit_limit": "10.001"}, "invalid_amount"),
        ({"credit_limit": "lots"}, "invalid_amount"),
        ({"credit_limit": "-1.00"}, "invalid_amount"),
        ({"credit_limit": "NaN"}, "invalid_amount"),
        ({"credit_limit": 10.5}, "invalid_request"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"payment_terms_days": 366}, "invalid_request"),
        ({"payment_terms_days": -1}, "invalid_request"),
        ({"status": "closed"}, "invalid_request"),
        ({"currency": "USD"}, "invalid_request"),
        ({"exposure": "0.00"}, "invalid_request"),
    ],
    ids=[
        "too-many-decimals",
        "not-a-number",
        "negative",
        "nan",
        "float",
        "bad-email",
        "terms-too-long",
        "negative-terms",
        "unknown-status",
        "currency-is-fixed",
        "exposure-is-not-writable",
    ],
)
async def test_a_bad_update_is_refused_and_changes_nothing(api, patch, code) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await api.patch(f"/v1/buyers/{buyer['id']}", json=patch, headers=auth(key))
    assert response.status_code == 422, response.text
    assert error_code(response) == code
    await _unchanged(api, key, buyer)


async def test_a_bad_field_in_an_update_leaves_the_good_ones_unapplied(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await api.patch(
        f"/v1/buyers/{buyer['id']}", json={"credit_limit": "5.00", "email": "nope"}, headers=auth(key)
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_email"
    await _unchanged(api, key, buyer)


# Validation on creation


async def test_creating_a_buyer_in_an_unsupported_currency_is_refused(api) -> None:
    key = await create_merchant(api)
    await _refused_and_not_stored(api, key, buyer_body(currency="XXX"), "unsupported_currency")


@pytest.mark.parametrize(
    ("currency", "limit"),
    [
        ("EUR", "10.001"),
        ("EUR", "ten"),
        ("EUR", "-1.00"),
        ("EUR", "1e3"),
        ("EUR", "Infinity"),
        ("JPY", "10.5"),
    ],
    ids=["too-many-decimals", "not-a-number", "negative", "exponent", "infinity", "jpy-fraction"],
)
async def test_creating_a_buyer_with_a_bad_credit_limit_is_refused(api, currency, limit) -> None:
    key = await create_merchant(api)
    body = buyer_body(currency=currency, credit_limit=limit)
    await _refused_and_not_stored(api, key, body, "invalid_amount")


async def test_creating_a_buyer_with_a_float_credit_limit_is_refused(api) -> None:
    key = await create_merchant(api)
    await _refused_and_not_stored(api, key, buyer_body(credit_limit=1000.0), "invalid_request")


@pytest.mark.parametrize("email", ["not-an-email", "ada@", "@example.com", "ada@example", "a b@example.com"])
async def test_creating_a_buyer_with_a_bad_email_is_refused(api, email) -> None:
    key = await create_merchant(api)
    await _refused_and_not_stored(api, key, buyer_body(email=email), "invalid_email")


async def test_creating_a_buyer_with_an_unknown_field_is_refused(api) -> None:
    key = await create_merchant(api)
    await _refused_and_not_stored(api, key, buyer_body(exposure="0.00"), "invalid_request")


@pytest.mark.parametrize("days", [-1, 366])
async def test_creating_a_buyer_with_payment_terms_out_of_range_is_refused(api, days) -> None:
    key = await create_merchant(api)
    await _refused_and_not_stored(api, key, buyer_body(payment_terms_days=days), "invalid_request")


@pytest.mark.parametrize("days", [0, 365])
async def test_creating_a_buyer_with_payment_terms_at_the_bounds_is_accepted(api, days) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, payment_terms_days=days)
    assert buyer["payment_terms_days"] == days


@pytest.mark.parametrize("missing", ["external_id", "name", "email", "currency"])
async def test_creating_a_buyer_without_a_required_field_is_refused(api, missing) -> None:
    key = await create_merchant(api)
    body = buyer_body()
    del body[missing]
    response = await api.post("/v1/buyers", json=body, headers=auth(key))
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"


async def test_creating_a_buyer_with_malformed_json_is_refused(api) -> None:
    key = await create_merchant(api)
    response = await api.post(
        "/v1/buyers",
        content=b'{"external_id": "cust-1", "name": ',
        headers=auth(key) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"


async def test_the_credit_history_comes_a_page_at_a_time(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    for limit in ("1100.00", "1200.00", "1300.00", "1400.00", "1500.00"):
        body = {"credit_limit": limit}
        response = await api.patch(f"/v1/buyers/{buyer['id']}", json=body, headers=auth(key))
        assert response.status_code == 200, response.text
    url = f"/v1/buyers/{buyer['id']}/credit/history"
    whole = (await api.get(url, headers=auth(key))).json()
    assert whole["next_cursor"] is None
    assert len(whole["data"]) >= 5
    assert whole["data"][0]["new_limit"] == "1500.00"  # newest first

    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.get(url, params=params, headers=auth(key))).json()
        assert len(page["data"]) <= 2
        pages.append(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [event for page in pages for event in page] == whole["data"]
    assert len(pages) == (len(whole["data"]) + 1) // 2


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": 0}, "invalid_request"),
        ({"limit": 201}, "invalid_request"),
        ({"cursor": "x"}, "invalid_cursor"),
    ],
)
async def test_a_bad_page_of_credit_history_is_refused(api, params: dict[str, Any], code: str) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await api.get(f"/v1/buyers/{buyer['id']}/credit/history", params=params, headers=auth(key))
    assert (response.status_code, error_code(response)) == (422, code)
