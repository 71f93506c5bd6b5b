"""Invoices over HTTP: checkout validation (bad input stores nothing), credit declines, listing,
and the payment and void calls' refusals."""

import base64
import uuid
from typing import Any

import httpx
import pytest

from tests.utils.factories import (
    auth,
    checkout,
    checkout_body,
    create_buyer,
    create_merchant,
    error_code,
    post_payment,
)


def _line(**fields: str) -> dict[str, str]:
    return {"description": "Widget", "quantity": "2", "unit_price": "50.00", "tax_rate": "19"} | fields


async def _listed(api: httpx.AsyncClient, key: str, **params: Any) -> list[dict[str, Any]]:
    response = await api.get("/v1/invoices", params=params, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def _nothing_stored(api: httpx.AsyncClient, key: str, buyer: dict[str, Any], order_id: str) -> None:
    """No invoice is listed for the merchant, and the same order can still be checked out fresh."""
    assert await _listed(api, key) == []
    retry = await checkout(api, key, buyer["id"], order_id=order_id)
    assert retry.status_code == 201, retry.text
    assert retry.json()["status"] == "open"


async def _refused(
    api: httpx.AsyncClient, key: str, body: dict[str, Any], status: int, code: str
) -> httpx.Response:
    response = await api.post("/v1/invoices", json=body, headers=auth(key))
    assert response.status_code == status, response.text
    assert error_code(response) == code, response.text
    return response


async def _open_invoice(
    api: httpx.AsyncClient, key: str, buyer_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    """An open invoice, for `buyer_id` or else for a new buyer of the merchant."""
    if buyer_id is None:
        buyer_id = (await create_buyer(api, key))["id"]
    response = await checkout(api, key, buyer_id, **fields)
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["status"] == "open"
    return invoice


async def _declined_invoice(api: httpx.AsyncClient, key: str) -> dict[str, Any]:
    buyer = await create_buyer(api, key, currency="EUR")
    response = await checkout(api, key, buyer["id"], currency="USD")
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["status"] == "declined"
    return invoice


async def _read_invoice(api: httpx.AsyncClient, key: str, invoice_id: str) -> dict[str, Any]:
    response = await api.get(f"/v1/invoices/{invoice_id}", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def _assert_unpaid(api: httpx.AsyncClient, key: str, invoice_id: str) -> None:
    """The invoice is still open, with nothing paid and no payment recorded."""
    got = await _read_invoice(api, key, invoice_id)
    assert (got["status"], got["amount_paid"], got["payments"]) == ("open", "0.00", [])


async def _void(api: httpx.AsyncClient, key: str, invoice_id: str, reason: str) -> httpx.Response:
    return await api.post(f"/v1/invoices/{invoice_id}/void", json={"reason": reason}, headers=auth(key))


# A good checkout


async def test_a_good_checkout_issues_an_open_invoice(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], purchase_order="PO-7")
    response = await api.post("/v1/invoices", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["status"] == "open"
    assert invoice["order_id"] == body["order_id"]
    assert invoice["buyer_id"] == buyer["id"]
    assert invoice["number"]
    assert invoice["decline_reason"] is None
    assert invoice["purchase_order"] == "PO-7"
    assert (invoice["subtotal"], invoice["tax_total"], invoice["total"]) == ("100.00", "19.00", "119.00")
    assert invoice["amount_due"] == "119.00"
    assert invoice["payment_terms_days"] == 30
    assert [i["id"] for i in await _listed(api, key)] == [invoice["id"]]


# Checkout validation: refused, nothing stored


async def test_checkout_with_no_lines_is_refused_and_nothing_is_stored(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[])
    await _refused(api, key, body, 422, "invalid_request")
    await _nothing_stored(api, key, buyer, body["order_id"])


@pytest.mark.parametrize("quantity", ["0", "-1", "1.23456"], ids=["zero", "negative", "five-decimals"])
async def test_checkout_with_a_bad_quantity_is_refused_and_nothing_is_stored(api, quantity) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[_line(quantity=quantity)])
    await _refused(api, key, body, 422, "invalid_line")
    await _nothing_stored(api, key, buyer, body["order_id"])


async def test_checkout_with_a_negative_unit_price_is_refused_and_nothing_is_stored(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[_line(unit_price="-1.00")])
    await _refused(api, key, body, 422, "invalid_line")
    await _nothing_stored(api, key, buyer, body["order_id"])


async def test_checkout_with_a_unit_price_finer_than_the_currency_is_refused_and_nothing_is_stored(
    api,
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[_line(unit_price="1.001")])
    await _refused(api, key, body, 422, "invalid_amount")
    await _nothing_stored(api, key, buyer, body["order_id"])


@pytest.mark.parametrize("tax_rate", ["101", "-1"])
async def test_checkout_with_a_tax_rate_out_of_range_is_refused_and_nothing_is_stored(api, tax_rate) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[_line(tax_rate=tax_rate)])
    await _refused(api, key, body, 422, "invalid_line")
    await _nothing_stored(api, key, buyer, body["order_id"])


async def test_checkout_with_a_nan_tax_rate_is_refused_and_nothing_is_stored(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[_line(tax_rate="NaN")])
    await _refused(api, key, body, 422, "invalid_amount")
    await _nothing_stored(api, key, buyer, body["order_id"])


async def test_a_bad_line_after_a_good_one_refuses_the_whole_checkout(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[_line(), _line(quantity="0")])
    await _refused(api, key, body, 422, "invalid_line")
    await _nothing_stored(api, key, buyer, body["order_id"])


async def test_checkout_in_an_unsupported_currency_is_refused_and_nothing_is_stored(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], currency="XXX")
    await _refused(api, key, body, 422, "unsupported_currency")
    await _nothing_stored(api, key, buyer, body["order_id"])


