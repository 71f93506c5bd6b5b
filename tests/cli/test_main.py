"""The operator CLI against the real database and Temporal: the same keys and invoices as the API."""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cli.main import run
from dev.mailsink import MailSink
from payinvoice.settings import Settings
from tests.utils.camt053 import Entry, camt053
from tests.utils.factories import auth, checkout, create_buyer, create_merchant
from tests.utils.histories import record_history
from tests.utils.waiting import eventually, mails_arrive, mails_to
from tests.utils.webhook_receiver import Received, WebhookReceiver


@pytest.fixture
def cli_settings(settings_factory: Callable[..., Settings], temporal_env: WorkflowEnvironment) -> Settings:
    return settings_factory(temporal_address=temporal_env.client.service_client.config.target_host)


async def test_create_merchant_prints_a_key_the_api_accepts(
    api: httpx.AsyncClient, cli_settings: Settings
) -> None:
    command = ["create-merchant", "Cli Widgets", "--email", "ops@cli.example"]

    status, merchant = await run(command, cli_settings)

    assert status == 0 and merchant["name"] == "Cli Widgets"
    assert (await api.get("/v1/invoices", headers=auth(merchant["api_key"]))).status_code == 200


async def test_create_key_makes_a_processor_key_with_its_secret(cli_settings: Settings) -> None:
    _, merchant = await run(["create-merchant", "Cli Widgets"], cli_settings)

    status, key = await run(["create-key", merchant["id"], "processor"], cli_settings)

    assert status == 0 and key["role"] == "processor"
    assert key["key"].startswith("pi_") and key["signing_secret"].startswith("pss_")


async def test_create_key_for_an_unknown_merchant_is_refused(cli_settings: Settings) -> None:
    status, output = await run(["create-key", "no-such-merchant", "support"], cli_settings)

    assert status == 2 and "no merchant" in output["error"]


async def test_show_invoice_gives_the_invoice_and_its_history(
    api: httpx.AsyncClient, cli_settings: Settings
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()

    status, shown = await run(["show-invoice", invoice["id"]], cli_settings)

    assert status == 0
    assert shown["invoice"]["number"] == invoice["number"]
    events = [line["event"] for line in shown["history"]]
    assert events[0] == "workflow_execution_started"
    assert "workflow_execution_update_accepted" in events
    assert any(line.get("activity") == "send_email" for line in shown["history"])
    assert {"activity": "send_email", "summary": "send_invoice"}.items() <= next(
        line for line in shown["history"] if line.get("activity") == "send_email"
    ).items()


async def test_show_invoice_of_an_unknown_id_is_refused(cli_settings: Settings) -> None:
    status, output = await run(["show-invoice", "no-such-invoice"], cli_settings)

    assert status == 2 and "no invoice" in output["error"]


async def test_reconcile_settles_the_invoice_a_statement_names(
    api: httpx.AsyncClient, cli_settings: Settings, tmp_path: Path
) -> None:
    _, merchant = await run(["create-merchant", "Cli Widgets"], cli_settings)
    buyer = await create_buyer(api, merchant["api_key"])
    invoice = (await checkout(api, merchant["api_key"], buyer["id"])).json()
    statement = tmp_path / "statement.xml"
    statement.write_bytes(camt053([Entry(amount="119.00", reference=invoice["payment_reference"])]))

    status, imported = await run(["reconcile", merchant["id"], str(statement)], cli_settings)

    assert status == 0 and imported["counts"]["matched"] == 1
    paid = await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(merchant["api_key"]))
    assert paid.json()["status"] == "paid"


async def test_reconcile_refuses_a_file_that_is_not_a_statement(
    cli_settings: Settings, tmp_path: Path
) -> None:
    _, merchant = await run(["create-merchant", "Cli Widgets"], cli_settings)
    junk = tmp_path / "junk.xml"
    junk.write_bytes(b"<not-a-statement/>")

    status, output = await run(["reconcile", merchant["id"], str(junk)], cli_settings)

    assert status == 2 and output["error"].startswith("invalid_statement")


