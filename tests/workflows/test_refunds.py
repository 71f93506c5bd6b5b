"""Refunds, marking paid out of band, and the ledger check, on the real stack: a paid invoice's
workflow waits out its refund window, and a refund reopens the invoice where its ladder stands."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from temporalio.client import Client, WorkflowExecutionStatus

from tests.utils.clients import api_with
from tests.utils.factories import auth, checkout, create_buyer, create_merchant, error_code
from tests.utils.histories import record_history
from tests.utils.invariants import check_amounts
from tests.utils.waiting import eventually

# A twentieth of a second per day, for a refund window of one day.
FAST_DAY = 0.05
# A quarter of a second per day: the ladder's dates stay apart on a loaded machine.
LADDER_DAY = 0.25


ladder_api = api_with(day_seconds=LADDER_DAY)


async def _shop(api: httpx.AsyncClient, **buyer: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A merchant key, its buyer and an open invoice of 119.00 EUR."""
    key = await create_merchant(api)
    customer = await create_buyer(api, key, **buyer)
    invoice = (await checkout(api, key, customer["id"])).json()
    assert invoice["status"] == "open", invoice
    return key, customer, invoice


async def _pay(api: httpx.AsyncClient, key: str, invoice_id: str, amount: str, payment_id: str) -> dict:
    body = {"payment_id": payment_id, "amount": amount, "currency": "EUR", "method": "card"}
    response = await api.post(f"/v1/invoices/{invoice_id}/payments", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def _refund(api: httpx.AsyncClient, key: str, invoice_id: str, **body: Any) -> httpx.Response:
    return await api.post(f"/v1/invoices/{invoice_id}/refunds", json=body, headers=auth(key))


async def _exposure(api: httpx.AsyncClient, key: str, buyer_id: str) -> str:
    return (await api.get(f"/v1/buyers/{buyer_id}", headers=auth(key))).json()["credit"]["exposure"]


async def _ledger(api: httpx.AsyncClient, key: str) -> dict[str, Any]:
    response = await api.get("/v1/ledger/check", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_refund_reopens_a_paid_invoice_and_holds_the_credit_again(api: httpx.AsyncClient) -> None:
    key, buyer, invoice = await _shop(api)
    await _pay(api, key, invoice["id"], "119.00", "pay-1")
    assert await _exposure(api, key, buyer["id"]) == "0.00"

    response = await _refund(api, key, invoice["id"], payment_id="pay-1", amount="19.00", refund_id="rf-1")

    assert response.status_code == 200, response.text
    reopened = response.json()
    assert (reopened["status"], reopened["amount_due"]) == ("open", "19.00")
    assert [(r["refund_id"], r["amount"]) for r in reopened["refunds"]] == [("rf-1", "19.00")]
    assert reopened["next_reminder"] is not None
    assert await _exposure(api, key, buyer["id"]) == "19.00"


async def test_the_same_refund_id_twice_counts_once(api: httpx.AsyncClient) -> None:
    key, buyer, invoice = await _shop(api)
    await _pay(api, key, invoice["id"], "119.00", "pay-1")

    first = await _refund(api, key, invoice["id"], payment_id="pay-1", amount="10.00", refund_id="rf-1")
    again = await _refund(api, key, invoice["id"], payment_id="pay-1", amount="10.00", refund_id="rf-1")

    assert first.status_code == again.status_code == 200, again.text
    assert (again.json()["amount_paid"], len(again.json()["refunds"])) == ("109.00", 1)
    assert await _exposure(api, key, buyer["id"]) == "10.00"


async def test_a_refund_without_an_id_retried_counts_once(api: httpx.AsyncClient) -> None:
    key, _, invoice = await _shop(api)
    await _pay(api, key, invoice["id"], "119.00", "pay-1")

    await _refund(api, key, invoice["id"], payment_id="pay-1", amount="10.00")
    again = await _refund(api, key, invoice["id"], payment_id="pay-1", amount="10.00")

    assert again.status_code == 200, again.text
    assert (again.json()["amount_due"], len(again.json()["refunds"])) == ("10.00", 1)


async def test_a_refund_past_the_due_date_reopens_overdue_and_sends_no_passed_stage(
    ladder_api: httpx.AsyncClient, temporal_client: Client
) -> None:
    key, _, invoice = await _shop(ladder_api, payment_terms_days=3)
    paid = await _pay(ladder_api, key, invoice["id"], "119.00", "pay-1")
    await asyncio.sleep(12 * LADDER_DAY)  # due (day 3), overdue (4) and overdue_1 (10) pass while paid

    refunded_at = datetime.now(UTC)
    reopened = (await _refund(ladder_api, key, invoice["id"], payment_id="pay-1", amount="119.00")).json()

    assert (reopened["status"], reopened["amount_due"]) == ("overdue", "119.00")
    # A stage that fell due while it was paid is not sent now (nor is any reminder queued then).
    assert all(datetime.fromisoformat(r["sent_at"]) < refunded_at for r in reopened["reminders"])
    assert len(reopened["reminders"]) <= len(paid["reminders"]) + 1  # one may have been sending
    assert reopened["next_reminder"]["stage"] not in ("upcoming", "due", "overdue_1")
    assert datetime.fromisoformat(reopened["next_reminder"]["at"]) > refunded_at
    again = await _pay(ladder_api, key, invoice["id"], "119.00", "pay-2")
    assert (again["status"], again["amount_due"]) == ("paid", "0.00")
    await record_history(temporal_client, invoice["workflow_id"], "refunded_then_paid_again")


async def test_a_reopened_invoice_goes_on_with_its_ladder(ladder_api: httpx.AsyncClient) -> None:
    key, _, invoice = await _shop(ladder_api, payment_terms_days=3)
    await _pay(ladder_api, key, invoice["id"], "119.00", "pay-1")
    await asyncio.sleep(5 * LADDER_DAY)

    await _refund(ladder_api, key, invoice["id"], payment_id="pay-1", amount="50.00")

    async def reminded() -> bool:
        got = (await ladder_api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))).json()
        return "overdue_1" in [r["stage"] for r in got["reminders"]]

    await eventually(reminded)