async def test_checkout_with_an_unknown_field_is_refused_and_nothing_is_stored(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], discount="10.00")
    await _refused(api, key, body, 422, "invalid_request")
    await _nothing_stored(api, key, buyer, body["order_id"])


async def test_checkout_with_a_float_unit_price_is_refused_and_nothing_is_stored(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"], lines=[_line(unit_price=50.0)])  # type: ignore[arg-type]
    await _refused(api, key, body, 422, "invalid_request")
    await _nothing_stored(api, key, buyer, body["order_id"])


async def test_checkout_for_an_unknown_buyer_is_not_found_and_nothing_is_stored(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(str(uuid.uuid4()))
    await _refused(api, key, body, 404, "buyer_not_found")
    await _nothing_stored(api, key, buyer, body["order_id"])


async def test_checkout_for_another_merchants_buyer_is_not_found_and_nothing_is_stored(api) -> None:
    owner = await create_merchant(api)
    other = await create_merchant(api)
    owners_buyer = await create_buyer(api, owner)
    others_buyer = await create_buyer(api, other)
    body = checkout_body(owners_buyer["id"])
    await _refused(api, other, body, 404, "buyer_not_found")
    assert await _listed(api, owner) == []
    await _nothing_stored(api, other, others_buyer, body["order_id"])


async def test_checkout_without_a_key_is_unauthorized_and_nothing_is_stored(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"])
    response = await api.post("/v1/invoices", json=body)
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    await _nothing_stored(api, key, buyer, body["order_id"])


async def test_checkout_with_an_unknown_key_is_unauthorized(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await api.post(
        "/v1/invoices", json=checkout_body(buyer["id"]), headers=auth(f"pi_{uuid.uuid4().hex}")
    )
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    assert await _listed(api, key) == []


async def test_checkout_with_malformed_json_is_refused(api) -> None:
    key = await create_merchant(api)
    response = await api.post(
        "/v1/invoices",
        content=b'{"order_id": "x", "lines": [',
        headers=auth(key) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"
    assert await _listed(api, key) == []


# Declines are answers, not errors


async def test_checkout_in_another_currency_than_the_buyers_is_declined(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, currency="EUR")
    response = await checkout(api, key, buyer["id"], currency="USD")
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["status"] == "declined"
    assert invoice["decline_reason"] == "currency_mismatch"
    assert invoice["number"] is None


async def test_checkout_over_the_credit_limit_is_declined(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, credit_limit="10.00")
    response = await checkout(api, key, buyer["id"])
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["total"] == "119.00"
    assert invoice["status"] == "declined"
    assert invoice["decline_reason"] == "credit_limit_exceeded"
    assert invoice["number"] is None


async def test_checkout_for_a_suspended_buyer_is_declined(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    patched = await api.patch(f"/v1/buyers/{buyer['id']}", json={"status": "suspended"}, headers=auth(key))
    assert patched.status_code == 200, patched.text
    response = await checkout(api, key, buyer["id"])
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["status"] == "declined"
    assert invoice["decline_reason"] == "buyer_suspended"
    assert invoice["number"] is None


async def test_a_declined_checkout_is_stored_and_listed(api) -> None:
    key = await create_merchant(api)
    invoice = await _declined_invoice(api, key)
    assert (await _read_invoice(api, key, invoice["id"]))["status"] == "declined"
    assert [i["id"] for i in await _listed(api, key)] == [invoice["id"]]


# Reads and isolation


async def test_reading_an_unknown_invoice_is_not_found(api) -> None:
    key = await create_merchant(api)
    response = await api.get(f"/v1/invoices/{uuid.uuid4()}", headers=auth(key))
    assert response.status_code == 404
    assert error_code(response) == "invoice_not_found"


async def test_another_merchants_invoice_reads_as_not_found(api) -> None:
    owner = await create_merchant(api)
    other = await create_merchant(api)
    invoice = await _open_invoice(api, owner)
    response = await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(other))
    assert response.status_code == 404
    assert error_code(response) == "invoice_not_found"
    assert await _listed(api, other) == []


async def test_listing_invoices_without_a_key_is_unauthorized(api) -> None:
    response = await api.get("/v1/invoices")
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


# Listing


async def test_listing_pages_through_invoices_newest_first(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    created = [(await _open_invoice(api, key, buyer["id"]))["id"] for _ in range(3)]
    first = await api.get("/v1/invoices", params={"limit": 2}, headers=auth(key))
    assert first.status_code == 200, first.text
    page1 = first.json()
    assert [i["id"] for i in page1["data"]] == [created[2], created[1]]
    assert page1["next_cursor"]
    second = await api.get(
        "/v1/invoices", params={"limit": 2, "cursor": page1["next_cursor"]}, headers=auth(key)
    )
    assert second.status_code == 200, second.text
    page2 = second.json()
    assert [i["id"] for i in page2["data"]] == [created[0]]
    assert page2["next_cursor"] is None


async def test_listing_filters_by_buyer(api) -> None:
    key = await create_merchant(api)
    first = await create_buyer(api, key)
    second = await create_buyer(api, key)
    mine = await _open_invoice(api, key, first["id"])
    await _open_invoice(api, key, second["id"])
    assert [i["id"] for i in await _listed(api, key, buyer_id=first["id"])] == [mine["id"]]


async def test_listing_filters_by_status(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    opened = await _open_invoice(api, key, buyer["id"])
    declined = await checkout(api, key, buyer["id"], currency="USD")
    assert declined.json()["status"] == "declined"
    assert [i["id"] for i in await _listed(api, key, status="open")] == [opened["id"]]
    assert [i["id"] for i in await _listed(api, key, status="declined")] == [declined.json()["id"]]
    assert await _listed(api, key, status="paid") == []


async def test_listing_shows_only_the_merchants_own_invoices(api) -> None:
    owner = await create_merchant(api)
    other = await create_merchant(api)
    await _open_invoice(api, owner)
    assert await _listed(api, other) == []


@pytest.mark.parametrize("limit", ["0", "101", "-1", "many"])
async def test_listing_with_a_limit_out_of_range_is_refused(api, limit) -> None:
    key = await create_merchant(api)
    response = await api.get("/v1/invoices", params={"limit": limit}, headers=auth(key))
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"


async def test_listing_with_an_unknown_status_is_refused(api) -> None:
    key = await create_merchant(api)
    response = await api.get("/v1/invoices", params={"status": "bogus"}, headers=auth(key))
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        base64.urlsafe_b64encode(b"no separator").decode(),
        base64.urlsafe_b64encode(b"not-a-date|some-id").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe|x").decode(),
    ],
    ids=["not-base64", "no-base64-characters", "no-separator", "not-a-date", "not-utf8"],
)
async def test_listing_with_a_garbage_cursor_is_refused(api, cursor) -> None:
    key = await create_merchant(api)
    response = await api.get("/v1/invoices", params={"cursor": cursor}, headers=auth(key))
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_cursor"


# Payments


@pytest.mark.parametrize("amount", ["0", "-5.00"])
async def test_a_payment_of_no_or_negative_amount_is_refused(api, amount) -> None:
    key = await create_merchant(api)
    invoice = await _open_invoice(api, key)
    response = await post_payment(api, key, invoice["id"], amount=amount)
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_amount"
    await _assert_unpaid(api, key, invoice["id"])


async def test_a_payment_finer_than_the_currency_is_refused(api) -> None:
    key = await create_merchant(api)
    invoice = await _open_invoice(api, key)
    response = await post_payment(api, key, invoice["id"], amount="1.001")
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_amount"


async def test_a_payment_in_another_currency_than_the_invoice_is_refused(api) -> None:
    key = await create_merchant(api)
    invoice = await _open_invoice(api, key)
    response = await post_payment(api, key, invoice["id"], amount="119.00", currency="USD")
    assert response.status_code == 422, response.text
    assert error_code(response) == "currency_mismatch"
    await _assert_unpaid(api, key, invoice["id"])


async def test_a_payment_with_a_naive_paid_at_is_refused(api) -> None:
    key = await create_merchant(api)
    invoice = await _open_invoice(api, key)
    response = await post_payment(api, key, invoice["id"], paid_at="2024-05-01T12:00:00")
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"
    await _assert_unpaid(api, key, invoice["id"])


async def test_a_payment_on_a_declined_invoice_is_not_payable(api) -> None:
    key = await create_merchant(api)
    invoice = await _declined_invoice(api, key)
    response = await post_payment(api, key, invoice["id"], currency=invoice["currency"])
    assert response.status_code == 409, response.text
    assert error_code(response) == "invoice_not_payable"


async def test_a_payment_on_an_unknown_invoice_is_not_found(api) -> None:
    key = await create_merchant(api)
    response = await post_payment(api, key, str(uuid.uuid4()), amount="1.00")
    assert response.status_code == 404, response.text
    assert error_code(response) == "invoice_not_found"


async def test_a_payment_on_another_merchants_invoice_is_not_found(api) -> None:
    owner = await create_merchant(api)
    other = await create_merchant(api)
    invoice = await _open_invoice(api, owner)
    response = await post_payment(api, other, invoice["id"])
    assert response.status_code == 404, response.text
    assert error_code(response) == "invoice_not_found"
    await _assert_unpaid(api, owner, invoice["id"])


# Voids


async def test_voiding_a_declined_invoice_is_refused(api) -> None:
    key = await create_merchant(api)
    invoice = await _declined_invoice(api, key)
    response = await _void(api, key, invoice["id"], "oops")
    assert response.status_code == 409, response.text
    assert error_code(response) == "invoice_not_voidable"


async def test_voiding_with_an_empty_reason_is_refused(api) -> None:
    key = await create_merchant(api)
    invoice = await _open_invoice(api, key)
    response = await _void(api, key, invoice["id"], "")
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"
    got = await _read_invoice(api, key, invoice["id"])
    assert (got["status"], got["void_reason"]) == ("open", None)


async def test_voiding_another_merchants_invoice_is_not_found(api) -> None:
    owner = await create_merchant(api)
    other = await create_merchant(api)
    invoice = await _open_invoice(api, owner)
    response = await _void(api, other, invoice["id"], "not mine")
    assert response.status_code == 404, response.text
    assert error_code(response) == "invoice_not_found"
    assert (await _read_invoice(api, owner, invoice["id"]))["status"] == "open"


# The schema


async def test_the_openapi_document_lists_the_invoice_endpoints(api) -> None:
    response = await api.get("/openapi.json")
    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    assert "/v1/invoices" in paths
    assert {"get", "post"} <= set(paths["/v1/invoices"])
