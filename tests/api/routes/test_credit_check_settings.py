"""The merchant's external credit check settings: set, read without the secret, remove, validate."""

from typing import Any

import httpx
import pytest

from tests.utils.factories import auth, create_merchant, error_code
from tests.utils.resolver import strict_api_resolving

PATH = "/v1/settings/credit-check"
SECRET = "whsec-0123456789abcdef"


def settings_body(**fields: Any) -> dict[str, Any]:
    return {
        "url": "https://scoring.example.com/check",
        "secret": SECRET,
        "timeout_ms": 1500,
        "cache_days": 7,
        "on_error": "review",
    } | fields


PUBLIC = {
    "url": "https://scoring.example.com/check",
    "timeout_ms": 1500,
    "cache_days": 7,
    "on_error": "review",
    "secret_set": True,
}


async def test_put_stores_the_settings_and_answers_them_without_the_secret(api) -> None:
    key = await create_merchant(api)

    response = await api.put(PATH, json=settings_body(), headers=auth(key))

    assert response.status_code == 200, response.text
    assert response.json() == PUBLIC
    assert SECRET not in response.text


async def test_get_answers_the_settings_without_the_secret(api) -> None:
    key = await create_merchant(api)
    await api.put(PATH, json=settings_body(), headers=auth(key))

    response = await api.get(PATH, headers=auth(key))

    assert response.status_code == 200, response.text
    assert response.json() == PUBLIC
    assert SECRET not in response.text


async def test_put_again_replaces_the_settings(api) -> None:
    key = await create_merchant(api)
    await api.put(PATH, json=settings_body(), headers=auth(key))

    response = await api.put(
        PATH, json=settings_body(url="http://10.0.0.5:8080/score", on_error="decline", cache_days=0),
        headers=auth(key),
    )

    assert response.status_code == 200, response.text
    got = (await api.get(PATH, headers=auth(key))).json()
    assert got == PUBLIC | {"url": "http://10.0.0.5:8080/score", "on_error": "decline", "cache_days": 0}


async def test_get_without_settings_is_404_credit_check_not_configured(api) -> None:
    key = await create_merchant(api)

    response = await api.get(PATH, headers=auth(key))

    assert response.status_code == 404
    assert error_code(response) == "credit_check_not_configured"


async def test_delete_removes_the_settings(api) -> None:
    key = await create_merchant(api)
    await api.put(PATH, json=settings_body(), headers=auth(key))

    response = await api.delete(PATH, headers=auth(key))

    assert response.status_code == 204
    assert response.content == b""
    assert (await api.get(PATH, headers=auth(key))).status_code == 404
    assert (await api.delete(PATH, headers=auth(key))).status_code == 204


async def test_another_merchant_does_not_see_the_settings(api) -> None:
    owner = await create_merchant(api)
    other = await create_merchant(api, name="Other GmbH")
    await api.put(PATH, json=settings_body(), headers=auth(owner))

    response = await api.get(PATH, headers=auth(other))
    await api.delete(PATH, headers=auth(other))

    assert response.status_code == 404
    assert error_code(response) == "credit_check_not_configured"
    assert (await api.get(PATH, headers=auth(owner))).status_code == 200


@pytest.mark.parametrize(
    ("method", "body"),
    [("get", None), ("put", settings_body()), ("delete", None)],
)
async def test_without_an_api_key_every_call_is_401(api, method: str, body: dict[str, Any] | None) -> None:
    response = await api.request(method.upper(), PATH, json=body)

    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_an_unknown_api_key_is_401(api) -> None:
    response = await api.get(PATH, headers=auth("pi_not-a-key"))

    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


@pytest.mark.parametrize(
    "fields",
    [
        {"url": "ftp://scoring.example.com/check"},
        {"url": "scoring.example.com/check"},
        {"url": "https:///no-host"},
        {"url": "https://scoring.example.com/ check"},
        {"url": "https://scoring.example.com:99999/check"},
        {"url": "https://example.com/" + "a" * 2000},
        {"secret": "a" * 15},
        {"secret": "a" * 201},
        {"timeout_ms": 49},
        {"timeout_ms": 30_001},
        {"cache_days": -1},
        {"cache_days": 3651},
        {"on_error": "approve"},
        {"unknown": True},
    ],
)
async def test_bad_input_is_422_and_changes_nothing(api, fields: dict[str, Any]) -> None:
    key = await create_merchant(api)
    await api.put(PATH, json=settings_body(), headers=auth(key))

    response = await api.put(PATH, json=settings_body(**fields), headers=auth(key))

    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"
    assert SECRET not in response.text and "a" * 15 not in response.text
    assert (await api.get(PATH, headers=auth(key))).json() == PUBLIC


@pytest.mark.parametrize("missing", ["url", "secret", "timeout_ms", "cache_days", "on_error"])
async def test_a_missing_field_is_422(api, missing: str) -> None:
    key = await create_merchant(api)
    body = settings_body()
    del body[missing]

    response = await api.put(PATH, json=body, headers=auth(key))

    assert response.status_code == 422
    assert error_code(response) == "invalid_request"


async def test_the_bounds_themselves_are_accepted(api) -> None:
    key = await create_merchant(api)

    low = await api.put(
        PATH, json=settings_body(secret="s" * 16, timeout_ms=50, cache_days=0, url="http://h"),
        headers=auth(key),
    )
    high = await api.put(
        PATH, json=settings_body(secret="s" * 200, timeout_ms=30_000, cache_days=3650, on_error="decline"),
        headers=auth(key),
    )

    assert (low.status_code, high.status_code) == (200, 200), (low.text, high.text)


# Issue 20 (SSRF): the credit check's URL must be https and reach only global unicast addresses,
# unless PAYINVOICE_ALLOW_PRIVATE_URLS (the other tests' setting).
NOT_ALLOWED = [
    "https://127.0.0.1/check",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/check",
    "https://[::1]:9464/metrics",
    "https://[fe80::1]/check",
    "https://scoring.internal/check",  # resolves to 10.0.0.7
    "https://nowhere.invalid/check",  # does not resolve
    "http://93.184.215.14/check",  # a public address, but not https
]


# The API as production runs it (private URLs not allowed), with names resolved by a table.
strict_api = strict_api_resolving(
    {"scoring.internal": ["10.0.0.7"], "scoring.example.com": ["93.184.215.14"]}
)


@pytest.mark.parametrize("url", NOT_ALLOWED)
async def test_a_url_that_is_not_global_https_is_422_url_not_allowed(
    strict_api: httpx.AsyncClient, url: str
) -> None:
    key = await create_merchant(strict_api)

    response = await strict_api.put(PATH, json=settings_body(url=url), headers=auth(key))

    assert response.status_code == 422, response.text
    assert error_code(response) == "url_not_allowed"
    assert (await strict_api.get(PATH, headers=auth(key))).status_code == 404


async def test_a_refused_url_leaves_the_settings_in_force(strict_api: httpx.AsyncClient) -> None:
    key = await create_merchant(strict_api)
    assert (await strict_api.put(PATH, json=settings_body(), headers=auth(key))).status_code == 200

    response = await strict_api.put(
        PATH, json=settings_body(url="https://169.254.169.254/"), headers=auth(key)
    )

    assert error_code(response) == "url_not_allowed"
    assert (await strict_api.get(PATH, headers=auth(key))).json() == PUBLIC
