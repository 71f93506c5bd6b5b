"""Merchants: created by the operator with the admin key; each gets its own API key."""

import uuid

import pytest

from tests.conftest import ADMIN_KEY
from tests.utils.factories import auth, create_merchant, error_code


async def test_admin_creates_a_merchant_with_its_own_api_key(api) -> None:
    name = f"Widgets {uuid.uuid4().hex[:8]}"
    response = await api.post("/v1/merchants", json={"name": name}, headers=auth(ADMIN_KEY))
    assert response.status_code == 201, response.text
    merchant = response.json()
    assert set(merchant) == {"id", "name", "api_key"}
    assert merchant["name"] == name
    assert merchant["id"] and merchant["api_key"]
    # The key works at once on the merchant endpoints.
    listed = await api.get("/v1/invoices", headers=auth(merchant["api_key"]))
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"] == []


async def test_each_merchant_gets_a_distinct_id_and_api_key(api) -> None:
    first = await api.post("/v1/merchants", json={"name": "Same Name"}, headers=auth(ADMIN_KEY))
    second = await api.post("/v1/merchants", json={"name": "Same Name"}, headers=auth(ADMIN_KEY))
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["api_key"] != second.json()["api_key"]


async def test_creating_a_merchant_without_a_key_is_unauthorized(api) -> None:
    response = await api.post("/v1/merchants", json={"name": "Nobody"})
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_creating_a_merchant_with_a_wrong_admin_key_is_unauthorized(api) -> None:
    response = await api.post("/v1/merchants", json={"name": "Nobody"}, headers=auth(ADMIN_KEY + "x"))
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_creating_a_merchant_with_a_non_bearer_scheme_is_unauthorized(api) -> None:
    response = await api.post(
        "/v1/merchants", json={"name": "Nobody"}, headers={"Authorization": f"Basic {ADMIN_KEY}"}
    )
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_a_merchant_api_key_is_not_an_admin_key(api) -> None:
    key = await create_merchant(api)
    response = await api.post("/v1/merchants", json={"name": "Impostor"}, headers=auth(key))
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_the_admin_key_is_not_a_merchant_api_key(api) -> None:
    response = await api.get("/v1/invoices", headers=auth(ADMIN_KEY))
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


@pytest.mark.parametrize("admin_key", [None, ""], ids=["unset", "empty"])
async def test_admin_endpoints_are_unauthorized_when_no_admin_key_is_configured(
    api_factory, admin_key
) -> None:
    async with api_factory(admin_key=admin_key) as client:
        for headers in ({}, auth(ADMIN_KEY), {"Authorization": "Bearer "}):
            response = await client.post("/v1/merchants", json={"name": "Nobody"}, headers=headers)
            assert response.status_code == 401, (headers, response.text)
            assert error_code(response) == "unauthorized"


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 201}, {"name": 42}, {"name": "Ok", "extra": "field"}],
    ids=["missing-name", "empty-name", "long-name", "non-string-name", "unknown-field"],
)
async def test_creating_a_merchant_with_a_bad_body_is_refused(api, body) -> None:
    response = await api.post("/v1/merchants", json=body, headers=auth(ADMIN_KEY))
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"


async def test_creating_a_merchant_with_malformed_json_is_refused(api) -> None:
    response = await api.post(
        "/v1/merchants", content=b'{"name": ', headers=auth(ADMIN_KEY) | {"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"
