"""Credit notes end to end: `POST /v1/invoices/{id}/credit-notes` reduces what is due with a
numbered credit note (CN-000001, CN-000002, … gapless per merchant), emailed to the buyer with
its PDF; credited to zero the invoice is paid; on a paid invoice the credit goes to the buyer's
balance. Real dev server, database and SMTP sink.

The default checkout is 2 x 50.00 + 19 % VAT = 119.00 EUR."""

from typing import Any

import httpx
import pytest
from temporalio.client import Client

from dev.mailsink import MailSink
from tests.utils.factories import (
    auth,
    create_account,
    create_buyer,
    create_merchant,
    error_code,
    issue_to,
    post_payment,
)
from tests.utils.histories import record_history
from tests.utils.invariants import ledger_agrees
from tests.utils.pdf import pdf_text
from tests.utils.waiting import eventually, mails_to

REASON = "2 widgets returned damaged"
ONE_WIDGET = {"description": "Widget", "quantity": "1", "unit_price": "50.00", "tax_rate": "19"}


@pytest.fixture
async def merchant(api: httpx.AsyncClient) -> dict[str, Any]:
    return await create_account(api)


@pytest.fixture
async def invoice(api: httpx.AsyncClient, merchant: dict[str, Any]) -> dict[str, Any]:
    """An open invoice of 119.00 EUR."""
    return await issue_to(api, merchant)


async def credit(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any], **body: Any
) -> httpx.Response:
    body = {"reason": REASON} | body
    url = f"/v1/invoices/{invoice['id']}/credit-notes"
    return await api.post(url, json=body, headers=auth(merchant["key"]))


async def credited(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any], **body: Any
) -> dict[str, Any]:
    response = await credit(api, merchant, invoice, **body)
    assert response.status_code == 201, response.text
    return response.json()


async def balance_of(api: httpx.AsyncClient, merchant: dict[str, Any]) -> str:
    response = await api.get(f"/v1/buyers/{merchant['buyer']['id']}", headers=auth(merchant["key"]))
    assert response.status_code == 200, response.text
    return response.json()["balance"]


async def test_a_partial_credit_note_reduces_the_amount_due(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]
) -> None:
    body = await credited(api, merchant, invoice, amount="19.00")

    assert (body["status"], body["total"], body["charged"], body["amount_due"]) == (
        "open", "119.00", "100.00", "100.00",
    )
    [note] = body["credit_notes"]
    assert (note["number"], note["amount"], note["reason"]) == ("CN-000001", "19.00", REASON)


async def test_credit_notes_are_numbered_gapless_per_merchant(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]
) -> None:
    other_invoice = await issue_to(api, merchant)
    other_merchant = {"key": await create_merchant(api, "Gadgets AG")}
    other_merchant["buyer"] = await create_buyer(api, other_merchant["key"])

    first = await credited(api, merchant, invoice, amount="1.00")
    elsewhere = await credited(api, other_merchant, await issue_to(api, other_merchant), amount="1.00")
    second = await credited(api, merchant, other_invoice, amount="2.00")
    third = await credited(api, merchant, invoice, amount="3.00")

    assert [n["number"] for n in first["credit_notes"]] == ["CN-000001"]
    assert [n["number"] for n in elsewhere["credit_notes"]] == ["CN-000001"]
    assert [n["number"] for n in second["credit_notes"]] == ["CN-000002"]
    assert [n["number"] for n in third["credit_notes"]] == ["CN-000001", "CN-000003"]


async def test_a_credit_note_is_emailed_to_the_buyer_with_its_pdf(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any], mail: MailSink
) -> None:
    await credited(api, merchant, invoice, amount="19.00")

    async def arrived() -> list[Any]:
        received = mails_to(mail, merchant["buyer"]["email"])
        return [m for m in received if m["X-Payinvoice-Kind"] == "credit_note"]

    [message] = await eventually(arrived)
    assert message["Subject"] == f"Credit note CN-000001 for invoice {invoice['number']}"
    assert message["X-Credit-Note-Number"] == "CN-000001"
    [attachment] = list(message.iter_attachments())
    assert (attachment.get_content_type(), attachment.get_filename()) == ("application/pdf", "CN-000001.pdf")
    text = pdf_text(attachment.get_content())
    assert "CN-000001" in text and invoice["number"] in text and "19.00" in text


async def test_crediting_the_whole_amount_due_pays_the_invoice_by_credit_note(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]
) -> None:
    body = await credited(api, merchant, invoice, amount="119.00", reason="order cancelled")

    paid_by = (body["status"], body["paid_by"], body["paid_by_reason"])
    assert paid_by == ("paid", "credit_note", "order cancelled")
    assert (body["amount_paid"], body["amount_due"], body["charged"]) == ("0.00", "0.00", "0.00")


