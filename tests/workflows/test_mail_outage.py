"""The lifecycle never waits on email (workflows/mail.py): with the mail server down for days, an
invoice turns overdue and reports it, takes its payment and lets the buyer's payment record learn,
all on schedule; when the server returns, the emails still owed go out in order, each once."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from dev.mailsink import MailSink, start_mail_sink
from dev.ports import free_port
from payinvoice.settings import Settings
from tests.utils.factories import auth, checkout, create_buyer, create_merchant, get_ok, post_payment
from tests.utils.histories import record_history
from tests.utils.waiting import eventually, invoice_reaches, mails_arrive, mails_to
from worker import build_worker

DAY = 0.3  # seconds: ten days of outage take three


@pytest.fixture
async def down_smtp(
    temporal_client: Client,
    sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings],
    api_factory: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """The API and a worker of a queue of the test's own, whose SMTP port nothing listens on."""
    port, queue = free_port(), f"mail-outage-{uuid.uuid4()}"
    settings = settings_factory(temporal_task_queue=queue, smtp_port=port, day_seconds=DAY)
    async with build_worker(temporal_client, settings, sessions), api_factory(
        temporal_task_queue=queue, day_seconds=DAY
    ) as api:
        yield api, port


async def test_with_the_mail_server_down_for_days_an_invoice_turns_overdue_and_is_settled_on_schedule(
    down_smtp: tuple[httpx.AsyncClient, int],
) -> None:
    api, _ = down_smtp
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, payment_terms_days=3)
    invoice = (await checkout(api, key, buyer["id"])).json()
    assert invoice["status"] == "open"

    overdue = await invoice_reaches(api, key, invoice["id"], "overdue", within=10 * DAY)
    events = (await get_ok(api, key, f"/v1/invoices/{invoice['id']}/events", limit=200))["data"]
    assert "overdue" in [e["kind"] for e in events]
    assert overdue["reminders"] == []  # due, never delivered

    paid = await post_payment(api, key, invoice["id"])
    assert paid.json()["status"] == "paid", paid.text

    async def learned() -> dict[str, Any] | None:
        record = (await get_ok(api, key, f"/v1/buyers/{buyer['id']}"))["payment_record"]
        return record if record["invoices_paid"] == 1 else None

    assert (await eventually(learned, within=10 * DAY))["invoices_paid"] == 1


async def test_when_the_mail_server_returns_the_emails_still_owed_go_out_in_order_once(
    down_smtp: tuple[httpx.AsyncClient, int], temporal_client: Client
) -> None:
    api, port = down_smtp
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, payment_terms_days=3)
    invoice = (await checkout(api, key, buyer["id"])).json()
    await invoice_reaches(api, key, invoice["id"], "overdue", within=10 * DAY)
    assert (await post_payment(api, key, invoice["id"])).json()["status"] == "paid"

    sink = MailSink()
    controller = start_mail_sink(sink, port=port)
    try:
        await mails_arrive(sink, buyer["email"], 2, within=60)  # the send retries back off
        await asyncio.sleep(10 * DAY)  # time for a late duplicate or a dropped reminder to show
        received = mails_to(sink, buyer["email"])
    finally:
        controller.stop()

    # The invoice, then the receipt; the reminders that fell due while the server was down were
    # for an invoice since paid: dropped, never sent.
    assert [m["X-Payinvoice-Kind"] for m in received] == ["invoice", "receipt"]
    assert len({m["Message-ID"] for m in received}) == 2
    final = (await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))).json()
    assert (final["status"], final["reminders"], final["email_failures"]) == ("paid", [], [])
    await record_history(temporal_client, invoice["workflow_id"], "mail_outage_then_paid")

