"""Bad input, by hand: malformed JSON, huge bodies, huge and odd numbers, unicode in every text
field, SQL-ish strings and wrong content types. Each is refused with a 4xx in the error shape and
nothing stored, or, where the input is in fact valid, answered correctly."""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_KEY
from tests.reliability.conftest import Tenant, make_tenant
from tests.utils.factories import auth, buyer_body, checkout_body, create_buyer, create_merchant, error_code

JSON = {"Content-Type": "application/json"}


def refused(response: httpx.Response, status: int, code: str | None = None) -> None:
    """A refusal with `status`, in the error shape (and with `code`, when given)."""
    assert response.status_code == status, response.text
    got = error_code(response)
    assert isinstance(got, str) and isinstance(response.json()["error"]["message"], str)
    if code is not None:
        assert got == code, response.text


async def nothing_stored(api: httpx.AsyncClient, key: str) -> None:
    """The merchant has no buyer and no invoice."""
    report = await api.get("/v1/reports/credit", headers=auth(key))
    assert report.status_code == 200, report.text
    assert report.json()["data"] == []
    listed = await api.get("/v1/invoices", headers=auth(key))
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"] == []


async def invoice_unchanged(api: httpx.AsyncClient, tenant: Tenant) -> None:
    """The tenant's invoice is still open with nothing paid, and it is the only one."""
    got = await api.get(f"/v1/invoices/{tenant.invoice['id']}", headers=tenant.headers)
    assert got.status_code == 200, got.text
    invoice = got.json()
    assert (invoice["status"], invoice["amount_paid"], invoice["payments"]) == ("open", "0.00", [])
    listed = await api.get("/v1/invoices", headers=tenant.headers)
    assert [i["id"] for i in listed.json()["data"]] == [tenant.invoice["id"]]


@pytest.fixture
async def tenant(api: httpx.AsyncClient) -> Tenant:
    return await make_tenant(api)


def _line(**fields: Any) -> dict[str, Any]:
    return {"description": "Widget", "quantity": "2", "unit_price": "50.00", "tax_rate": "19"} | fields


def _raw(body: Any) -> bytes:
    """JSON as bytes, with escapes for everything non-ASCII (so lone surrogates survive)."""
    return json.dumps(body, ensure_ascii=True).encode()


# Malformed JSON