async def test_check_ledger_finds_no_difference_for_a_merchant_with_payments(
    api: httpx.AsyncClient, cli_settings: Settings
) -> None:
    _, merchant = await run(["create-merchant", "Cli Widgets"], cli_settings)
    key = merchant["api_key"]
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    body = {"payment_id": "pay-1", "amount": "19.00", "currency": "EUR"}
    paid = await api.post(f"/v1/invoices/{invoice['id']}/payments", json=body, headers=auth(key))
    # The payment was applied first: a merchant with nothing in its ledger would agree too.
    assert paid.status_code == 200, paid.text
    assert (paid.json()["amount_paid"], paid.json()["amount_due"]) == ("19.00", "100.00")

    status, check = await run(["check-ledger", merchant["id"]], cli_settings)

    assert status == 0
    assert check == {"consistent": True, "merchants": 1, "differences": []}


async def test_check_ledger_of_an_unknown_merchant_is_refused(cli_settings: Settings) -> None:
    status, output = await run(["check-ledger", "no-such-merchant"], cli_settings)

    assert status == 2 and "no merchant" in output["error"]


async def test_retry_webhook_sends_a_delivery_again_with_the_same_webhook_id(
    api: httpx.AsyncClient, cli_settings: Settings
) -> None:
    key = await create_merchant(api)
    with WebhookReceiver() as receiver:
        created = await api.post(
            "/v1/webhook-endpoints", json={"url": receiver.url, "events": ["invoice.created"]},
            headers=auth(key),
        )
        await checkout(api, key, (await create_buyer(api, key))["id"])
        first = await eventually(lambda: _arrived(receiver, 1))
        listed = await api.get(f"/v1/webhook-endpoints/{created.json()['id']}/deliveries", headers=auth(key))
        [delivery] = listed.json()["data"]

        status, output = await run(["retry-webhook", delivery["id"]], cli_settings)
        both = await eventually(lambda: _arrived(receiver, 2))

    assert status == 0 and output["queued"] is True
    assert [r.webhook_id for r in both] == [first[0].webhook_id] * 2 == [delivery["id"]] * 2


async def test_retry_webhook_of_an_unknown_delivery_is_refused(cli_settings: Settings) -> None:
    status, output = await run(["retry-webhook", "msg_nothing"], cli_settings)

    assert status == 2 and "no webhook delivery" in output["error"]


async def _arrived(receiver: WebhookReceiver, count: int) -> list[Received] | None:
    received = receiver.received()
    return received if len(received) >= count else None


async def test_resend_reminder_sends_a_sent_reminder_again_as_a_new_message(
    api_factory: Callable[..., httpx.AsyncClient], cli_settings: Settings, mail: MailSink,
    temporal_client: Client,
) -> None:
    async with api_factory(day_seconds=0.05) as fast:
        key = await create_merchant(fast)
        buyer = await create_buyer(fast, key, payment_terms_days=30)
        invoice = (await checkout(fast, key, buyer["id"])).json()
        received = await mails_arrive(mail, buyer["email"], 2)  # the invoice, then `upcoming`
        upcoming = next(m for m in received if m["X-Reminder-Stage"] == "upcoming")

        async def recorded() -> bool:
            """The email reaches the sink before the workflow records it as sent."""
            live = (await fast.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))).json()
            return any(r["stage"] == "upcoming" for r in live["reminders"])

        await eventually(recorded)

        status, resent = await run(["resend-reminder", invoice["id"], "upcoming"], cli_settings)
        refused, output = await run(["resend-reminder", invoice["id"], "no_such_stage"], cli_settings)

    assert status == 0, resent
    assert [r["stage"] for r in resent["resent_reminders"]] == ["upcoming"]
    again = [m for m in mails_to(mail, buyer["email"]) if "resend1" in m["Message-ID"]]
    assert [m["X-Reminder-Stage"] for m in again] == ["upcoming"]
    assert again[0]["Message-ID"] != upcoming["Message-ID"]
    assert refused == 2 and "was not sent" in output["error"]
    await record_history(temporal_client, invoice["workflow_id"], "reminder_resent")
