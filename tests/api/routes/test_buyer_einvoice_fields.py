"""What e-invoices state of a buyer, over HTTP: postal address, VAT id, buyer reference (BT-10),
electronic address and the format it receives, on create, update (null forgets) and read; each
bad field refused 422 naming it, nothing stored. The rules: tests/payinvoice/domain/test_parties.py."""

from typing import Any

import httpx
import pytest

from tests.utils.factories import auth, buyer_body, create_buyer, create_merchant, error_code, get_ok

VIENNA = {"line1": "Ring 1", "postcode": "1010", "city": "Wien", "country": "AT"}
PUBLIC_BUYER: dict[str, Any] = {
    "address": VIENNA | {"line2": "Stiege 2"},
    "vat_id": "ATU 5719 4903",
    "buyer_reference": "04011000-1234512345-06",
    "electronic_address": {"scheme": "0204", "value": "04011000-1234512345-06"},
    "einvoice_format": "xrechnung_ubl",
}


async def patch(api: httpx.AsyncClient, key: str, buyer_id: str, body: dict[str, Any]) -> httpx.Response:
    return await api.patch(f"/v1/buyers/{buyer_id}", json=body, headers=auth(key))


async def test_a_new_buyer_has_no_einvoice_data_and_receives_none(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    buyer = await create_buyer(api, key)

    assert {k: buyer[k] for k in PUBLIC_BUYER} == {
        "address": None, "vat_id": None, "buyer_reference": None, "electronic_address": None,
        "einvoice_format": "none",
    }  # fmt: skip


async def test_a_buyer_is_created_with_its_einvoice_data_normalised(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    buyer = await create_buyer(api, key, **PUBLIC_BUYER)

    assert {k: buyer[k] for k in PUBLIC_BUYER} == PUBLIC_BUYER | {"vat_id": "ATU57194903"}
    assert await get_ok(api, key, f"/v1/buyers/{buyer['id']}") == buyer


async def test_a_vat_id_without_prefix_takes_the_country_of_the_address(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    buyer = await create_buyer(api, key, address=VIENNA, vat_id="U57194903")

    assert buyer["vat_id"] == "ATU57194903"


async def test_an_update_sets_the_einvoice_fields_given(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)

    response = await patch(api, key, buyer["id"], PUBLIC_BUYER)

    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in PUBLIC_BUYER} == PUBLIC_BUYER | {"vat_id": "ATU57194903"}


async def test_an_update_with_null_forgets_a_field_and_keeps_the_others(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, **PUBLIC_BUYER)

    response = await patch(api, key, buyer["id"], {"vat_id": None, "electronic_address": None})

    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["vat_id"], updated["electronic_address"]) == (None, None)
    assert (updated["address"], updated["einvoice_format"]) == (buyer["address"], "xrechnung_ubl")


@pytest.mark.parametrize(
    ("field", "value", "code", "named"),
    [
        ("vat_id", "ATU57194904", "invalid_vat_id", "vat_id"),
        ("address", VIENNA | {"country": "XX"}, "invalid_address", "address.country"),
        ("address", VIENNA | {"city": "  "}, "invalid_address", "address.city"),
        ("electronic_address", {"scheme": "XX", "value": "a@b.example"}, "invalid_electronic_address",
         "electronic_address.scheme"),
        ("electronic_address", {"scheme": "0204", "value": "123"}, "invalid_electronic_address",
         "electronic_address.value"),
        ("buyer_reference", "   ", "invalid_buyer_reference", "buyer_reference"),
        ("einvoice_format", "facturx", "invalid_request", "einvoice_format"),
    ],
)
async def test_a_bad_field_on_create_is_refused_naming_it_and_nothing_is_stored(
    api: httpx.AsyncClient, field: str, value: Any, code: str, named: str
) -> None:
    key = await create_merchant(api)
    body = buyer_body(**{field: value})

    response = await api.post("/v1/buyers", json=body, headers=auth(key))

    assert (response.status_code, error_code(response)) == (422, code), response.text
    assert response.json()["error"]["message"].startswith(named)
    retry = await api.post("/v1/buyers", json=buyer_body(external_id=body["external_id"]), headers=auth(key))
    assert retry.status_code == 201, retry.text  # the external_id is still free


async def test_a_bad_field_on_update_is_refused_and_the_buyer_is_unchanged(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, **PUBLIC_BUYER)

    response = await patch(api, key, buyer["id"], {"buyer_reference": "x" * 201})

    assert (response.status_code, error_code(response)) == (422, "invalid_request"), response.text
    assert await get_ok(api, key, f"/v1/buyers/{buyer['id']}") == buyer


async def test_a_vat_id_refused_on_update_leaves_the_address_given_with_it_unstored(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)

    response = await patch(api, key, buyer["id"], {"address": VIENNA, "vat_id": "ATU57194904"})

    assert (response.status_code, error_code(response)) == (422, "invalid_vat_id"), response.text
    assert (await get_ok(api, key, f"/v1/buyers/{buyer['id']}"))["address"] is None