MALFORMED = {
    "truncated": b'{"name": "Acme", "lines": [',
    "not-json": b"name=Acme",
    "trailing-comma": b'{"name": "Acme",}',
    "single-quotes": b"{'name': 'Acme'}",
    "empty": b"",
    "json-array": b"[]",
    "json-string": b'"Acme"',
    "json-null": b"null",
    "nan-literal": b'{"name": NaN}',
    "duplicate-braces": b"{}{}",
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("path", ["/v1/buyers", "/v1/invoices", "/v1/settings/credit-policy"])
async def test_malformed_json_is_refused_as_invalid_request_and_nothing_is_stored(
    api: httpx.AsyncClient, path: str, body: bytes
) -> None:
    key = await create_merchant(api)
    method = "PUT" if path.endswith("credit-policy") else "POST"
    response = await api.request(method, path, content=body, headers=auth(key) | JSON)
    refused(response, 422, "invalid_request")
    await nothing_stored(api, key)
    policy = await api.get("/v1/settings/credit-policy", headers=auth(key))
    assert policy.json()["version"] == 0


async def test_a_body_that_is_not_utf8_is_refused_and_nothing_is_stored(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    body = json.dumps(buyer_body(name="Ac\u00e9"), ensure_ascii=False).encode("latin-1")
    response = await api.post("/v1/buyers", content=body, headers=auth(key) | JSON)
    refused(response, 400, "bad_request")
    await nothing_stored(api, key)


async def test_malformed_json_on_a_payment_is_refused_and_nothing_is_paid(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    path = f"/v1/invoices/{tenant.invoice['id']}/payments"
    response = await api.post(
        path, content=b'{"payment_id": "p-1", "amount": ', headers=tenant.headers | JSON
    )
    refused(response, 422, "invalid_request")
    await invoice_unchanged(api, tenant)


# Huge bodies


async def test_a_body_over_the_limit_is_refused_as_payload_too_large_and_nothing_is_stored(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    body = buyer_body(name="x" * 100, notes="y" * (1024 * 1024))
    response = await api.post("/v1/buyers", json=body, headers=auth(key))
    refused(response, 413, "payload_too_large")
    await nothing_stored(api, key)


async def test_a_streamed_body_over_the_limit_is_refused_without_a_content_length(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = await api.post("/v1/buyers", content=chunks(), headers=auth(key) | JSON)
    assert "content-length" not in response.request.headers
    refused(response, 413, "payload_too_large")
    await nothing_stored(api, key)


async def test_a_checkout_with_many_lines_under_the_limit_is_refused_by_the_line_count_not_the_size(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[_line()] * 201)
    response = await api.post("/v1/invoices", json=body, headers=auth(key))
    refused(response, 422, "invalid_request")
    listed = await api.get("/v1/invoices", headers=auth(key))
    assert listed.json()["data"] == []


async def test_the_body_limit_is_a_setting(api_factory: Callable[..., httpx.AsyncClient]) -> None:
    async with api_factory(max_body_bytes=200) as small:
        key = await create_merchant(small)
        fits = await small.post("/v1/buyers", json=buyer_body(), headers=auth(key))
        assert fits.status_code == 201, fits.text
        too_big = await small.post("/v1/buyers", json=buyer_body(name="x" * 200), headers=auth(key))
        refused(too_big, 413, "payload_too_large")


async def test_admin_endpoints_have_the_body_limit_too(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/v1/merchants", json={"name": "Big", "x": "y" * (1024 * 1024)}, headers=auth(ADMIN_KEY)
    )
    refused(response, 413, "payload_too_large")


# Huge numbers

HUGE_AMOUNTS = {
    "exponent": "1e400",
    "40-digits": "1" * 40,
    "21-integer-digits": "1" * 21,
    "21-decimals": "1." + "1" * 21,
    "over-the-maximum": "10000000000001.00",
}


@pytest.mark.parametrize("amount", HUGE_AMOUNTS.values(), ids=HUGE_AMOUNTS.keys())
async def test_a_huge_payment_amount_is_refused_and_nothing_is_paid(
    api: httpx.AsyncClient, tenant: Tenant, amount: str
) -> None:
    body = {"payment_id": "pay-huge", "amount": amount, "currency": "EUR"}
    response = await api.post(
        f"/v1/invoices/{tenant.invoice['id']}/payments", json=body, headers=tenant.headers
    )
    refused(response, 422, "invalid_amount")
    await invoice_unchanged(api, tenant)


@pytest.mark.parametrize("field", ["quantity", "unit_price"])
@pytest.mark.parametrize("value", HUGE_AMOUNTS.values(), ids=HUGE_AMOUNTS.keys())
async def test_a_huge_line_number_is_refused_and_nothing_is_stored(
    api: httpx.AsyncClient, field: str, value: str
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await api.post(
        "/v1/invoices", json=checkout_body(buyer["id"], lines=[_line(**{field: value})]), headers=auth(key)
    )
    refused(response, 422)
    assert error_code(response) in {"invalid_amount", "invalid_line"}, response.text
    assert (await api.get("/v1/invoices", headers=auth(key))).json()["data"] == []


async def test_a_line_total_over_the_maximum_is_refused_and_nothing_is_stored(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    line = _line(quantity="99999999999999999999", unit_price="99999999999999999999.00")
    response = await api.post(
        "/v1/invoices", json=checkout_body(buyer["id"], lines=[line]), headers=auth(key)
    )
    refused(response, 422)
    assert (await api.get("/v1/invoices", headers=auth(key))).json()["data"] == []


@pytest.mark.parametrize("value", ["1e400", "1" * 40, "-1"], ids=["exponent", "40-digits", "negative"])
async def test_a_huge_or_negative_credit_limit_is_refused_and_nothing_is_stored(
    api: httpx.AsyncClient, value: str
) -> None:
    key = await create_merchant(api)
    response = await api.post("/v1/buyers", json=buyer_body(credit_limit=value), headers=auth(key))
    refused(response, 422, "invalid_amount")
    await nothing_stored(api, key)


@pytest.mark.parametrize(
    "raw",
    [b"1e400", b"1" * 40, b"-1", b"30.0", b"true", b'"30"'],
    ids=["exponent", "40-digits", "negative", "float", "bool", "string"],
)
async def test_payment_terms_that_are_not_a_small_integer_are_refused(
    api: httpx.AsyncClient, raw: bytes
) -> None:
    key = await create_merchant(api)
    body = _raw(buyer_body()).replace(b'"payment_terms_days": 30', b'"payment_terms_days": ' + raw)
    response = await api.post("/v1/buyers", content=body, headers=auth(key) | JSON)
    refused(response, 422, "invalid_request")
    await nothing_stored(api, key)


@pytest.mark.parametrize("raw", [b"1e400", b"119", b"119.0", b"NaN", b"Infinity"])
async def test_a_json_number_for_an_amount_is_refused(
    api: httpx.AsyncClient, tenant: Tenant, raw: bytes
) -> None:
    body = b'{"payment_id": "pay-n", "currency": "EUR", "amount": ' + raw + b"}"
    response = await api.post(
        f"/v1/invoices/{tenant.invoice['id']}/payments", content=body, headers=tenant.headers | JSON
    )
    refused(response, 422, "invalid_request")
    await invoice_unchanged(api, tenant)


# Negative, NaN, Infinity and "-0" amounts

ODD_AMOUNTS = [
    "-1.00",
    "-0",
    "-0.00",
    "0",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1,00",
    " ",
    "",
    "0x10",
]


@pytest.mark.parametrize("amount", ODD_AMOUNTS)
async def test_a_payment_of_an_odd_amount_is_refused_and_nothing_is_paid(
    api: httpx.AsyncClient, tenant: Tenant, amount: str
) -> None:
    body = {"payment_id": "pay-odd", "amount": amount, "currency": "EUR"}
    response = await api.post(
        f"/v1/invoices/{tenant.invoice['id']}/payments", json=body, headers=tenant.headers
    )
    refused(response, 422, "invalid_amount")
    await invoice_unchanged(api, tenant)


@pytest.mark.parametrize("unit_price", ["-1.00", "NaN", "Infinity", "-Infinity", "1e3"])
async def test_a_line_with_an_odd_unit_price_is_refused(api: httpx.AsyncClient, unit_price: str) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[_line(unit_price=unit_price)])
    response = await api.post("/v1/invoices", json=body, headers=auth(key))
    refused(response, 422)
    assert error_code(response) in {"invalid_amount", "invalid_line"}, response.text
    assert (await api.get("/v1/invoices", headers=auth(key))).json()["data"] == []


async def test_a_negative_zero_unit_price_is_a_free_line_without_a_minus_sign(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    lines = [_line(), _line(description="Free sample", unit_price="-0.00", quantity="1")]
    response = await api.post("/v1/invoices", json=checkout_body(buyer["id"], lines=lines), headers=auth(key))
    assert response.status_code == 201, response.text
    free = response.json()["lines"][1]
    assert (free["unit_price"], free["line_total"], free["tax_amount"]) == ("0.00", "0.00", "0.00")
    assert response.json()["total"] == "119.00"


async def test_a_negative_zero_credit_limit_is_a_limit_of_zero(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, credit_limit="-0")
    assert (buyer["credit_limit"], buyer["credit"]["available"]) == ("0.00", "0.00")


@pytest.mark.parametrize("tax_rate", ["-0", "Infinity", "-Infinity", "1e2"])
async def test_odd_tax_rates_are_refused_or_read_as_their_value(
    api: httpx.AsyncClient, tax_rate: str
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[_line(tax_rate=tax_rate)])
    response = await api.post("/v1/invoices", json=body, headers=auth(key))
    if tax_rate == "-0":  # zero
        assert response.status_code == 201, response.text
        assert response.json()["tax_total"] == "0.00"
        return
    refused(response, 422)
    assert (await api.get("/v1/invoices", headers=auth(key))).json()["data"] == []


# Unicode in every text field

UNICODE = {
    "emoji": "Rechnung 🧾💶 👩🏽‍💼",
    "rtl": "שלום עולם مرحبا",
    "rtl-override": "abc\u202edcba",
    "combining": "Zo\u0308e\u0301",
    "cjk": "株式会社テスト",
    "zero-width": "a\u200bb\ufeffc",
    "newline-tab": "line one\n\tline two",
}
UNSTORABLE = {"nul": "Acme\x00Corp", "lone-high-surrogate": "Acme\ud800", "lone-low-surrogate": "\udfffAcme"}


async def _every_text_field(api: httpx.AsyncClient, text: str) -> list[httpx.Response]:
    """Put `text` into every text field there is, one call each; the answers in order. Calls
    that need an object get a fresh one, so one refusal does not hide the next."""
    answers = [await api.post("/v1/merchants", content=_raw({"name": text}), headers=auth(ADMIN_KEY) | JSON)]
    tenant = await make_tenant(api, "Text GmbH")
    headers = tenant.headers | JSON
    for field in ("name", "external_id"):
        body = buyer_body() | {field: text}
        answers.append(await api.post("/v1/buyers", content=_raw(body), headers=headers))
    invoice_bodies = [
        checkout_body(tenant.buyer["id"], order_id=text),
        checkout_body(tenant.buyer["id"], purchase_order=text),
        checkout_body(tenant.buyer["id"], lines=[_line(description=text)]),
    ]
    for body in invoice_bodies:
        answers.append(await api.post("/v1/invoices", content=_raw(body), headers=headers))
    pay = f"/v1/invoices/{tenant.invoice['id']}/payments"
    for payment in ({"payment_id": text}, {"payment_id": "pay-u", "method": text}):
        body = {"payment_id": "", "amount": "1.00", "currency": "EUR"} | payment
        answers.append(await api.post(pay, content=_raw(body), headers=headers))
    other = await make_tenant(api, "Text GmbH")
    answers.append(
        await api.post(
            f"/v1/invoices/{other.invoice['id']}/void",
            content=_raw({"reason": text}),
            headers=other.headers | JSON,
        )
    )
    return answers


@pytest.mark.parametrize("text", UNICODE.values(), ids=UNICODE.keys())
async def test_unicode_in_every_text_field_is_stored_and_returned_verbatim(
    api: httpx.AsyncClient, text: str
) -> None:
    answers = await _every_text_field(api, text)
    for response in answers:
        assert response.status_code in (200, 201), response.text
    merchant, name, external_id, order, purchase_order, line, payment, method, void = (
        r.json() for r in answers
    )
    assert merchant["name"] == text
    assert name["name"] == text and external_id["external_id"] == text
    assert order["order_id"] == text and purchase_order["purchase_order"] == text
    assert line["lines"][0]["description"] == text
    assert payment["payments"][0]["payment_id"] == text
    assert method["payments"][-1]["method"] == text
    assert void["void_reason"] == text


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_nul_and_lone_surrogates_in_any_text_field_are_refused(
    api: httpx.AsyncClient, text: str
) -> None:
    for response in await _every_text_field(api, text):
        refused(response, 422, "invalid_request")


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_nul_and_lone_surrogates_in_an_email_are_refused_and_nothing_is_stored(
    api: httpx.AsyncClient, text: str
) -> None:
    key = await create_merchant(api)
    body = _raw(buyer_body(email=f"ap{text}@example.com"))
    refused(await api.post("/v1/buyers", content=body, headers=auth(key) | JSON), 422)
    await nothing_stored(api, key)


@pytest.mark.parametrize(
    "email", ["ap@example.com\n", "ap@example.com\r\nBcc: x@evil.example", "ap@exa mple.com"]
)
async def test_an_email_with_a_line_break_or_space_is_refused(api: httpx.AsyncClient, email: str) -> None:
    key = await create_merchant(api)
    response = await api.post("/v1/buyers", json=buyer_body(email=email), headers=auth(key))
    refused(response, 422, "invalid_email")
    await nothing_stored(api, key)


async def test_a_unicode_email_is_stored_verbatim(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, email="Zoë.🧾@bücher.example")
    assert buyer["email"] == "Zoë.🧾@bücher.example"


@pytest.mark.parametrize(
    "text",
    ["%00", "%ED%A0%80", "%FF", "%C0%80"],  # escaped: a client cannot put them in a URL raw
    ids=["nul", "surrogate", "not-utf8", "overlong-nul"],
)
async def test_nul_and_broken_unicode_in_ids_and_queries_are_refused_or_not_found(
    api: httpx.AsyncClient, tenant: Tenant, text: str
) -> None:
    """Never a 5xx: a path id is not found, a query value is refused or finds nothing."""
    for path in (f"/v1/buyers/{text}", f"/v1/invoices/{text}", f"/v1/buyers/{text}/credit/history"):
        response = await api.get(path, headers=tenant.headers)
        assert response.status_code in (400, 404, 422), response.text
        refused(response, response.status_code)
    for params in ({"buyer_id": text}, {"cursor": text}):
        response = await api.get("/v1/invoices", params=params, headers=tenant.headers)
        assert response.status_code in (200, 400, 422), response.text
        if response.status_code == 200:
            assert response.json()["data"] == []
        else:
            refused(response, 422)


async def test_a_nul_in_a_query_value_is_refused_as_invalid_request(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Escaped by hand: httpx would escape the `%` of a `params` value."""
    response = await api.get("/v1/invoices?buyer_id=R%00P", headers=tenant.headers)

    refused(response, 422, "invalid_request")


# SQL-ish strings

SQLISH = ["'; DROP TABLE invoices; --", "1' OR '1'='1", 'Robert"); DELETE FROM buyers; --', "%_\\"]


@pytest.mark.parametrize("text", SQLISH)
async def test_sqlish_strings_are_stored_and_returned_verbatim(api: httpx.AsyncClient, text: str) -> None:
    answers = await _every_text_field(api, text)
    for response in answers:
        assert response.status_code in (200, 201), response.text
    merchant, name, external_id, order, purchase_order, line, payment, method, void = (
        r.json() for r in answers
    )
    assert merchant["name"] == name["name"] == external_id["external_id"] == order["order_id"] == text
    assert purchase_order["purchase_order"] == line["lines"][0]["description"] == text
    assert (
        payment["payments"][0]["payment_id"]
        == method["payments"][-1]["method"]
        == void["void_reason"]
        == text
    )
    # Read back from the database, not only from the answer.
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, name=text, external_id=text)
    got = await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(key))
    assert (got.json()["name"], got.json()["external_id"]) == (text, text)
    invoice = (
        await api.post("/v1/invoices", json=checkout_body(buyer["id"], order_id=text), headers=auth(key))
    ).json()
    read = await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))
    assert read.json()["order_id"] == text


@pytest.mark.parametrize("text", SQLISH)
async def test_sqlish_filters_find_nothing(api: httpx.AsyncClient, tenant: Tenant, text: str) -> None:
    listed = await api.get("/v1/invoices", params={"buyer_id": text}, headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"] == []
    missing = await api.get(f"/v1/buyers/{text}", headers=tenant.headers)
    refused(missing, 404, "buyer_not_found")
    cursor = await api.get("/v1/invoices", params={"cursor": text}, headers=tenant.headers)
    refused(cursor, 422, "invalid_cursor")
    # Still all there.
    await invoice_unchanged(api, tenant)


# Wrong content types

WRONG_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
]


@pytest.mark.parametrize("content_type", WRONG_TYPES)
async def test_a_json_body_sent_as_another_content_type_is_refused_and_nothing_is_stored(
    api: httpx.AsyncClient, content_type: str
) -> None:
    key = await create_merchant(api)
    body = json.dumps(buyer_body()).encode()
    response = await api.post("/v1/buyers", content=body, headers=auth(key) | {"Content-Type": content_type})
    refused(response, 422, "invalid_request")
    await nothing_stored(api, key)


async def test_a_form_encoded_payment_is_refused_and_nothing_is_paid(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await api.post(
        f"/v1/invoices/{tenant.invoice['id']}/payments",
        data={"payment_id": "pay-form", "amount": "119.00", "currency": "EUR"},
        headers=tenant.headers,
    )
    refused(response, 422, "invalid_request")
    await invoice_unchanged(api, tenant)


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
async def test_json_content_types_with_parameters_or_suffixes_are_accepted(
    api: httpx.AsyncClient, content_type: str
) -> None:
    key = await create_merchant(api)
    body = json.dumps(buyer_body()).encode()
    response = await api.post("/v1/buyers", content=body, headers=auth(key) | {"Content-Type": content_type})
    assert response.status_code == 201, response.text