async def test_crediting_what_a_partial_payment_left_due_pays_the_invoice(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any], temporal_client: Client
) -> None:
    await post_payment(api, merchant["key"], invoice["id"], amount="100.00")

    body = await credited(api, merchant, invoice, amount="19.00")

    assert (body["status"], body["paid_by"], body["amount_due"]) == ("paid", "credit_note", "0.00")
    await record_history(temporal_client, invoice["workflow_id"], "paid_by_credit_note")


async def test_a_credit_note_on_a_paid_invoice_goes_to_the_buyers_balance(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]
) -> None:
    await post_payment(api, merchant["key"], invoice["id"])

    body = await credited(api, merchant, invoice, amount="19.00")

    assert (body["status"], body["amount_due"], body["overpaid_amount"], body["credited_to_balance"]) == (
        "paid", "0.00", "19.00", "19.00",
    )
    assert await balance_of(api, merchant) == "19.00"


async def test_the_same_credit_note_id_twice_credits_once(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]
) -> None:
    first = await credit(api, merchant, invoice, amount="19.00", credit_note_id="rma-7")

    again = await credit(api, merchant, invoice, amount="19.00", credit_note_id="rma-7")

    assert (first.status_code, again.status_code) == (201, 200)
    assert [n["number"] for n in again.json()["credit_notes"]] == ["CN-000001"]
    assert again.json()["amount_due"] == "100.00"


async def test_the_same_request_without_an_id_twice_credits_once(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]
) -> None:
    first = await credit(api, merchant, invoice, amount="19.00")

    again = await credit(api, merchant, invoice, amount="19.00")

    assert (first.status_code, again.status_code) == (201, 200)
    assert len(again.json()["credit_notes"]) == 1


async def test_a_credit_note_of_lines_credits_their_total_priced_as_at_checkout(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]
) -> None:
    body = await credited(api, merchant, invoice, lines=[ONE_WIDGET])

    [note] = body["credit_notes"]
    assert note["amount"] == "59.50"
    [line] = note["lines"]
    assert (line["description"], line["line_total"], line["tax_amount"]) == ("Widget", "50.00", "9.50")
    assert body["amount_due"] == "59.50"


async def test_credit_notes_agree_with_the_ledger(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]
) -> None:
    # Each money action took effect first: a ledger with nothing in it would agree too.
    open_note = await credited(api, merchant, invoice, amount="19.00")
    assert [n["amount"] for n in open_note["credit_notes"]] == ["19.00"]
    assert open_note["amount_due"] == "100.00"
    paid = await issue_to(api, merchant)
    payment = await post_payment(api, merchant["key"], paid["id"])
    assert (payment.status_code, payment.json()["status"]) == (200, "paid"), payment.text
    paid_note = await credited(api, merchant, paid, amount="9.00")
    assert [n["amount"] for n in paid_note["credit_notes"]] == ["9.00"]
    assert paid_note["amount_paid"] == "119.00"

    await ledger_agrees(api, merchant["key"])


async def test_crediting_more_than_the_invoice_charges_answers_422(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]
) -> None:
    await credited(api, merchant, invoice, amount="100.00")

    response = await credit(api, merchant, invoice, amount="19.01")

    assert (response.status_code, error_code(response)) == (422, "credit_exceeds_charged"), response.text
    current = await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(merchant["key"]))
    assert current.json()["amount_due"] == "19.00"


async def test_crediting_a_void_invoice_answers_409(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any]
) -> None:
    voided = await api.post(
        f"/v1/invoices/{invoice['id']}/void", json={"reason": "wrong order"}, headers=auth(merchant["key"])
    )
    assert voided.status_code == 200, voided.text

    response = await credit(api, merchant, invoice, amount="1.00")

    assert (response.status_code, error_code(response)) == (409, "invoice_not_creditable"), response.text


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00", "1.001", "ten"])
async def test_a_credit_note_of_an_invalid_amount_answers_422(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any], amount: str
) -> None:
    response = await credit(api, merchant, invoice, amount=amount)

    assert (response.status_code, error_code(response)) == (422, "invalid_amount"), response.text


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "x"},
        {"reason": "x", "amount": "1.00", "lines": [ONE_WIDGET]},
        {"amount": "1.00"},
        {"reason": "", "amount": "1.00"},
    ],
    ids=["neither_amount_nor_lines", "both_amount_and_lines", "no_reason", "empty_reason"],
)
async def test_a_credit_note_needs_a_reason_and_either_an_amount_or_lines(
    api: httpx.AsyncClient, merchant: dict[str, Any], invoice: dict[str, Any], body: dict[str, Any]
) -> None:
    url = f"/v1/invoices/{invoice['id']}/credit-notes"
    response = await api.post(url, json=body, headers=auth(merchant["key"]))

    assert (response.status_code, error_code(response)) == (422, "invalid_request"), response.text
