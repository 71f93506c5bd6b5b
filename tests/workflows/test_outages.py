"""What happens when a part is away: a slow decision, an SMTP server that is down, a worker
that stops, a queue nobody serves."""

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from dev.mailsink import MailSink, start_mail_sink
from dev.ports import free_port
from payinvoice.settings import Settings
from tests.utils.factories import auth, checkout, create_buyer, create_merchant, error_code, post_payment
from tests.utils.histories import record_history
from tests.utils.waiting import (
    eventually,
    invoice_reaches,
    late_duplicates_arrive,
    mails_arrive,
    mails_to,
    reminders_sent,
)
from worker import Workers, build_worker


@dataclass
class OwnQueue:
    """A task queue of the test's own, whose workers the test starts and stops itself."""

    client: Client
    sessions: async_sessionmaker[AsyncSession]
    settings_factory: Callable[..., Settings]
    api_factory: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
    name: str = field(default_factory=lambda: f"own-{uuid.uuid4()}")

    def worker(self, **settings: Any) -> Workers:
        return build_worker(
            self.client, self.settings_factory(temporal_task_queue=self.name, **settings), self.sessions
        )

    def api(self, **settings: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return self.api_factory(temporal_task_queue=self.name, **settings)


@pytest.fixture
def own_queue(
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings],
    api_factory: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
) -> OwnQueue:
    return OwnQueue(temporal_client, sessions, settings_factory, api_factory)


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


async def test_a_checkout_that_answered_202_reads_as_pending_while_no_worker_decides_it(
    own_queue: OwnQueue,
) -> None:
    """Found under load: with no row saved yet, reading the invoice asked its busy worker, timed
    out and answered 404 for an invoice the API had just accepted."""
    async with own_queue.api(decision_timeout_seconds=0.5) as api:  # nobody serves the queue
        key = await create_merchant(api)
        buyer = await create_buyer(api, key)
        accepted = await checkout(api, key, buyer["id"])
        assert accepted.status_code == 202, accepted.text

        url = f"/v1/invoices/{accepted.json()['id']}"
        response = await api.get(url, headers=auth(key))
        elsewhere = await api.get(url, headers=auth(await create_merchant(api)))

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["total"]) == ("pending", accepted.json()["total"])
    assert (elsewhere.status_code, error_code(elsewhere)) == (404, "invoice_not_found")


async def test_an_smtp_server_that_is_down_delays_the_invoice_email_but_never_drops_it(
    own_queue: OwnQueue,
) -> None:
    port = free_port()  # nothing listens here yet
    async with own_queue.worker(smtp_port=port), own_queue.api() as api:
        key = await create_merchant(api)
        buyer = await create_buyer(api, key)
        invoice = (await checkout(api, key, buyer["id"])).json()
        assert invoice["status"] == "open"
        handle = own_queue.client.get_workflow_handle(invoice["workflow_id"])

        async def failed_send() -> list[str]:
            """The invoice email's attempts that failed so far (connection refused), as Temporal
            keeps them on the pending activity: the retry below must follow a real failure."""
            description = (await handle.describe()).raw_description
            return [
                activity.last_failure.message
                for activity in description.pending_activities
                if activity.activity_type.name == "send_email" and activity.attempt >= 2
                and activity.last_failure.message
            ]

        assert await eventually(failed_send, within=15)

        sink = MailSink()
        controller = start_mail_sink(sink, port=port)
        try:
            received = await mails_arrive(sink, buyer["email"], 1, within=30)
        finally:
            controller.stop()

    assert received[0]["X-Payinvoice-Kind"] == "invoice"


async def test_invoice_emails_waiting_on_their_queue_hold_up_no_reminder_and_no_receipt(
    own_queue: OwnQueue, mail: MailSink
) -> None:
    day = 0.2  # net 10: the first reminder 1.4 s after issue
    async with own_queue.api(day_seconds=day) as api, own_queue.worker(
        day_seconds=day, worker_queues="invoices,notices"
    ):
        key = await create_merchant(api)
        earlier, later = [await create_buyer(api, key, payment_terms_days=10) for _ in range(2)]
        async with own_queue.worker(day_seconds=day, worker_queues="mail"):
            invoice = (await checkout(api, key, earlier["id"])).json()
            # The invoice email and then a reminder: the email's activity has completed. (One
            # still running when its worker stops is cancelled, and retried on the mail queue.)
            await mails_arrive(mail, earlier["email"], 2)
        # Nobody serves the mail queue now: the next invoice email waits, as behind a backlog.
        await checkout(api, key, later["id"])
        await mails_arrive(mail, earlier["email"], 3)  # another reminder
        assert (await post_payment(api, key, invoice["id"])).json()["status"] == "paid"

        async def receipt() -> bool:
            return "receipt" in [m["X-Payinvoice-Kind"] for m in mails_to(mail, earlier["email"])]

        await eventually(receipt)
        assert mails_to(mail, later["email"]) == []
        async with own_queue.worker(day_seconds=day, worker_queues="mail"):
            waited = await mails_arrive(mail, later["email"], 1)

    kinds = [m["X-Payinvoice-Kind"] for m in waited]  # its reminders may follow at once
    assert kinds[0] == "invoice" and kinds.count("invoice") == 1


async def test_a_worker_that_goes_away_mid_ladder_loses_no_reminder_and_sends_none_twice(
    own_queue: OwnQueue, mail: MailSink
) -> None:
    async with own_queue.api(day_seconds=0.05) as api:
        async with own_queue.worker(day_seconds=0.05):
            key = await create_merchant(api)
            buyer = await create_buyer(api, key, payment_terms_days=3)
            invoice = (await checkout(api, key, buyer["id"])).json()
            await mails_arrive(mail, buyer["email"], 2)  # the invoice and the first reminder
        await asyncio.sleep(1.0)  # stages fall due while no worker runs

        async with own_queue.worker(day_seconds=0.05):
            await invoice_reaches(api, key, invoice["id"], "uncollectible")
            reminded = await reminders_sent(api, key, invoice["id"], 5)
            await late_duplicates_arrive(0.05)  # with the worker that would send one

    stages = [r["stage"] for r in reminded]
    assert stages == ["upcoming", "due", "overdue_1", "overdue_2", "final_notice"]
    received = mails_to(mail, buyer["email"])
    assert [m["X-Reminder-Stage"] for m in received[1:]] == stages


async def test_a_payment_while_no_worker_runs_is_accepted_durably_and_applied_when_one_returns(
    own_queue: OwnQueue,
) -> None:
    async with own_queue.api(message_timeout_seconds=1.0) as api:
        async with own_queue.worker():
            key = await create_merchant(api)
            buyer = await create_buyer(api, key)
            invoice = (await checkout(api, key, buyer["id"])).json()

        accepted = await post_payment(api, key, invoice["id"], payment_id="psp-durable")
        again = await post_payment(api, key, invoice["id"], payment_id="psp-durable")

        assert accepted.status_code == again.status_code == 202
        assert accepted.json()["status"] == "open"  # the invoice as it stands
        async with own_queue.worker():
            paid = await invoice_reaches(api, key, invoice["id"], "paid")

            async def released() -> bool:
                buyer_after = (await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(key))).json()
                return buyer_after["credit"]["exposure"] == "0.00"

            assert await eventually(released)

    assert [p["payment_id"] for p in paid["payments"]] == ["psp-durable"]
    assert paid["amount_paid"] == "119.00"
    await record_history(own_queue.client, invoice["workflow_id"], "paid_by_payment_reported_signal")
