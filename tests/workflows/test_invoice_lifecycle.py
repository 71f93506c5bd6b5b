"""The invoice lifecycle end to end: real dev server, real database, real SMTP sink."""

import httpx
from temporalio.client import Client

from dev.mailsink import MailSink
from tests.utils.clients import api_with
from tests.utils.factories import auth, checkout, create_buyer, create_merchant
from tests.utils.histories import record_history
from tests.utils.waiting import (
    eventually,
    invoice_reaches,
    late_duplicates_arrive,
    mails_arrive,
    mails_to,
    reminders_sent,
)

# A day of a twentieth of a second: net 3 plus the whole 45-day ladder takes under 3 s.
FAST_DAY = 0.05


fast_api = api_with(day_seconds=FAST_DAY)


async def pay(
    api: httpx.AsyncClient, key: str, invoice_id: str, amount: str, payment_id: str
) -> httpx.Response:
    body = {"payment_id": payment_id, "amount": amount, "currency": "EUR", "method": "bank_transfer"}
    return await api.post(f"/v1/invoices/{invoice_id}/payments", json=body, headers=auth(key))


async def buyer_credit(api: httpx.AsyncClient, key: str, buyer_id: str) -> dict[str, str]:
    return (await api.get(f"/v1/buyers/{buyer_id}", headers=auth(key))).json()["credit"]


async def test_whole_ladder_is_sent_in_order_exactly_once_then_invoice_is_uncollectible(
    fast_api: httpx.AsyncClient, mail: MailSink, temporal_client: Client
) -> None:
    key = await create_merchant(fast_api)
    buyer = await create_buyer(fast_api, key, payment_terms_days=3)
    invoice = (await checkout(fast_api, key, buyer["id"])).json()

    final = await invoice_reaches(fast_api, key, invoice["id"], "uncollectible")
    await late_duplicates_arrive(FAST_DAY)

    stages = ["upcoming", "due", "overdue_1", "overdue_2", "final_notice"]
    assert [r["stage"] for r in await reminders_sent(fast_api, key, invoice["id"], 5)] == stages
    assert final["next_reminder"] is None
    received = mails_to(mail, buyer["email"])
    assert [m["X-Payinvoice-Kind"] for m in received] == ["invoice"] + ["reminder"] * 5
    assert [m["X-Reminder-Stage"] for m in received[1:]] == stages
    assert len({m["Message-ID"] for m in received}) == 6
    await record_history(temporal_client, invoice["workflow_id"], "full_ladder_mailed_off_lifecycle")


async def test_final_notice_suspends_the_buyer_and_payment_reinstates_it(
    fast_api: httpx.AsyncClient, mail: MailSink, temporal_client: Client
) -> None:
    key = await create_merchant(fast_api)
    buyer = await create_buyer(fast_api, key, payment_terms_days=3)
    invoice = (await checkout(fast_api, key, buyer["id"])).json()
    await invoice_reaches(fast_api, key, invoice["id"], "uncollectible")
    assert (await buyer_credit(fast_api, key, buyer["id"]))["status"] == "suspended"

    paid = await pay(fast_api, key, invoice["id"], "119.00", "pay-late")

    assert paid.json()["status"] == "paid"

    async def reinstated() -> bool:
        return (await buyer_credit(fast_api, key, buyer["id"]))["status"] == "active"

    await eventually(reinstated)
    receipt = await mails_arrive(mail, buyer["email"], 7)
    assert receipt[-1]["X-Payinvoice-Kind"] == "receipt"
    await record_history(temporal_client, invoice["workflow_id"], "full_ladder_then_paid_on_notice_queue")


async def test_invoice_turns_overdue_once_its_due_date_has_passed(fast_api: httpx.AsyncClient) -> None:
    key = await create_merchant(fast_api)
    buyer = await create_buyer(fast_api, key, payment_terms_days=10)
    invoice = (await checkout(fast_api, key, buyer["id"])).json()
    assert invoice["status"] == "open"

    await invoice_reaches(fast_api, key, invoice["id"], "overdue")

    reminded = await reminders_sent(fast_api, key, invoice["id"], 2)
    assert [r["stage"] for r in reminded][:2] == ["upcoming", "due"]


async def test_a_stage_already_past_at_issue_is_skipped(fast_api: httpx.AsyncClient) -> None:
    key = await create_merchant(fast_api)
    buyer = await create_buyer(fast_api, key, payment_terms_days=0)
    invoice = (await checkout(fast_api, key, buyer["id"])).json()

    assert invoice["next_reminder"]["stage"] != "upcoming"
    await invoice_reaches(fast_api, key, invoice["id"], "overdue")
    reminded = await reminders_sent(fast_api, key, invoice["id"], 1)
    assert reminded[0]["stage"] == "due"


