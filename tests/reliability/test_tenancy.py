"""The tenancy matrix: every endpoint of the app's router, enumerated from the router itself.

- Without a key, every endpoint but the exempt ones answers 401 `unauthorized`.
- With another merchant's key, an endpoint that names an object (a path id, or a buyer in the
  body) answers 404 in the error shape and changes nothing; one that is the caller's own
  (lists, reports, settings, creation) answers without a trace of the other merchant's data.
- With a merchant key, the admin endpoints answer 401.
- Each role is refused (403) what it may not do: support keys only read, processor keys only
  report settlements, and only merchant keys manage keys.

A new endpoint that none of the tables below names fails `test_every_endpoint_is_in_the_matrix`.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from api.app import app as built_app
from tests.conftest import ADMIN_KEY
from tests.reliability.conftest import Tenant, make_tenant
from tests.utils.camt053 import Entry, camt053
from tests.utils.credit import SCORING_SECRET, policy_body
from tests.utils.factories import auth, buyer_body, checkout_body, create_key, error_code

Endpoint = tuple[str, str]  # (method, path template)

ROUTES: list[Endpoint] = sorted(
    (method, route.path)
    for route in iter_route_contexts(built_app.routes)
    for method in (route.methods or ())
    if method != "HEAD"
)

# Not a merchant's data, so outside the matrix; each says why.
EXEMPT: dict[Endpoint, str] = {
    ("GET", "/openapi.json"): "the public API document",
    ("GET", "/docs"): "the API docs page",
    ("GET", "/docs/oauth2-redirect"): "part of the API docs page",
    ("GET", "/redoc"): "the API docs page",
    ("GET", "/healthz"): "liveness, for load balancers",
    ("GET", "/readyz"): "readiness, for load balancers",
    (
        "GET",
        "/metrics",
    ): (
        "Prometheus scrape: the metrics token or the admin key, aggregate labels only, no ids "
        "(tests/api/routes/test_metrics.py)"
    ),
    ("GET", "/codec/login"): "the codec's own sign-in page (tests/api/routes/test_codec_server.py)",
    ("POST", "/codec/login"): "the codec's own sign-in (tests/api/routes/test_codec_server.py)",
    ("GET", "/codec/login/done"): "the codec's own sign-in (tests/api/routes/test_codec_server.py)",
    ("GET", "/i/{token}"): (
        "the buyer's hosted invoice page: no key, its unguessable token is the key; an unknown token "
        "is one plain 404 page (tests/api/routes/test_documents.py)"
    ),
    ("GET", "/i/{token}/pdf"): "the hosted page's PDF, by its token (tests/api/routes/test_documents.py)",
    ("POST", "/v1/integrations/stripe/events/{merchant_id}"): (
        "Stripe's webhook: no key, the merchant's Stripe-Signature authenticates; another merchant's "
        "secret settles nothing (tests/api/routes/test_stripe.py)"
    ),
}

# The operator's endpoints: the admin key only.
ADMIN: set[Endpoint] = {("POST", "/v1/merchants"), ("POST", "/codec/encode"), ("POST", "/codec/decode")}


class Owner(Tenant):
    """The merchant whose objects the others reach for: a buyer, an open invoice, a webhook
    endpoint, a support key and an unmatched bank entry."""

    def __init__(
        self, tenant: Tenant, endpoint_id: str, key: dict[str, Any], processor_key: str, entry_id: str
    ) -> None:
        super().__init__(tenant.key, tenant.buyer, tenant.invoice)
        self.endpoint_id, self.entry_id = endpoint_id, entry_id
        self.key_id, self.support_key, self.processor_key = key["id"], key["key"], processor_key


def _payment(_: Owner) -> dict[str, Any]:
    return {"payment_id": f"pay-{uuid.uuid4()}", "amount": "1.00", "currency": "EUR"}


def _credit_check(_: Owner) -> dict[str, Any]:
    return {
        "url": "https://scoring.example/check",
        "secret": SCORING_SECRET,
        "timeout_ms": 1000,
        "cache_days": 1,
        "on_error": "decline",
    }


Body = Callable[[Owner], Any] | None

# Endpoints that name one of the owner's objects: another merchant gets 404. The body is a
# valid one, so that nothing but the object is wrong.
OBJECT: dict[Endpoint, Body] = {
    ("GET", "/v1/buyers/{buyer_id}"): None,
    ("PATCH", "/v1/buyers/{buyer_id}"): lambda _: {"credit_limit": "1.00", "status": "suspended"},
    ("GET", "/v1/buyers/{buyer_id}/credit/history"): None,
    ("POST", "/v1/invoices"): lambda owner: checkout_body(owner.buyer["id"]),
    ("GET", "/v1/invoices/{invoice_id}"): None,
    ("GET", "/v1/invoices/{invoice_id}/pdf"): None,
    ("GET", "/v1/invoices/{invoice_id}/einvoice"): None,
    ("GET", "/v1/invoices/{invoice_id}/credit-notes/{credit_note_id}/einvoice"): None,
    ("POST", "/v1/invoices/{invoice_id}/payments"): _payment,
    ("POST", "/v1/invoices/{invoice_id}/void"): lambda _: {"reason": "not mine"},
    ("POST", "/v1/invoices/{invoice_id}/review"): lambda _: {"decision": "approve"},
    ("POST", "/v1/invoices/{invoice_id}/refunds"): lambda _: {"payment_id": "pay-1", "amount": "1.00"},
    ("POST", "/v1/invoices/{invoice_id}/mark-paid"): lambda _: {"reason": "not mine"},
    ("GET", "/v1/invoices/{invoice_id}/events"): None,
    ("POST", "/v1/invoices/{invoice_id}/extend"): lambda _: {"by_days": 5, "reason": "not mine"},
    ("POST", "/v1/invoices/{invoice_id}/pause"): lambda _: {"reason": "not mine"},
    ("POST", "/v1/invoices/{invoice_id}/dispute"): lambda _: {"reason": "not mine"},
    ("POST", "/v1/invoices/{invoice_id}/resume"): lambda _: {},
    ("POST", "/v1/invoices/{invoice_id}/resolve-dispute"): lambda _: {},
    ("POST", "/v1/invoices/{invoice_id}/promise"): lambda _: {"amount": "1.00", "date": "2099-01-01"},
    ("POST", "/v1/invoices/{invoice_id}/credit-notes"): lambda _: {"amount": "1.00", "reason": "not mine"},
    ("POST", "/v1/buyers/{buyer_id}/refunds"): lambda _: {"amount": "1.00", "reference": "not-mine"},
    ("POST", "/v1/invoices/{invoice_id}/instalments"): lambda _: [
        {"due_date": "2099-01-01", "amount": "1.00"}, {"due_date": "2099-02-01", "amount": "1.00"},
    ],
    ("GET", "/v1/webhook-endpoints/{endpoint_id}"): None,
    ("DELETE", "/v1/webhook-endpoints/{endpoint_id}"): None,
    ("GET", "/v1/webhook-endpoints/{endpoint_id}/deliveries"): None,
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/enable"): None,
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry"): None,
    ("DELETE", "/v1/keys/{key_id}"): None,
    ("POST", "/v1/keys/{key_id}/rotate"): lambda _: {},
    ("POST", "/v1/reconciliation/unmatched/{entry_id}/apply"): lambda owner: {
        "invoice_id": owner.invoice["id"]
    },
    ("POST", "/v1/reconciliation/unmatched/{entry_id}/dismiss"): lambda _: {"reason": "not mine"},
}

# Endpoints on the caller's own book: another merchant gets its own (a 2xx or a 4xx), never a
# trace of the owner's data.
OWN: dict[Endpoint, Body] = {
    ("POST", "/v1/buyers"): lambda owner: buyer_body(external_id=owner.buyer["external_id"]),
    ("GET", "/v1/invoices"): None,
    ("GET", "/v1/settings/credit-policy"): None,
    ("PUT", "/v1/settings/credit-policy"): lambda _: policy_body(),
    ("GET", "/v1/settings/credit-check"): None,
    ("PUT", "/v1/settings/credit-check"): _credit_check,
    ("DELETE", "/v1/settings/credit-check"): None,
    ("GET", "/v1/settings/dunning"): None,
    ("PUT", "/v1/settings/dunning"): lambda _: {},
    ("GET", "/v1/settings/bank-details"): None,
    ("PUT", "/v1/settings/bank-details"): lambda _: {},
    ("GET", "/v1/settings/late-interest"): None,
    ("PUT", "/v1/settings/late-interest"): lambda _: {"mode": "off"},
    ("GET", "/v1/settings/company"): None,
    ("PUT", "/v1/settings/company"): lambda _: {
        "legal_name": "Other GmbH",
        "address": {"line1": "Ring 1", "postcode": "1010", "city": "Wien", "country": "AT"},
        "contact": {"name": "Max", "phone": "+43 1 234", "email": "max@other.example"},
    },
    ("GET", "/v1/reports/credit"): None,
    ("GET", "/v1/reports/aging"): None,
    ("GET", "/v1/reports/dso"): None,
    ("GET", "/v1/webhook-endpoints"): None,
    ("POST", "/v1/webhook-endpoints"): lambda _: {"url": "https://shop.example/hooks"},
    ("GET", "/v1/keys"): None,
    ("POST", "/v1/keys"): lambda _: {"role": "support"},
    # Another merchant's merchant key is refused (403) whatever the body names; another
    # merchant's processor key gets 404 (tests/api/routes/test_settlements.py).
    ("POST", "/v1/settlements"): lambda owner: {
        "settlement_id": f"st-{uuid.uuid4()}", "invoice_id": owner.invoice["id"], "amount": "1.00",
        "currency": "EUR",
    },
    # A JSON body is refused (415) before anything is read; XML of another merchant's
    # references matches nothing of the owner's (tests/api/routes/test_reconciliation.py).
    ("POST", "/v1/reconciliation/camt053"): None,
    ("GET", "/v1/reconciliation/unmatched"): None,
    ("GET", "/v1/ledger/check"): None,
    ("GET", "/v1/integrations/stripe"): None,
    ("PUT", "/v1/integrations/stripe"): lambda _: {"webhook_secret": "whsec_" + "a1" * 16},
    ("DELETE", "/v1/integrations/stripe"): None,
}

BODIES: dict[Endpoint, Body] = OBJECT | OWN


def _id(endpoint: Endpoint) -> str:
    return f"{endpoint[0]} {endpoint[1]}"


class _Ids(dict[str, str]):
    """The owner's ids by path parameter name; any other parameter gets a fresh uuid."""

    def __missing__(self, name: str) -> str:
        return str(uuid.uuid4())


