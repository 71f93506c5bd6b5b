"""The early-payment discount (Skonto, "2/10 net 30") end to end: a payment inside the window of
at least the discounted amount settles the invoice in full, the rest recorded as the discount;
a buyer's discount applies to its invoices, an invoice's own wins; a bad discount is refused.
Real dev server, database and SMTP sink.

The default checkout is 119.00 EUR: 2 % off is 2.38, so 116.62 settles it within the window.
Tests inside the window use the shared day of an hour (the window is ten hours long); the one
after it uses a day of a tenth of a second."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from tests.utils.factories import (
    auth,
    buyer_body,
    checkout,
    create_buyer,
    create_merchant,
    error_code,
    post_payment,
)
from tests.utils.histories import record_history
from tests.utils.invariants import ledger_agrees
from tests.utils.waiting import eventually

TWO_TEN = {"percent": "2", "days": 10}
DISCOUNTED = "116.62"


async def issue(api: httpx.AsyncClient, key: str, buyer_id: str, **fields: Any) -> dict[str, Any]:
    response = await checkout(api, key, buyer_id, **fields)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def merchant(api: httpx.AsyncClient) -> dict[str, Any]:
    """A merchant and its buyer, net 30 without a discount of its own."""
    key = await create_merchant(api)
    return {"key": key, "buyer": await create_buyer(api, key)}


@pytest.fixture
async def offered(api: httpx.AsyncClient, merchant: dict[str, Any]) -> dict[str, Any]:
    """An open invoice of 119.00 EUR with 2/10 net 30."""
    return await issue(api, merchant["key"], merchant["buyer"]["id"], early_payment_discount=TWO_TEN)


async def test_an_invoice_with_a_discount_offers_the_discounted_amount_until_its_deadline(
    offered: dict[str, Any],
) -> None:
    assert offered["early_payment_discount"] == TWO_TEN
    assert (offered["discounted_amount"], offered["discount"]) == (DISCOUNTED, "0.00")
    issued_at = datetime.fromisoformat(offered["created_at"])
    assert datetime.fromisoformat(offered["discount_deadline"]) > issued_at


async def test_paying_the_discounted_amount_within_the_window_settles_the_invoice_in_full(
    api: httpx.AsyncClient, merchant: dict[str, Any], offered: dict[str, Any], temporal_client: Client
) -> None:
    paid = await post_payment(api, merchant["key"], offered["id"], amount=DISCOUNTED)

    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert (body["status"], body["paid_by"], body["amount_due"]) == ("paid", "discount", "0.00")
    assert (body["amount_paid"], body["discount"], body["charged"]) == (DISCOUNTED, "2.38", DISCOUNTED)
    assert body["total"] == "119.00"
    await record_history(temporal_client, offered["workflow_id"], "paid_with_early_payment_discount")


async def test_a_settled_discount_agrees_with_the_ledger(
    api: httpx.AsyncClient, merchant: dict[str, Any], offered: dict[str, Any]
) -> None:
    paid = await post_payment(api, merchant["key"], offered["id"], amount=DISCOUNTED)
    # The discount was taken first: a ledger with nothing in it would agree too.
    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert (body["status"], body["paid_by"], body["discount"]) == ("paid", "discount", "2.38")

    await ledger_agrees(api, merchant["key"])


async def test_one_cent_less_than_the_discounted_amount_leaves_the_invoice_open(
    api: httpx.AsyncClient, merchant: dict[str, Any], offered: dict[str, Any]
) -> None:
    paid = await post_payment(api, merchant["key"], offered["id"], amount="116.61")

    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert (body["status"], body["paid_by"], body["discount"], body["amount_due"]) == (
        "open", None, "0.00", "2.39",
    )


async def test_payments_that_reach_the_discounted_amount_together_within_the_window_settle_it(
    api: httpx.AsyncClient, merchant: dict[str, Any], offered: dict[str, Any]
) -> None:
    await post_payment(api, merchant["key"], offered["id"], amount="100.00")

    paid = await post_payment(api, merchant["key"], offered["id"], amount="16.62")

    assert (paid.json()["status"], paid.json()["discount"]) == ("paid", "2.38")


async def test_paying_in_full_within_the_window_takes_no_discount(
    api: httpx.AsyncClient, merchant: dict[str, Any], offered: dict[str, Any]
) -> None:
    paid = await post_payment(api, merchant["key"], offered["id"], amount="119.00")

    body = paid.json()
    assert (body["status"], body["paid_by"], body["discount"], body["overpaid_amount"]) == (
        "paid", None, "0.00", "0.00",
    )


async def paid_after_the_window(
    api_factory: Callable[..., httpx.AsyncClient], dated_at_issue: bool = False
) -> httpx.Response:
    """The discounted amount paid once the 2/1 window of an invoice on a tenth-of-a-second day
    closed; `dated_at_issue`: the report says it was paid when the invoice was issued."""
    async with api_factory(day_seconds=0.1) as fast_api:
        key = await create_merchant(fast_api)
        buyer = await create_buyer(fast_api, key)
        invoice = await issue(fast_api, key, buyer["id"], early_payment_discount={"percent": "2", "days": 1})
        deadline = datetime.fromisoformat(invoice["discount_deadline"])

        async def window_closed() -> bool:
            return datetime.now(UTC) > deadline

        await eventually(window_closed)
        dated = {"paid_at": invoice["created_at"]} if dated_at_issue else {}
        return await post_payment(fast_api, key, invoice["id"], amount=DISCOUNTED, **dated)


async def test_a_payment_after_the_window_gets_no_discount(
    api_factory: Callable[..., httpx.AsyncClient],
) -> None:
    paid = await paid_after_the_window(api_factory)

    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert (body["status"], body["discount"], body["amount_due"]) == ("open", "0.00", "2.38")


async def test_a_buyers_discount_applies_to_its_invoices(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, early_payment_discount={"percent": "3", "days": 14})
    assert buyer["early_payment_discount"] == {"percent": "3", "days": 14}

    invoice = await issue(api, key, buyer["id"])

    # 3 % of 119.00 is 3.57.
    assert (invoice["early_payment_discount"], invoice["discounted_amount"]) == (
        {"percent": "3", "days": 14}, "115.43",
    )


async def test_an_invoices_own_discount_wins_over_the_buyers(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, early_payment_discount={"percent": "3", "days": 14})

    invoice = await issue(api, key, buyer["id"], early_payment_discount=TWO_TEN)

    assert (invoice["early_payment_discount"], invoice["discounted_amount"]) == (TWO_TEN, DISCOUNTED)


async def test_a_buyers_discount_set_later_applies_to_invoices_issued_afterwards(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    before = await issue(api, merchant["key"], merchant["buyer"]["id"])
    patched = await api.patch(
        f"/v1/buyers/{merchant['buyer']['id']}", json={"early_payment_discount": TWO_TEN},
        headers=auth(merchant["key"]),
    )
    assert patched.status_code == 200, patched.text

    after = await issue(api, merchant["key"], merchant["buyer"]["id"])

    assert (before["early_payment_discount"], after["early_payment_discount"]) == (None, TWO_TEN)


async def test_an_invoice_without_a_discount_offers_none(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    invoice = await issue(api, merchant["key"], merchant["buyer"]["id"])

    offer = (invoice["early_payment_discount"], invoice["discounted_amount"], invoice["discount_deadline"])
    assert offer == (None, None, None)


@pytest.mark.parametrize(
    ("offer", "field"),
    [
        ({"percent": "0", "days": 10}, "percent"),
        ({"percent": "100", "days": 10}, "percent"),
        ({"percent": "two", "days": 10}, "percent"),
        ({"percent": "2", "days": 0}, "days"),
        ({"percent": "2", "days": 30}, "days"),  # the window must end before the terms
        ({"percent": "2", "days": 45}, "days"),
    ],
    ids=[
        "percent_0", "percent_100", "percent_not_a_number",
        "days_0", "days_equal_to_terms", "days_past_terms",
    ],
)
async def test_an_invalid_discount_on_an_invoice_answers_422_naming_the_field(
    api: httpx.AsyncClient, merchant: dict[str, Any], offer: dict[str, Any], field: str
) -> None:
    response = await checkout(api, merchant["key"], merchant["buyer"]["id"], early_payment_discount=offer)

    assert (response.status_code, error_code(response)) == (422, "invalid_discount"), response.text
    assert f"early_payment_discount.{field}" in response.json()["error"]["message"]


async def test_an_invalid_discount_on_a_buyer_answers_422(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    body = buyer_body(payment_terms_days=14, early_payment_discount={"percent": "2", "days": 14})
    response = await api.post("/v1/buyers", json=body, headers=auth(key))

    assert (response.status_code, error_code(response)) == (422, "invalid_discount"), response.text


async def test_an_invalid_discount_in_a_buyer_update_answers_422_and_keeps_the_old_one(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, early_payment_discount=TWO_TEN)

    response = await api.patch(
        f"/v1/buyers/{buyer['id']}", json={"early_payment_discount": {"percent": "0", "days": 10}},
        headers=auth(key),
    )

    assert (response.status_code, error_code(response)) == (422, "invalid_discount"), response.text
    kept = await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(key))
    assert kept.json()["early_payment_discount"] == TWO_TEN


async def test_a_payment_reported_after_the_window_but_dated_inside_it_gets_no_discount(
    api_factory: Callable[..., httpx.AsyncClient],
) -> None:
    """The discount goes by when payinvoice heard of the payment, when that was later: a
    backdated report cannot buy the discount after the window closed."""
    paid = await paid_after_the_window(api_factory, dated_at_issue=True)

    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert (body["status"], body["discount"], body["amount_due"]) == ("open", "0.00", "2.38")