async def test_a_refund_after_the_refund_window_closed_is_refused(
    api_factory: Callable[..., httpx.AsyncClient], temporal_client: Client
) -> None:
    async with api_factory(day_seconds=FAST_DAY, refund_window_days=1) as api:
        key, _, invoice = await _shop(api)
        await _pay(api, key, invoice["id"], "119.00", "pay-1")
        handle = temporal_client.get_workflow_handle(invoice["workflow_id"])

        async def completed() -> bool:
            return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED

        await eventually(completed)
        response = await _refund(api, key, invoice["id"], payment_id="pay-1", amount="1.00")

    assert (response.status_code, error_code(response)) == (409, "invoice_not_refundable"), response.text


async def test_mark_paid_records_the_invoice_paid_out_of_band(api: httpx.AsyncClient) -> None:
    key, buyer, invoice = await _shop(api)
    await _pay(api, key, invoice["id"], "19.00", "pay-1")

    response = await api.post(
        f"/v1/invoices/{invoice['id']}/mark-paid", json={"reason": "paid by cheque"}, headers=auth(key)
    )

    assert response.status_code == 200, response.text
    paid = response.json()
    assert (paid["status"], paid["amount_due"], paid["amount_paid"]) == ("paid", "0.00", "119.00")
    assert (paid["paid_by"], paid["paid_by_reason"]) == ("out_of_band", "paid by cheque")
    assert [(m["amount"], m["reason"]) for m in paid["marked_paid"]] == [("100.00", "paid by cheque")]
    assert [p["payment_id"] for p in paid["payments"]] == ["pay-1"]
    assert await _exposure(api, key, buyer["id"]) == "0.00"