async def test_partial_then_full_payment_completes_the_invoice_and_restores_credit(
    api: httpx.AsyncClient, mail: MailSink, temporal_client: Client
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    assert (await buyer_credit(api, key, buyer["id"]))["exposure"] == "119.00"

    partial = (await pay(api, key, invoice["id"], "19.00", "pay-1")).json()

    assert (partial["status"], partial["amount_paid"], partial["amount_due"]) == ("open", "19.00", "100.00")
    assert (await buyer_credit(api, key, buyer["id"]))["exposure"] == "100.00"

    full = (await pay(api, key, invoice["id"], "100.00", "pay-2")).json()

    assert (full["status"], full["amount_due"], full["next_reminder"]) == ("paid", "0.00", None)
    assert [p["payment_id"] for p in full["payments"]] == ["pay-1", "pay-2"]
    assert await buyer_credit(api, key, buyer["id"]) == {
        "limit": "1000.00", "exposure": "0.00", "available": "1000.00", "status": "active",
    }
    received = await mails_arrive(mail, buyer["email"], 2)
    assert [m["X-Payinvoice-Kind"] for m in received] == ["invoice", "receipt"]
    await invoice_reaches(api, key, invoice["id"], "paid")
    await record_history(temporal_client, invoice["workflow_id"], "paid_in_two_parts")


async def test_the_same_payment_id_twice_counts_once(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()

    first = await pay(api, key, invoice["id"], "50.00", "pay-dup")
    again = await pay(api, key, invoice["id"], "50.00", "pay-dup")

    assert first.status_code == again.status_code == 200
    assert again.json()["amount_paid"] == "50.00"
    assert len(again.json()["payments"]) == 1


async def test_a_repeated_payment_after_completion_answers_200_and_a_new_one_409(
    api: httpx.AsyncClient, temporal_client: Client
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    await pay(api, key, invoice["id"], "119.00", "pay-all")
    await invoice_reaches(api, key, invoice["id"], "paid")

    repeat = await pay(api, key, invoice["id"], "119.00", "pay-all")
    another = await pay(api, key, invoice["id"], "5.00", "pay-more")

    assert repeat.status_code == 200
    assert repeat.json()["amount_paid"] == "119.00"
    assert another.status_code == 409
    assert another.json()["error"]["code"] == "invoice_not_payable"
    await record_history(temporal_client, invoice["workflow_id"], "paid_numbered_at_approval")


async def test_overpayment_is_kept_as_overpaid_amount(
    api: httpx.AsyncClient, temporal_client: Client
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()

    paid = (await pay(api, key, invoice["id"], "150.00", "pay-over")).json()

    assert (paid["status"], paid["amount_due"], paid["overpaid_amount"]) == ("paid", "0.00", "31.00")
    assert (await buyer_credit(api, key, buyer["id"]))["exposure"] == "0.00"
    await record_history(temporal_client, invoice["workflow_id"], "overpaid")


async def test_void_releases_the_credit_and_tells_the_buyer(
    api: httpx.AsyncClient, mail: MailSink, temporal_client: Client
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()

    voided = await api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "order cancelled"},
                            headers=auth(key))

    assert voided.status_code == 200
    assert voided.json()["status"] == "void"
    assert (await buyer_credit(api, key, buyer["id"]))["exposure"] == "0.00"
    received = await mails_arrive(mail, buyer["email"], 2)
    assert received[-1]["X-Payinvoice-Kind"] == "void"
    late = await pay(api, key, invoice["id"], "119.00", "pay-void")
    assert late.status_code == 409
    await record_history(temporal_client, invoice["workflow_id"], "voided")


async def test_an_invoice_with_payments_cannot_be_voided(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    await pay(api, key, invoice["id"], "10.00", "pay-some")

    voided = await api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "x"}, headers=auth(key))

    assert voided.status_code == 409
    assert voided.json()["error"]["code"] == "invoice_has_payments"


async def test_an_address_the_mail_server_rejects_for_good_is_recorded_on_the_invoice(
    api: httpx.AsyncClient, mail: MailSink
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, email="nobody@bounce.invalid")
    invoice = (await checkout(api, key, buyer["id"])).json()

    async def failure_recorded() -> list | None:
        got = (await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))).json()
        return got["email_failures"]

    failures = await eventually(failure_recorded)
    assert failures[0]["kind"] == "invoice"
    assert failures[0]["error"].startswith("550")
