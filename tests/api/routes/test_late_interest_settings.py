"""The merchant's late-payment interest over HTTP (`/v1/settings/late-interest`): off by default,
fixed or statutory EU, every validation rule answered 422 `invalid_late_interest` naming the
field, per merchant, read-only for support keys. What invoices charge with it:
tests/workflows/test_late_interest.py."""

from typing import Any

import httpx
import pytest

from tests.utils.factories import auth, create_key, create_merchant, error_code

PATH = "/v1/settings/late-interest"
OFF = {
    "mode": "off", "annual_rate": "0", "reference_rate": None, "margin_points": None, "compensation": "0.00",
}
STATUTORY = {"mode": "statutory_eu", "reference_rate": "4.00", "margin_points": "8"}


async def put(api: httpx.AsyncClient, key: str, body: dict[str, Any]) -> httpx.Response:
    return await api.put(PATH, json=body, headers=auth(key))


async def get(api: httpx.AsyncClient, key: str) -> dict[str, Any]:
    response = await api.get(PATH, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def refused(api: httpx.AsyncClient, key: str, body: dict[str, Any]) -> str:
    response = await put(api, key, body)
    assert (response.status_code, error_code(response)) == (422, "invalid_late_interest"), response.text
    return response.json()["error"]["message"]


async def test_a_new_merchant_charges_no_late_interest(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    assert await get(api, key) == OFF


async def test_statutory_eu_is_the_reference_rate_plus_the_margin_and_40_eur_compensation(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)

    response = await put(api, key, STATUTORY)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "mode": "statutory_eu", "annual_rate": "12", "reference_rate": "4", "margin_points": "8",
        "compensation": "40.00",
    }
    assert await get(api, key) == response.json()


async def test_statutory_eu_takes_the_merchants_own_compensation(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    response = await put(api, key, STATUTORY | {"compensation": "50.00"})

    assert response.status_code == 200, response.text
    assert response.json()["compensation"] == "50.00"


async def test_statutory_eu_outside_eur_needs_the_compensation_stated(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api, currency="USD")

    message = await refused(api, key, STATUTORY)

    assert "compensation" in message
    accepted = await put(api, key, STATUTORY | {"compensation": "0"})
    assert (accepted.status_code, accepted.json()["compensation"]) == (200, "0.00"), accepted.text


async def test_fixed_is_the_merchants_annual_rate_without_compensation(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    response = await put(api, key, {"mode": "fixed", "annual_rate": "9.50"})

    assert response.status_code == 200, response.text
    assert response.json() == OFF | {"mode": "fixed", "annual_rate": "9.5"}


async def test_off_turns_late_interest_off_again(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put(api, key, STATUTORY)

    response = await put(api, key, {"mode": "off"})

    assert (response.status_code, response.json()) == (200, OFF)
    assert await get(api, key) == OFF


async def test_each_merchant_has_its_own_setting(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    other = await create_merchant(api, "Gadgets AG")

    await put(api, key, STATUTORY)

    assert await get(api, other) == OFF


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "fixed"}, "annual_rate"),
        ({"mode": "fixed", "annual_rate": "-1"}, "annual_rate"),
        ({"mode": "fixed", "annual_rate": "100.01"}, "annual_rate"),
        ({"mode": "fixed", "annual_rate": "9.12345"}, "annual_rate"),
        ({"mode": "fixed", "annual_rate": "nine"}, "annual_rate"),
        ({"mode": "fixed", "annual_rate": "9", "margin_points": "8"}, "margin_points"),
        ({"mode": "statutory_eu", "margin_points": "8"}, "reference_rate"),
        ({"mode": "statutory_eu", "reference_rate": "4"}, "margin_points"),
        (STATUTORY | {"reference_rate": "-10.5"}, "reference_rate"),
        (STATUTORY | {"margin_points": "-1"}, "margin_points"),
        (STATUTORY | {"reference_rate": "95"}, "reference_rate + margin_points"),
        (STATUTORY | {"compensation": "-40.00"}, "compensation"),
        (STATUTORY | {"compensation": "40.001"}, "compensation"),
        (STATUTORY | {"annual_rate": "12"}, "annual_rate"),
        ({"mode": "off", "annual_rate": "9"}, "annual_rate"),
        ({"mode": "off", "compensation": "40.00"}, "compensation"),
    ],
    ids=[
        "fixed_without_rate", "negative_rate", "rate_above_100", "rate_with_5_decimals", "rate_not_a_number",
        "fixed_with_margin", "statutory_without_reference", "statutory_without_margin",
        "reference_below_minus_10", "negative_margin", "sum_above_100", "negative_compensation",
        "compensation_with_3_decimals", "statutory_with_annual_rate", "off_with_rate",
        "off_with_compensation",
    ],
)
async def test_an_invalid_setting_answers_422_naming_the_field_and_keeps_the_old_one(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    key = await create_merchant(api)
    saved = (await put(api, key, STATUTORY)).json()

    message = await refused(api, key, body)

    assert field in message
    assert await get(api, key) == saved


async def test_an_unknown_mode_answers_422_naming_the_mode(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    response = await put(api, key, {"mode": "monthly"})

    assert response.status_code == 422, response.text
    assert "mode" in response.json()["error"]["message"]


async def test_a_support_key_reads_the_setting_but_cannot_change_it(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put(api, key, STATUTORY)
    support = (await create_key(api, key, "support"))["key"]

    changed = await put(api, support, {"mode": "off"})

    assert (changed.status_code, error_code(changed)) == (403, "forbidden"), changed.text
    assert (await get(api, support))["mode"] == "statutory_eu"