async def test_what_was_marked_paid_stays_counted_after_a_refund_and_a_credit_note_settle_it(
    api: httpx.AsyncClient, temporal_client: Client
) -> None:
    """Found by the money invariants: paid in part, marked paid, the part refunded and then
    credited. The credit note settles it (paid_by), and the 109.00 marked paid stays counted
    and shown, so amount_paid still adds up from what the invoice lists."""
    key, buyer, invoice = await _shop(api)
    await _pay(api, key, invoice["id"], "10.00", "pay-1")
    url = f"/v1/invoices/{invoice['id']}"
    marked = await api.post(f"{url}/mark-paid", json={"reason": "cheque"}, headers=auth(key))
    assert (marked.status_code, marked.json()["status"]) == (200, "paid"), marked.text
    reopened = await _refund(api, key, invoice["id"], payment_id="pay-1", amount="10.00", reason="r")
    assert (reopened.json()["status"], reopened.json()["amount_due"]) == ("open", "10.00"), reopened.text

    credit = {"amount": "10.00", "reason": "cn"}
    response = await api.post(f"{url}/credit-notes", json=credit, headers=auth(key))

    assert response.status_code == 201, response.text
    paid = response.json()
    assert (paid["status"], paid["paid_by"], paid["amount_paid"]) == ("paid", "credit_note", "109.00")
    assert [(m["amount"], m["reason"]) for m in paid["marked_paid"]] == [("109.00", "cheque")]
    check_amounts(paid)
    assert await _exposure(api, key, buyer["id"]) == "0.00"
    assert (await _ledger(api, key))["differences"] == []
    await record_history(temporal_client, invoice["workflow_id"], "marked_paid_refunded_then_credited")


async def test_the_ledger_check_finds_no_difference_after_a_mixed_sequence(api: httpx.AsyncClient) -> None:
    key, buyer, invoice = await _shop(api)
    second = (await checkout(api, key, buyer["id"])).json()
    third = (await checkout(api, key, buyer["id"])).json()
    fourth = (await checkout(api, key, buyer["id"])).json()

    # Each step must take effect (a ledger with nothing in it agrees too): _pay checks its 200.
    await _pay(api, key, invoice["id"], "100.00", "pay-1")
    over = await _pay(api, key, invoice["id"], "30.00", "pay-2")  # overpaid by 11.00
    assert (over["status"], over["overpaid_amount"]) == ("paid", "11.00")
    excess = await _refund(api, key, invoice["id"], payment_id="pay-2", amount="11.00")  # the excess back
    assert excess.status_code == 200, excess.text
    await _pay(api, key, second["id"], "50.00", "pay-3")
    url = f"/v1/invoices/{second['id']}/mark-paid"
    marked = await api.post(url, json={"reason": "cash"}, headers=auth(key))
    assert (marked.status_code, marked.json()["status"]) == (200, "paid"), marked.text
    await _pay(api, key, third["id"], "119.00", "pay-4")
    refunded = await _refund(api, key, third["id"], payment_id="pay-4", amount="119.00")
    assert (refunded.status_code, refunded.json()["amount_due"]) == (200, "119.00"), refunded.text
    url = f"/v1/invoices/{third['id']}/void"
    voided = await api.post(url, json={"reason": "returned"}, headers=auth(key))
    assert (voided.status_code, voided.json()["status"]) == (200, "void"), voided.text

    check = await _ledger(api, key)

    assert check == {"consistent": True, "differences": []}
    assert await _exposure(api, key, buyer["id"]) == fourth["amount_due"] == "119.00"


async def test_the_ledger_check_reports_an_invoice_that_disagrees_with_the_ledger(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    from sqlalchemy import update

    from payinvoice.db.models import Invoice

    key, _, invoice = await _shop(api)
    await _pay(api, key, invoice["id"], "19.00", "pay-1")
    async with sessions.begin() as session:
        await session.execute(update(Invoice).where(Invoice.id == invoice["id"]).values(amount_due=1))

    check = await _ledger(api, key)

    assert check["consistent"] is False
    assert check["differences"] == [{
        "subject": "invoice", "id": invoice["id"], "field": "amount_due", "recorded": "0.01",
        "from_ledger": "100.00", "currency": "EUR",
    }]
