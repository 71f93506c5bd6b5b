"""Late-payment interest end to end: the merchant's setting (off, fixed, statutory EU), frozen into
each invoice at checkout; interest and the recovery compensation as fee lines that
`GET /v1/invoices/{id}` shows up to now; what paying only the total leaves due. Real dev server,
database and SMTP sink, with a day of a tenth of a second.

Interest in compressed time is small, so the invoices are large (1,000,000.00 EUR, no VAT) and
the rates high. The figures are never compared with a clock: each is recomputed with the domain
function from the days late the fee line itself states."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from payinvoice.domain.late_interest import accrued_interest
from payinvoice.domain.policy import days_late
from tests.utils.clients import api_with
from tests.utils.dunning import put_ladder, stage
from tests.utils.factories import checkout, create_buyer, create_merchant, get_ok, post_payment, put_ok
from tests.utils.histories import record_history
from tests.utils.invariants import cents, ledger_agrees
from tests.utils.waiting import eventually, invoice_reaches
from workflows.invoice import InvoiceWorkflow

DAY = 0.1
TOTAL = "1000000.00"
LATE_INTEREST = "/v1/settings/late-interest"
# Reference rate 4.00 plus 8 points: 12 % a year, and the Directive's 40.00 EUR.
STATUTORY = {"mode": "statutory_eu", "reference_rate": "4.00", "margin_points": "8"}
FIXED = {"mode": "fixed", "annual_rate": "50"}


fast_api = api_with(day_seconds=DAY)


@pytest.fixture
async def merchant(fast_api: httpx.AsyncClient) -> dict[str, Any]:
    """A merchant whose only reminder is far off (no email traffic while the tests wait), and a
    buyer with the credit for large invoices, net 1."""
    key = await create_merchant(fast_api)
    await put_ladder(fast_api, key, [stage("much_later", 1000)])
    buyer = await create_buyer(fast_api, key, credit_limit="100000000.00", payment_terms_days=1)
    return {"key": key, "buyer": buyer}


async def set_late_interest(api: httpx.AsyncClient, key: str, body: dict[str, str]) -> dict[str, Any]:
    return await put_ok(api, key, LATE_INTEREST, body)


async def issue(api: httpx.AsyncClient, merchant: dict[str, Any]) -> dict[str, Any]:
    lines = [{"description": "Machine", "quantity": "1", "unit_price": TOTAL, "tax_rate": "0"}]
    response = await checkout(api, merchant["key"], merchant["buyer"]["id"], lines=lines)
    assert response.status_code == 201, response.text
    assert response.json()["total"] == TOTAL
    return response.json()


async def get(api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]) -> dict[str, Any]:
    return await get_ok(api, merchant["key"], f"/v1/invoices/{invoice['id']}")


def fees_of(invoice: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [fee for fee in invoice["fees"] if fee["kind"] == kind]


def days_stated(fee: dict[str, Any]) -> int:
    """The days late an interest line states ("…, 12 days")."""
    found = re.search(r", (\d+) days$", fee["description"])
    assert found, fee
    return int(found.group(1))


async def interest_after(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any], days: int
) -> dict[str, Any]:
    """The invoice once its interest line states at least `days` days late."""

    async def check() -> dict[str, Any] | None:
        current = await get(api, merchant, invoice)
        interest = fees_of(current, "interest")
        return current if interest and days_stated(interest[0]) >= days else None

    return await eventually(check, within=60)


async def due_at(client: Client, invoice: dict[str, Any]) -> datetime:
    """The instant the invoice fell due, as its workflow has it (the JSON gives only the date)."""
    view = await client.get_workflow_handle(invoice["workflow_id"]).query(InvoiceWorkflow.get_invoice)
    assert view.due_at is not None
    return view.due_at


async def until_late(client: Client, invoice: dict[str, Any], days: int) -> None:
    """Wait until the invoice is at least `days` of its days late."""
    late_from = await due_at(client, invoice) + timedelta(seconds=days * DAY)

    async def passed() -> bool:
        return datetime.now(UTC) > late_from

    await eventually(passed, within=60)


async def test_statutory_interest_shows_up_to_now_as_a_fee_line_of_the_reference_rate_plus_margin(
    fast_api: httpx.AsyncClient, merchant: dict[str, Any], temporal_client: Client
) -> None:
    await set_late_interest(fast_api, merchant["key"], STATUTORY)
    invoice = await issue(fast_api, merchant)

    current = await interest_after(fast_api, merchant, invoice, days=3)

    [interest] = fees_of(current, "interest")
    days = days_stated(interest)
    # Up to the moment of the answer: the days late from the due date to the line's instant.
    answered_at = datetime.fromisoformat(interest["at"])
    assert days == days_late(await due_at(temporal_client, invoice), answered_at, DAY)
    assert interest["description"] == f"Late-payment interest at 12 % a year, {days} days"
    assert cents(interest["amount"]) == accrued_interest([(0, cents(TOTAL))], days, "12") > 0


async def test_statutory_interest_adds_the_40_eur_compensation_once(
    fast_api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await set_late_interest(fast_api, merchant["key"], STATUTORY)
    invoice = await issue(fast_api, merchant)

    current = await interest_after(fast_api, merchant, invoice, days=3)

    [compensation] = fees_of(current, "compensation")
    assert compensation["amount"] == "40.00"
    assert compensation["description"] == "Compensation for recovery costs (Directive 2011/7/EU)"


async def test_the_amount_due_of_a_late_invoice_includes_interest_and_compensation(
    fast_api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await set_late_interest(fast_api, merchant["key"], STATUTORY)
    invoice = await issue(fast_api, merchant)

    current = await interest_after(fast_api, merchant, invoice, days=2)

    fees = sum(cents(fee["amount"]) for fee in current["fees"])
    assert current["total"] == TOTAL
    assert cents(current["amount_due"]) == cents(current["charged"]) == cents(TOTAL) + fees


async def test_interest_grows_with_each_day_late(
    fast_api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await set_late_interest(fast_api, merchant["key"], STATUTORY)
    invoice = await issue(fast_api, merchant)
    earlier = await interest_after(fast_api, merchant, invoice, days=2)
    [before] = fees_of(earlier, "interest")

    later = await interest_after(fast_api, merchant, invoice, days=days_stated(before) + 2)

    [after] = fees_of(later, "interest")
    assert cents(after["amount"]) > cents(before["amount"])
    assert [fee["amount"] for fee in fees_of(later, "compensation")] == ["40.00"]


async def test_paying_only_the_total_of_a_late_invoice_leaves_interest_and_compensation_due(
    fast_api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await set_late_interest(fast_api, merchant["key"], STATUTORY)
    invoice = await issue(fast_api, merchant)
    await interest_after(fast_api, merchant, invoice, days=2)
    await invoice_reaches(fast_api, merchant["key"], invoice["id"], "overdue")

    paid = await post_payment(fast_api, merchant["key"], invoice["id"], amount=TOTAL)

    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert body["status"] == "overdue"
    [interest] = fees_of(body, "interest")
    assert cents(interest["amount"]) > 0
    assert cents(body["amount_due"]) == cents(interest["amount"]) + cents("40.00")


async def test_once_the_total_is_paid_interest_stops_growing(
    fast_api: httpx.AsyncClient, merchant: dict[str, Any], temporal_client: Client
) -> None:
    await set_late_interest(fast_api, merchant["key"], STATUTORY)
    invoice = await issue(fast_api, merchant)
    await interest_after(fast_api, merchant, invoice, days=2)
    paid = (await post_payment(fast_api, merchant["key"], invoice["id"], amount=TOTAL)).json()
    [interest] = fees_of(paid, "interest")

    await until_late(temporal_client, invoice, days_stated(interest) + 3)

    current = await get(fast_api, merchant, invoice)
    assert [fee["amount"] for fee in fees_of(current, "interest")] == [interest["amount"]]
    assert current["amount_due"] == paid["amount_due"]


async def test_paying_total_interest_and_compensation_settles_the_late_invoice_and_the_ledger_agrees(
    fast_api: httpx.AsyncClient, merchant: dict[str, Any], temporal_client: Client
) -> None:
    await set_late_interest(fast_api, merchant["key"], STATUTORY)
    invoice = await issue(fast_api, merchant)
    await interest_after(fast_api, merchant, invoice, days=2)
    rest = (await post_payment(fast_api, merchant["key"], invoice["id"], amount=TOTAL)).json()["amount_due"]

    paid = await post_payment(fast_api, merchant["key"], invoice["id"], amount=rest)

    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["amount_due"]) == ("paid", "0.00")
    await ledger_agrees(fast_api, merchant["key"])
    await record_history(temporal_client, invoice["workflow_id"], "late_interest_paid")


async def test_fixed_interest_charges_the_merchants_rate_and_no_compensation(
    fast_api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await set_late_interest(fast_api, merchant["key"], FIXED)
    invoice = await issue(fast_api, merchant)

    current = await interest_after(fast_api, merchant, invoice, days=3)

    [interest] = current["fees"]
    days = days_stated(interest)
    assert interest["description"] == f"Late-payment interest at 50 % a year, {days} days"
    assert cents(interest["amount"]) == accrued_interest([(0, cents(TOTAL))], days, "50") > 0


async def test_without_a_setting_a_late_invoice_charges_no_interest(
    fast_api: httpx.AsyncClient, merchant: dict[str, Any], temporal_client: Client
) -> None:
    invoice = await issue(fast_api, merchant)
    await invoice_reaches(fast_api, merchant["key"], invoice["id"], "overdue")

    await until_late(temporal_client, invoice, days=3)

    current = await get(fast_api, merchant, invoice)
    assert (current["fees"], current["charged"], current["amount_due"]) == ([], TOTAL, TOTAL)


async def test_the_setting_in_force_at_checkout_stays_with_the_invoice(
    fast_api: httpx.AsyncClient, merchant: dict[str, Any], temporal_client: Client
) -> None:
    await set_late_interest(fast_api, merchant["key"], FIXED)
    before = await issue(fast_api, merchant)

    await set_late_interest(fast_api, merchant["key"], {"mode": "off"})
    after = await issue(fast_api, merchant)

    await until_late(temporal_client, after, days=3)
    assert [fee["kind"] for fee in (await get(fast_api, merchant, before))["fees"]] == ["interest"]
    assert (await get(fast_api, merchant, after))["fees"] == []
