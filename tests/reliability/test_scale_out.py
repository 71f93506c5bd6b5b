"""Scale-out, the shape docker-compose grows to: two workers and two API processes (the real
`worker.py` and `uvicorn`) on one Temporal server and one PostgreSQL. Checkouts split across both
APIs while one worker is killed with SIGKILL and started again; then every other invoice is paid,
each payment reported through both APIs at once. Invoice numbers stay gapless, no email goes out
twice, no payment is lost or applied twice, and the buyer's exposure is what is still open."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.stack import _migrate
from dev.mailsink import start_mail_sink
from tests.conftest import ADMIN_KEY
from tests.reliability.conftest import scaled
from tests.utils.factories import checkout, create_buyer, create_merchant, post_payment
from tests.utils.invariants import (
    Mail,
    check_amounts,
    check_emails_once,
    exposure_is_sum_of_open_amounts,
    reach,
    settle_mail,
)
from tests.utils.stack import ServiceStack, free_port, service_stack
from workflows.invoice import EMAIL

CHECKOUTS = scaled(60, 500)
AT_ONCE = 16  # requests in flight, as a busy shop's backends send them
# An email attempt lost with the killed worker is retried once its start-to-close timeout passed.
LOST_EMAIL_S = EMAIL["start_to_close_timeout"].total_seconds() + 60


@pytest.fixture(scope="module")
async def postgres_url() -> AsyncIterator[str]:
    """A database of its own on the PostgreSQL server CI runs (PAYINVOICE_TEST_DATABASE_URL)."""
    server = os.environ.get("PAYINVOICE_TEST_DATABASE_URL")
    if not server:
        if os.environ.get("CI") == "true":
            pytest.fail("scale-out runs on PostgreSQL: set PAYINVOICE_TEST_DATABASE_URL")
        pytest.skip("scale-out runs on PostgreSQL: PAYINVOICE_TEST_DATABASE_URL is not set")
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    name = f"payinvoice_scale_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(_migrate, url)
    try:
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(scope="module")
async def two_of_each(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str
) -> AsyncIterator[tuple[ServiceStack, Mail, str]]:
    workdir: Path = tmp_path_factory.mktemp("scale-out")
    mail, smtp_port = Mail(), free_port()
    controller = start_mail_sink(mail, port=smtp_port)
    try:
        async with service_stack(
            workdir, postgres_url, smtp_port, ADMIN_KEY, message_timeout_seconds="2",
            decision_timeout_seconds="30",
            # Four processes on one server: their pools stay well below its max_connections.
            database_pool_size="5", database_max_overflow="5",
        ) as services:
            await services.add_worker()
            yield services, mail, await services.add_api()
    finally:
        controller.stop()


async def _held(database_url: str) -> list[tuple[str, str, int, int, int]]:
    """The invoices whose reservation holds other than what they still owe: (id, status, held,
    owed, reservation version), to tell a release that is late from one that was lost."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT i.id, i.status, r.amount, i.amount_due, r.version FROM credit_reservations r"
                " JOIN invoices i ON i.id = r.invoice_id"
                " WHERE r.amount <> CASE WHEN i.status IN ('open', 'overdue') THEN i.amount_due ELSE 0 END"
                " AND i.status NOT LIKE 'pending%'"
            ))
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


async def test_two_workers_and_two_apis_survive_a_killed_worker_without_a_gap_a_twice_or_a_loss(
    two_of_each: tuple[ServiceStack, Mail, str], postgres_url: str,
) -> None:
    services, mail, second_url = two_of_each
    limit = asyncio.Semaphore(AT_ONCE)
    async with (
        httpx.AsyncClient(base_url=services.api_url, timeout=60) as one,
        httpx.AsyncClient(base_url=second_url, timeout=60) as two,
    ):
        apis = (one, two)
        key = await create_merchant(one, "Scale GmbH")
        buyer = await create_buyer(one, key, credit_limit="10000000.00")

        answered, a_third_answered = 0, asyncio.Event()

        async def order(i: int) -> str:
            nonlocal answered
            async with limit:
                response = await checkout(apis[i % 2], key, buyer["id"], order_id=f"order-{i}")
            assert response.status_code in (201, 202), response.text
            answered += 1
            if answered >= CHECKOUTS // 3:
                a_third_answered.set()
            return response.json()["id"]

        orders = [asyncio.create_task(order(i)) for i in range(CHECKOUTS)]
        await a_third_answered.wait()
        await services.kill(services.worker)  # amid the burst, with decisions and emails in flight
        await asyncio.sleep(2)
        await services.start_worker()
        ids = await asyncio.gather(*orders)
        assert len(set(ids)) == CHECKOUTS

        opened = await reach(one, key, ids, {"open"}, within=180)
        numbers = sorted(int(invoice["number"].removeprefix("INV-")) for invoice in opened)
        assert numbers == list(range(1, CHECKOUTS + 1))  # gapless, each once

        async def pay(i: int, invoice_id: str) -> None:
            payment_id = f"pay-{invoice_id}"
            async with limit:
                answers = await asyncio.gather(
                    post_payment(apis[i % 2], key, invoice_id, payment_id=payment_id),
                    post_payment(apis[(i + 1) % 2], key, invoice_id, payment_id=payment_id),
                )
            assert all(a.status_code in (200, 202) for a in answers), [a.text for a in answers]

        paid_ids = ids[::2]
        await asyncio.gather(*(pay(i, invoice_id) for i, invoice_id in enumerate(paid_ids)))
        paid = await reach(one, key, paid_ids, {"paid"}, within=180)
        for invoice in paid:
            assert [p["payment_id"] for p in invoice["payments"]] == [f"pay-{invoice['id']}"]
            assert invoice["amount_paid"] == invoice["total"]
            check_amounts(invoice)
        # The credit releases queue behind the emails of a burst: give them time.
        try:
            await exposure_is_sum_of_open_amounts(one, key, buyer["id"], ids, within=180)
        except AssertionError as error:
            disagreeing = await _held(postgres_url)
            raise AssertionError(f"{error}\nreservations that disagree: {disagreeing}") from None
        services.check_alive()

    # Every invoice email and every receipt, each once (a resend after the kill keeps its Message-ID).
    expected = CHECKOUTS + len(paid_ids)
    emails = check_emails_once(await settle_mail(mail, buyer["email"], expected, within=LOST_EMAIL_S + 60))
    assert len(emails) == expected
