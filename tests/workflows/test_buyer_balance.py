"""The buyer's credit balance end to end: an overpayment goes to it, the buyer's next invoices take
from it at issue (oldest first), and the merchant can refund it (`POST /v1/buyers/{id}/refunds`);
the ledger agrees throughout. Real dev server, database and SMTP sink.

The default checkout is 119.00 EUR."""

from typing import Any

import httpx
import pytest

from tests.utils.factories import (
    auth,
    create_account,
    create_buyer,
    error_code,
    issue_to,
    post_payment,
)
from tests.utils.invariants import ledger_agrees


@pytest.fixture
async def merchant(api: httpx.AsyncClient) -> dict[str, Any]:
    return await create_account(api)


async def balance(api: httpx.AsyncClient, merchant: dict[str, Any]) -> str:
    response = await api.get(f"/v1/buyers/{merchant['buyer']['id']}", headers=auth(merchant["key"]))
    assert response.status_code == 200, response.text
    return response.json()["balance"]


async def overpay(api: httpx.AsyncClient, merchant: dict[str, Any], amount: str) -> dict[str, Any]:
    """A new invoice of 119.00 EUR paid with `amount`: what exceeds 119.00 goes to the balance."""
    invoice = await issue_to(api, merchant)
    paid = await post_payment(api, merchant["key"], invoice["id"], amount=amount)
    assert paid.status_code == 200, paid.text
    return paid.json()


async def refund(
    api: httpx.AsyncClient, merchant: dict[str, Any], amount: str, reference: str
) -> httpx.Response:
    url = f"/v1/buyers/{merchant['buyer']['id']}/refunds"
    body = {"amount": amount, "reference": reference}
    return await api.post(url, json=body, headers=auth(merchant["key"]))


async def refund_payment(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any], payment_id: str, amount: str
) -> httpx.Response:
    url = f"/v1/invoices/{invoice['id']}/refunds"
    body = {"payment_id": payment_id, "amount": amount}
    return await api.post(url, json=body, headers=auth(merchant["key"]))


async def test_a_new_buyer_has_no_balance(api: httpx.AsyncClient, merchant: dict[str, Any]) -> None:
    assert await balance(api, merchant) == "0.00"


