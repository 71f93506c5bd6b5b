"""Webhook endpoints: register with a secret shown once, list without it, delete; validation,
tenancy, the cap on endpoints per merchant, enabling one that is enabled, and the deliveries
list of an endpoint that has none yet."""

import base64
from typing import Any

import httpx
import pytest

from payinvoice.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.utils.factories import auth, create_merchant, error_code
from tests.utils.resolver import strict_api_resolving

PATH = "/v1/webhook-endpoints"
URL = "https://shop.example/payinvoice/hooks"


async def register(api: httpx.AsyncClient, key: str, **fields: Any) -> httpx.Response:
    return await api.post(PATH, json={"url": URL} | fields, headers=auth(key))


async def endpoints(api: httpx.AsyncClient, key: str) -> list[dict[str, Any]]:
    response = await api.get(PATH, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_register_answers_the_endpoint_with_a_standard_webhooks_secret(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    response = await register(api, key, events=["invoice.paid", "invoice.overdue"])

    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"id", "url", "events", "status", "disabled_at", "created_at", "secret"}
    assert (created["url"], created["events"], created["status"]) == (
        URL, ["invoice.paid", "invoice.overdue"], "enabled",
    )
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32


async def test_list_shows_the_merchants_endpoints_without_their_secrets(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    created = (await register(api, key)).json()

    listed = await endpoints(api, key)

    assert listed == [{k: v for k, v in created.items() if k != "secret"}]


@pytest.mark.parametrize("events", [[], ["*"], None])
async def test_no_events_or_a_star_subscribes_to_every_event(api: httpx.AsyncClient, events: Any) -> None:
    key = await create_merchant(api)
    body = {} if events is None else {"events": events}

    response = await register(api, key, **body)

    assert response.status_code == 201, response.text
    assert response.json()["events"] == ["*"]


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://shop.example/hooks"},
        {"url": "not a url"},
        {"url": "https://"},
        {"url": URL, "events": ["invoice.exploded"]},
        {"url": URL, "events": ["*", "invoice.paid"]},
        {"url": URL, "events": "invoice.paid"},
        {"url": URL, "secret": "whsec_mine"},
        {"events": ["invoice.paid"]},
    ],
)
async def test_bad_input_is_422_and_registers_nothing(api: httpx.AsyncClient, body: dict[str, Any]) -> None:
    key = await create_merchant(api)

    response = await api.post(PATH, json=body, headers=auth(key))

    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"
    assert await endpoints(api, key) == []


async def test_delete_removes_the_endpoint(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    created = (await register(api, key)).json()

    response = await api.delete(f"{PATH}/{created['id']}", headers=auth(key))

    assert response.status_code == 204
    assert await endpoints(api, key) == []
    assert (await api.get(f"{PATH}/{created['id']}", headers=auth(key))).status_code == 404


async def test_a_new_endpoint_has_no_deliveries(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    created = (await register(api, key)).json()

    response = await api.get(f"{PATH}/{created['id']}/deliveries", headers=auth(key))

    assert response.status_code == 200, response.text
    assert response.json() == {"data": []}


async def test_retry_of_an_unknown_delivery_is_404(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    created = (await register(api, key)).json()

    response = await api.post(f"{PATH}/{created['id']}/deliveries/msg_nope/retry", headers=auth(key))

    assert response.status_code == 404
    assert error_code(response) == "webhook_delivery_not_found"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""), ("DELETE", ""), ("GET", "/deliveries"), ("POST", "/deliveries/msg_x/retry"),
        ("POST", "/enable"),
    ],
)
async def test_another_merchants_endpoint_is_404(api: httpx.AsyncClient, method: str, suffix: str) -> None:
    owner = await create_merchant(api)
    created = (await register(api, owner)).json()
    other = await create_merchant(api, "Other GmbH")

    response = await api.request(method, f"{PATH}/{created['id']}{suffix}", headers=auth(other))

    assert response.status_code == 404
    assert error_code(response) == "webhook_endpoint_not_found"
    assert await endpoints(api, other) == []
    assert len(await endpoints(api, owner)) == 1


async def test_an_endpoint_past_the_merchants_cap_is_409_and_nothing_is_registered(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    key = await create_merchant(api)
    for n in range(settings.webhook_max_endpoints):
        assert (await register(api, key, url=f"{URL}/{n}")).status_code == 201

    response = await register(api, key, url=f"{URL}/one-too-many")

    assert response.status_code == 409, response.text
    assert error_code(response) == "too_many_endpoints"
    listed = await endpoints(api, key)
    assert len(listed) == settings.webhook_max_endpoints == 20
    assert f"{URL}/one-too-many" not in {e["url"] for e in listed}


async def test_enabling_an_enabled_endpoint_answers_it_unchanged_and_redelivers_nothing(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    created = (await register(api, key)).json()

    response = await api.post(f"{PATH}/{created['id']}/enable", headers=auth(key))

    assert response.status_code == 200, response.text
    assert response.json() == {k: v for k, v in created.items() if k != "secret"} | {"redelivered": 0}


async def test_webhook_endpoints_need_a_merchant_key(api: httpx.AsyncClient) -> None:
    response = await api.get(PATH, headers=auth("pi_unknown"))

    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_a_merchant_may_have_an_email_for_notices(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/v1/merchants", json={"name": "Widgets GmbH", "email": "ops@widgets.example"},
        headers=auth(ADMIN_KEY),
    )

    assert response.status_code == 201, response.text


async def test_a_merchant_email_must_be_an_address(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/v1/merchants", json={"name": "Widgets GmbH", "email": "not-an-address"}, headers=auth(ADMIN_KEY)
    )

    assert response.status_code == 422
    assert error_code(response) == "invalid_email"


# Issue 20 (SSRF): an endpoint must be https and reach only global unicast addresses, unless
# PAYINVOICE_ALLOW_PRIVATE_URLS (the other tests' setting, for their receivers on 127.0.0.1).
NOT_ALLOWED = [
    "https://127.0.0.1/hooks",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/hooks",
    "https://[::1]:9464/metrics",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://100.64.0.1/hooks",
    "https://metadata.internal/hooks",  # resolves to 169.254.169.254
    "https://nowhere.invalid/hooks",  # does not resolve
    "http://93.184.215.14/hooks",  # a public address, but not https
]


# The API as production runs it (private URLs not allowed), with names resolved by a table.
strict_api = strict_api_resolving(
    {"metadata.internal": ["169.254.169.254"], "hooks.shop.example": ["93.184.215.14"]}
)


@pytest.mark.parametrize("url", NOT_ALLOWED)
async def test_a_url_that_is_not_global_https_is_422_url_not_allowed(
    strict_api: httpx.AsyncClient, url: str
) -> None:
    key = await create_merchant(strict_api)

    response = await register(strict_api, key, url=url)

    assert response.status_code == 422, response.text
    assert error_code(response) == "url_not_allowed"
    assert await endpoints(strict_api, key) == []


@pytest.mark.parametrize("url", ["https://93.184.215.14/hooks", "https://hooks.shop.example/payinvoice"])
async def test_a_global_https_url_is_registered(strict_api: httpx.AsyncClient, url: str) -> None:
    key = await create_merchant(strict_api)

    response = await register(strict_api, key, url=url)

    assert response.status_code == 201, response.text
    assert [e["url"] for e in await endpoints(strict_api, key)] == [url]
