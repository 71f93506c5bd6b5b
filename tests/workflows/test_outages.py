"""What happens when a part is away: a slow decision, an SMTP server that is down."""

import asyncio
import uuid
from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from payinvoice.mailsink import MailSink, start_mail_sink
from payinvoice.ports import free_port
from payinvoice.settings import Settings
from tests.utils.factories import auth, checkout, create_buyer, create_merchant, post_payment
from tests.utils.waiting import eventually, invoice_reaches, mails_arrive, mails_to
from worker import build_worker


async def test_a_decision_slower_than_the_timeout_answers_202_pending_and_completes_later(
    api_factory: Callable[..., httpx.AsyncClient],
) -> None:
    async with api_factory(decision_timeout_seconds=0.001) as api:
        key = await create_merchant(api)
        buyer = await create_buyer(api, key)

        response = await checkout(api, key, buyer["id"])

        assert response.status_code == 202
        assert response.json()["status"] == "pending"
        assert response.json()["number"] is None
        await invoice_reaches(api, key, response.json()["id"], "open")


async def test_an_smtp_server_that_is_down_delays_the_invoice_email_but_never_drops_it(
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings],
    api_factory: Callable[..., httpx.AsyncClient],
) -> None:
    port = free_port()  # nothing listens here yet
    queue = f"outage-{uuid.uuid4()}"
    settings = settings_factory(temporal_task_queue=queue, smtp_port=port)
    async with build_worker(temporal_client, settings, sessions), api_factory(
        temporal_task_queue=queue
    ) as api:
        key = await create_merchant(api)
        buyer = await create_buyer(api, key)
        assert (await checkout(api, key, buyer["id"])).json()["status"] == "open"
        await asyncio.sleep(1.5)  # the first attempts fail: connection refused

        sink = MailSink()
        controller = start_mail_sink(sink, port=port)
        try:
            received = await mails_arrive(sink, buyer["email"], 1, within=30)
        finally:
            controller.stop()

    assert received[0]["X-Payinvoice-Kind"] == "invoice"


async def test_a_worker_that_goes_away_mid_ladder_loses_no_reminder_and_sends_none_twice(
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings],
    api_factory: Callable[..., httpx.AsyncClient],
    mail: MailSink,
) -> None:
    queue = f"restart-{uuid.uuid4()}"
    settings = settings_factory(temporal_task_queue=queue, day_seconds=0.05)
    async with api_factory(temporal_task_queue=queue, day_seconds=0.05) as api:
        async with build_worker(temporal_client, settings, sessions):
            key = await create_merchant(api)
            buyer = await create_buyer(api, key, payment_terms_days=3)
            invoice = (await checkout(api, key, buyer["id"])).json()
            await mails_arrive(mail, buyer["email"], 2)  # the invoice and the first reminder
        await asyncio.sleep(1.0)  # stages fall due while no worker runs

        async with build_worker(temporal_client, settings, sessions):
            final = await invoice_reaches(api, key, invoice["id"], "uncollectible")

    stages = [r["stage"] for r in final["reminders"]]
    assert stages == ["upcoming", "due", "overdue_1", "overdue_2", "final_notice"]
    received = mails_to(mail, buyer["email"])
    assert [m["X-Reminder-Stage"] for m in received[1:]] == stages


async def test_a_payment_while_no_worker_runs_is_accepted_durably_and_applied_when_one_returns(
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings],
    api_factory: Callable[..., httpx.AsyncClient],
) -> None:
    queue = f"no-worker-{uuid.uuid4()}"
    settings = settings_factory(temporal_task_queue=queue)
    async with api_factory(temporal_task_queue=queue, message_timeout_seconds=1.0) as api:
        async with build_worker(temporal_client, settings, sessions):
            key = await create_merchant(api)
            buyer = await create_buyer(api, key)
            invoice = (await checkout(api, key, buyer["id"])).json()

        accepted = await post_payment(api, key, invoice["id"], payment_id="psp-durable")
        again = await post_payment(api, key, invoice["id"], payment_id="psp-durable")

        assert accepted.status_code == again.status_code == 202
        assert accepted.json()["status"] == "open"  # the invoice as it stands
        async with build_worker(temporal_client, settings, sessions):
            paid = await invoice_reaches(api, key, invoice["id"], "paid")

            async def released() -> bool:
                buyer_after = (await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(key))).json()
                return buyer_after["credit"]["exposure"] == "0.00"

            assert await eventually(released)

    assert [p["payment_id"] for p in paid["payments"]] == ["psp-durable"]
    assert paid["amount_paid"] == "119.00"