def _url(path: str, owner: Owner) -> str:
    ids = _Ids(
        buyer_id=owner.buyer["id"], invoice_id=owner.invoice["id"], endpoint_id=owner.endpoint_id,
        key_id=owner.key_id, entry_id=owner.entry_id,
    )
    return path.format_map(ids)


def _traces(owner: Owner) -> list[str]:
    """What another merchant must never see of the owner."""
    return [
        owner.buyer["id"], owner.buyer["email"], owner.invoice["id"], owner.endpoint_id, owner.key,
        owner.key_id, owner.entry_id,
    ]


@pytest.fixture(scope="module")
async def client(api_factory: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    async with api_factory() as api:
        yield api


@pytest.fixture(scope="module")
async def owner(client: httpx.AsyncClient) -> Owner:
    tenant = await make_tenant(client, "Owner GmbH")
    created = await client.post(
        "/v1/webhook-endpoints", json={"url": "https://owner.example/hooks"}, headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    key = await create_key(client, tenant.key, "support")
    processor = await create_key(client, tenant.key, "processor")
    statement = camt053([Entry(amount="7.77", remittance=["no reference at all"])])
    imported = await client.post(
        "/v1/reconciliation/camt053", content=statement,
        headers=tenant.headers | {"Content-Type": "application/xml"},
    )
    assert imported.status_code == 200, imported.text
    [entry] = imported.json()["entries"]
    return Owner(tenant, created.json()["id"], key, processor["key"], entry["unmatched_id"])


@pytest.fixture(scope="module")
async def other(client: httpx.AsyncClient) -> Tenant:
    return await make_tenant(client, "Other GmbH")


async def _call(
    client: httpx.AsyncClient, endpoint: Endpoint, owner: Owner, headers: dict[str, str]
) -> httpx.Response:
    method, path = endpoint
    body = BODIES.get(endpoint)
    json = body(owner) if body is not None else None
    return await client.request(method, _url(path, owner), json=json, headers=headers)


async def _owner_unchanged(client: httpx.AsyncClient, owner: Owner) -> None:
    buyer = await client.get(f"/v1/buyers/{owner.buyer['id']}", headers=owner.headers)
    got = buyer.json()
    assert (got["credit_limit"], got["status"], got["balance"]) == ("100000.00", "active", "0.00"), buyer.text
    invoice = await client.get(f"/v1/invoices/{owner.invoice['id']}", headers=owner.headers)
    got = invoice.json()
    assert (got["status"], got["amount_paid"], got["payments"]) == ("open", "0.00", []), invoice.text
    assert (got["charged"], got["credit_notes"]) == (got["total"], []), invoice.text
    listed = await client.get("/v1/invoices", headers=owner.headers)
    assert [i["id"] for i in listed.json()["data"]] == [owner.invoice["id"]]
    endpoint = await client.get(f"/v1/webhook-endpoints/{owner.endpoint_id}", headers=owner.headers)
    assert endpoint.status_code == 200, endpoint.text


def test_every_endpoint_is_in_the_matrix() -> None:
    covered = set(EXEMPT) | ADMIN | set(OBJECT) | set(OWN)
    missing = [_id(e) for e in ROUTES if e not in covered]
    assert not missing, (
        f"endpoints missing from the tenancy matrix (tests/reliability/test_tenancy.py): {missing}"
    )
    gone = [_id(e) for e in covered if e not in ROUTES]
    assert not gone, f"the tenancy matrix names endpoints the app no longer has: {gone}"


@pytest.mark.parametrize("endpoint", [e for e in ROUTES if e not in EXEMPT], ids=_id)
async def test_every_endpoint_refuses_a_request_without_a_key(
    client: httpx.AsyncClient, owner: Owner, endpoint: Endpoint
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer "},
        auth(f"pi_{uuid.uuid4().hex}"),
        {"Authorization": "Basic x"},
    ):
        response = await _call(client, endpoint, owner, headers)
        assert response.status_code == 401, (headers, response.text)
        assert error_code(response) == "unauthorized"
    await _owner_unchanged(client, owner)


@pytest.mark.parametrize("endpoint", sorted(OBJECT), ids=_id)
async def test_every_endpoint_refuses_another_merchants_object_as_not_found(
    client: httpx.AsyncClient, owner: Owner, other: Tenant, endpoint: Endpoint
) -> None:
    response = await _call(client, endpoint, owner, other.headers)
    assert response.status_code == 404, response.text
    assert error_code(response).endswith("not_found"), response.text
    for trace in _traces(owner):
        assert trace not in response.text
    await _owner_unchanged(client, owner)


@pytest.mark.parametrize("endpoint", sorted(OWN), ids=_id)
async def test_every_endpoint_on_the_callers_own_book_shows_nothing_of_another_merchant(
    client: httpx.AsyncClient, owner: Owner, other: Tenant, endpoint: Endpoint
) -> None:
    params = {"buyer_id": owner.buyer["id"]} if endpoint == ("GET", "/v1/invoices") else None
    method, path = endpoint
    body = BODIES[endpoint]
    response = await client.request(
        method, path, params=params, json=body(owner) if body else None, headers=other.headers
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error_code(response)
    for trace in _traces(owner):
        assert trace not in response.text, response.text
    await _owner_unchanged(client, owner)


# What each role may not do: support keys only read, processor keys only report settlements,
# and managing keys is for merchant keys alone.
SETTLEMENTS: Endpoint = ("POST", "/v1/settlements")
KEYS = {e for e in OBJECT | OWN if e[1].startswith("/v1/keys")}
NOT_FOR_SUPPORT = sorted(e for e in OBJECT | OWN if e[0] not in ("GET", "HEAD") or e in KEYS)
NOT_FOR_PROCESSOR = sorted(e for e in OBJECT | OWN if e != SETTLEMENTS)


@pytest.mark.parametrize("endpoint", NOT_FOR_SUPPORT, ids=_id)
async def test_a_support_key_may_only_read(
    client: httpx.AsyncClient, owner: Owner, endpoint: Endpoint
) -> None:
    response = await _call(client, endpoint, owner, auth(owner.support_key))
    assert (response.status_code, error_code(response)) == (403, "forbidden"), response.text
    await _owner_unchanged(client, owner)


@pytest.mark.parametrize("endpoint", NOT_FOR_PROCESSOR, ids=_id)
async def test_a_processor_key_may_only_report_settlements(
    client: httpx.AsyncClient, owner: Owner, endpoint: Endpoint
) -> None:
    response = await _call(client, endpoint, owner, auth(owner.processor_key))
    assert (response.status_code, error_code(response)) == (403, "forbidden"), response.text
    await _owner_unchanged(client, owner)


async def test_merchant_and_support_keys_may_not_report_settlements(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    for key in (owner.key, owner.support_key):
        response = await _call(client, SETTLEMENTS, owner, auth(key))
        assert (response.status_code, error_code(response)) == (403, "forbidden"), response.text
    await _owner_unchanged(client, owner)


@pytest.mark.parametrize("endpoint", sorted(ADMIN), ids=_id)
async def test_admin_endpoints_refuse_a_merchant_key(
    client: httpx.AsyncClient, owner: Owner, endpoint: Endpoint
) -> None:
    method, path = endpoint
    response = await client.request(method, path, json={"name": "Impostor"}, headers=owner.headers)
    assert response.status_code == 401, response.text
    assert error_code(response) == "unauthorized"


async def test_the_admin_key_is_no_merchant_key(client: httpx.AsyncClient, owner: Owner) -> None:
    for endpoint in sorted(OBJECT | OWN):
        response = await _call(client, endpoint, owner, auth(ADMIN_KEY))
        assert response.status_code == 401, (endpoint, response.text)
        assert error_code(response) == "unauthorized"
