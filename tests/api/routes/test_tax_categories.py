"""Invoice lines' VAT categories (EN 16931 BT-151) at checkout, over HTTP: each category is kept
on its line and shown with its exemption reason; the combinations EN 16931 refuses are answered
422 `invalid_tax_category` naming the line, and nothing is stored. The rules:
tests/payinvoice/domain/test_lines.py."""

from typing import Any

import httpx

from tests.utils.factories import auth, checkout, create_buyer, create_merchant, error_code, get_ok

TAXED = {"description": "Widget", "quantity": "2", "unit_price": "50.00", "tax_rate": "19"}
EXEMPT = {
    "description": "Medical care", "quantity": "1", "unit_price": "80.00", "tax_rate": "0",
    "tax_category": "E", "exemption_reason": "Exempt under Art. 132(1)(c) VAT Directive",
}  # fmt: skip
REVERSE_CHARGE = {
    "description": "Consulting", "quantity": "1", "unit_price": "100.00", "tax_rate": "0",
    "tax_category": "AE",
}  # fmt: skip


def category_of(line: dict[str, Any]) -> tuple[str, str | None, str]:
    return line["tax_category"], line["exemption_reason"], line["tax_amount"]


async def refused(api: httpx.AsyncClient, key: str, buyer_id: str, lines: list[dict[str, Any]]) -> str:
    """The checkout is refused 422 `invalid_tax_category`, no invoice is stored and the order can
    still be checked out: the refusal's message."""
    response = await checkout(api, key, buyer_id, order_id="order-1", lines=lines)
    assert (response.status_code, error_code(response)) == (422, "invalid_tax_category"), response.text
    assert (await get_ok(api, key, "/v1/invoices"))["data"] == []
    retry = await checkout(api, key, buyer_id, order_id="order-1", lines=[TAXED])
    assert retry.status_code == 201, retry.text
    return response.json()["error"]["message"]


async def test_reverse_charge_for_a_buyer_without_a_vat_id_is_refused_and_nothing_stored(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)

    message = await refused(api, key, buyer["id"], [TAXED, REVERSE_CHARGE])

    assert message.startswith("lines[1].tax_category AE needs the buyer's VAT identifier")


async def test_an_exempt_line_with_its_reason_is_issued_showing_its_category(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)

    response = await checkout(api, key, buyer["id"], lines=[TAXED, EXEMPT])

    assert response.status_code == 201, response.text
    invoice = response.json()
    assert [category_of(line) for line in invoice["lines"]] == [
        ("S", None, "19.00"), ("E", EXEMPT["exemption_reason"], "0.00"),
    ]
    assert invoice["total"] == "199.00"
    stored = await get_ok(api, key, f"/v1/invoices/{invoice['id']}")
    assert [line["tax_category"] for line in stored["lines"]] == ["S", "E"]


async def test_reverse_charge_to_a_buyer_with_a_vat_id_gets_the_standard_reason(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, vat_id="ATU57194903")

    response = await checkout(api, key, buyer["id"], lines=[REVERSE_CHARGE])

    assert response.status_code == 201, response.text
    assert category_of(response.json()["lines"][0]) == ("AE", "Reverse charge", "0.00")


async def test_an_exempt_line_without_a_reason_is_refused_naming_it(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    no_reason = {k: v for k, v in EXEMPT.items() if k != "exemption_reason"}

    message = await refused(api, key, buyer["id"], [no_reason])

    assert message.startswith("lines[0].exemption_reason is needed for tax category E")


async def test_a_zero_rated_category_with_a_rate_is_refused_naming_the_line(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)

    message = await refused(api, key, buyer["id"], [TAXED, TAXED | {"tax_category": "Z"}])

    assert message.startswith("lines[1].tax_category Z charges no VAT")


async def test_a_line_outside_the_scope_of_vat_beside_a_taxed_one_is_refused(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    outside = TAXED | {"tax_rate": "0", "tax_category": "O"}

    message = await refused(api, key, buyer["id"], [outside, TAXED])

    assert message.startswith("lines[1].tax_category S cannot share an invoice")


async def test_an_unknown_category_is_refused_naming_the_line(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)

    message = await refused(api, key, buyer["id"], [TAXED | {"tax_category": "X"}])

    assert message.startswith("lines[0].tax_category 'X'")


async def test_a_line_without_a_category_is_standard_rated(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)

    response = await api.post(
        "/v1/invoices", headers=auth(key),
        json={"order_id": "o-1", "buyer_id": buyer["id"], "currency": "EUR", "lines": [TAXED]},
    )  # fmt: skip

    assert response.status_code == 201, response.text
    assert response.json()["lines"][0]["tax_category"] == "S"
