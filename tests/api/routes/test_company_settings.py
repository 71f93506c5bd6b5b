"""The merchant's company over HTTP (`/v1/settings/company`): the seller its e-invoices state.
404 `company_not_set` until it is set, set whole by PUT, each bad field refused 422 with a code
naming it and nothing stored, per merchant, read-only for support keys. The rules themselves:
tests/payinvoice/domain/test_parties.py."""

from typing import Any

import httpx
import pytest

from tests.utils.factories import auth, create_key, create_merchant, error_code, get_ok, put_ok

PATH = "/v1/settings/company"
COMPANY: dict[str, Any] = {
    "legal_name": "Widgets GmbH",
    "address": {"line1": "Hauptstraße 1", "postcode": "10115", "city": "Berlin", "country": "DE"},
    "vat_id": "DE 136 695 976",
    "tax_number": "181/815/08155",
    "registration": "HRB 12345, Amtsgericht Berlin-Charlottenburg",
    "contact": {"name": "Erika Muster", "phone": "+49 30 1234567", "email": "billing@widgets.example"},
    "electronic_address": {"scheme": "9930", "value": "DE136695976"},
}
STORED: dict[str, Any] = COMPANY | {
    "address": COMPANY["address"] | {"line2": None},
    "vat_id": "DE136695976",
}


async def refused(api: httpx.AsyncClient, key: str, body: dict[str, Any], code: str) -> str:
    """The body is refused 422 with `code`, and the company is still not set: its message."""
    response = await api.put(PATH, json=body, headers=auth(key))
    assert (response.status_code, error_code(response)) == (422, code), response.text
    assert (await api.get(PATH, headers=auth(key))).status_code == 404
    return response.json()["error"]["message"]


async def test_a_new_merchant_has_no_company_set(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    response = await api.get(PATH, headers=auth(key))

    assert (response.status_code, error_code(response)) == (404, "company_not_set")


async def test_the_company_set_is_answered_and_read_back_normalised(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    assert await put_ok(api, key, PATH, COMPANY) == STORED
    assert await get_ok(api, key, PATH) == STORED


async def test_a_company_needs_only_its_name_address_and_contact(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    body = {k: COMPANY[k] for k in ("legal_name", "address", "contact")}

    assert await put_ok(api, key, PATH, body) == STORED | {
        "vat_id": None, "tax_number": None, "registration": None, "electronic_address": None,
    }  # fmt: skip


async def test_a_put_replaces_the_whole_company(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_ok(api, key, PATH, COMPANY)
    austrian = COMPANY | {
        "address": {"line1": "Ring 1", "postcode": "1010", "city": "Wien", "country": "AT"},
        "vat_id": "ATU57194903",
    }
    del austrian["tax_number"]

    stored = await put_ok(api, key, PATH, austrian)

    assert (stored["address"]["country"], stored["vat_id"]) == ("AT", "ATU57194903")
    assert stored["tax_number"] is None
    assert await get_ok(api, key, PATH) == stored


async def test_a_bad_vat_id_is_refused_naming_vat_id(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    message = await refused(api, key, COMPANY | {"vat_id": "DE136695975"}, "invalid_vat_id")

    assert message.startswith("vat_id 'DE136695975'")


async def test_a_bad_german_tax_number_is_refused_naming_tax_number(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    message = await refused(api, key, COMPANY | {"tax_number": "123"}, "invalid_tax_number")

    assert message.startswith("tax_number '123'")


async def test_a_country_outside_iso_3166_is_refused_naming_address_country(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    body = COMPANY | {"address": COMPANY["address"] | {"country": "UK"}}

    message = await refused(api, key, body, "invalid_address")

    assert message.startswith("address.country 'UK'")


@pytest.mark.parametrize(
    ("electronic_address", "field"),
    [({"scheme": "9958", "value": "991-12345-67"}, "scheme"), ({"scheme": "EM", "value": "nobody"}, "value")],
)
async def test_a_bad_electronic_address_is_refused_naming_its_field(
    api: httpx.AsyncClient, electronic_address: dict[str, str], field: str
) -> None:
    key = await create_merchant(api)
    body = COMPANY | {"electronic_address": electronic_address}

    message = await refused(api, key, body, "invalid_electronic_address")

    assert message.startswith(f"electronic_address.{field}")


async def test_a_bad_contact_email_is_refused_naming_it(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    body = COMPANY | {"contact": COMPANY["contact"] | {"email": "nobody"}}

    message = await refused(api, key, body, "invalid_email")

    assert message.startswith("contact.email")


async def test_a_company_without_a_contact_is_refused(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    body = {k: v for k, v in COMPANY.items() if k != "contact"}

    await refused(api, key, body, "invalid_request")


async def test_a_merchant_sees_only_its_own_company(api: httpx.AsyncClient) -> None:
    key, other = await create_merchant(api), await create_merchant(api, name="Other GmbH")
    await put_ok(api, key, PATH, COMPANY)

    assert (await api.get(PATH, headers=auth(other))).status_code == 404


async def test_a_support_key_reads_the_company_but_cannot_set_it(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_ok(api, key, PATH, COMPANY)
    support = (await create_key(api, key, "support"))["key"]

    assert await get_ok(api, support, PATH) == STORED
    response = await api.put(PATH, json=COMPANY | {"legal_name": "Other"}, headers=auth(support))
    assert (response.status_code, error_code(response)) == (403, "forbidden")
    assert (await get_ok(api, key, PATH))["legal_name"] == "Widgets GmbH"