async def test_an_overpayment_goes_to_the_buyers_balance(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    paid = await overpay(api, merchant, "150.00")

    overpaid = (paid["status"], paid["overpaid_amount"], paid["credited_to_balance"])
    assert overpaid == ("paid", "31.00", "31.00")
    assert await balance(api, merchant) == "31.00"


async def test_the_next_invoice_takes_the_balance_at_issue_as_a_payment(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await overpay(api, merchant, "150.00")

    invoice = await issue_to(api, merchant)

    [payment] = invoice["payments"]
    assert (payment["method"], payment["amount"]) == ("credit_balance", "31.00")
    assert (invoice["status"], invoice["amount_paid"], invoice["amount_due"]) == ("open", "31.00", "88.00")
    assert await balance(api, merchant) == "0.00"


async def test_a_balance_covering_the_whole_invoice_pays_it_at_issue(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await overpay(api, merchant, "250.00")  # 131.00 to the balance

    invoice = await issue_to(api, merchant)

    paid_by = (invoice["status"], invoice["paid_by"], invoice["amount_due"])
    assert paid_by == ("paid", "credit_balance", "0.00")
    assert [p["amount"] for p in invoice["payments"]] == ["119.00"]
    assert await balance(api, merchant) == "12.00"


async def test_the_balance_pays_the_buyers_invoices_in_the_order_they_are_issued(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await overpay(api, merchant, "269.00")  # 150.00 to the balance

    first = await issue_to(api, merchant)
    second = await issue_to(api, merchant)

    assert (first["status"], first["amount_due"]) == ("paid", "0.00")
    assert (second["status"], second["amount_paid"], second["amount_due"]) == ("open", "31.00", "88.00")
    assert await balance(api, merchant) == "0.00"


async def test_an_invoice_of_another_buyer_does_not_take_the_balance(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await overpay(api, merchant, "150.00")
    other = {"key": merchant["key"], "buyer": await create_buyer(api, merchant["key"])}

    invoice = await issue_to(api, other)

    assert (invoice["payments"], invoice["amount_due"]) == ([], "119.00")
    assert await balance(api, merchant) == "31.00"


async def test_refunding_the_balance_reduces_it(api: httpx.AsyncClient, merchant: dict[str, Any]) -> None:
    await overpay(api, merchant, "150.00")

    response = await refund(api, merchant, "10.00", "bank-transfer-1")

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["buyer_id"], body["amount"], body["currency"]) == (merchant["buyer"]["id"], "10.00", "EUR")
    assert (body["reference"], body["balance"]) == ("bank-transfer-1", "21.00")
    assert await balance(api, merchant) == "21.00"


async def test_the_same_refund_reference_twice_refunds_once(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await overpay(api, merchant, "150.00")
    first = await refund(api, merchant, "10.00", "bank-transfer-1")

    again = await refund(api, merchant, "10.00", "bank-transfer-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert await balance(api, merchant) == "21.00"


async def test_a_refund_reference_reused_for_another_amount_answers_409(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await overpay(api, merchant, "150.00")
    await refund(api, merchant, "10.00", "bank-transfer-1")

    response = await refund(api, merchant, "5.00", "bank-transfer-1")

    assert (response.status_code, error_code(response)) == (409, "reference_reused"), response.text
    assert await balance(api, merchant) == "21.00"


async def test_refunding_more_than_the_balance_answers_409_and_refunds_nothing(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await overpay(api, merchant, "150.00")

    response = await refund(api, merchant, "31.01", "too-much")

    assert (response.status_code, error_code(response)) == (409, "insufficient_balance"), response.text
    assert await balance(api, merchant) == "31.00"


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001", "ten"])
async def test_a_refund_of_an_invalid_amount_answers_422(
    api: httpx.AsyncClient, merchant: dict[str, Any], amount: str
) -> None:
    response = await refund(api, merchant, amount, "bad")

    assert (response.status_code, error_code(response)) == (422, "invalid_amount"), response.text


async def test_a_payment_made_from_the_balance_cannot_be_refunded_as_a_payment(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    await overpay(api, merchant, "150.00")
    invoice = await issue_to(api, merchant)
    [payment] = invoice["payments"]

    response = await refund_payment(api, merchant, invoice, payment["payment_id"], "1.00")

    assert (response.status_code, error_code(response)) == (422, "invalid_request"), response.text
    assert await balance(api, merchant) == "0.00"


async def test_refunding_the_overpaid_part_of_a_payment_takes_it_back_from_the_balance(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    paid = await overpay(api, merchant, "150.00")
    [payment] = paid["payments"]

    response = await refund_payment(api, merchant, paid, payment["payment_id"], "31.00")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["overpaid_amount"], body["credited_to_balance"]) == ("paid", "0.00", "0.00")
    assert await balance(api, merchant) == "0.00"


async def test_refunding_an_overpayment_the_balance_already_spent_answers_409(
    api: httpx.AsyncClient, merchant: dict[str, Any]
) -> None:
    paid = await overpay(api, merchant, "150.00")
    [payment] = paid["payments"]
    await issue_to(api, merchant)  # takes the 31.00

    response = await refund_payment(api, merchant, paid, payment["payment_id"], "31.00")

    assert (response.status_code, error_code(response)) == (409, "balance_spent"), response.text
    assert await balance(api, merchant) == "0.00"


async def test_balances_agree_with_the_ledger(api: httpx.AsyncClient, merchant: dict[str, Any]) -> None:
    await overpay(api, merchant, "269.00")  # 150.00 to the balance
    await issue_to(api, merchant)  # paid from the balance
    partly = await issue_to(api, merchant)  # 31.00 from the balance
    await post_payment(api, merchant["key"], partly["id"], amount="100.00")  # 12.00 back to it
    await refund(api, merchant, "2.00", "bank-transfer-1")

    await ledger_agrees(api, merchant["key"])

    assert await balance(api, merchant) == "10.00"
