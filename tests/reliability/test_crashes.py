"""Crashes (issue 8): the dev server, the worker and the API as real processes, killed with
SIGKILL at awkward moments and started again on the same ports and files.

At the end of each scenario the invoices have resumed, every email went out once (one
Message-ID per (invoice, kind, stage)), every payment is applied once, and each buyer's exposure
is the sum of what its open invoices still owe. SQLite only: the crashes are about the
processes, and the PostgreSQL backend is covered by the rest of the suite.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.stack import _migrate
from dev.mailsink import start_mail_sink
from tests.conftest import ADMIN_KEY
from tests.reliability.conftest import FULL, scaled
from tests.utils.factories import checkout, create_buyer, create_merchant, post_payment
from tests.utils.invariants import (
    Mail,
    check_amounts,
    check_emails_once,
    exposure_is_sum_of_open_amounts,
    get_invoices,
    mail_count,
    reach,
    settle_mail,
)
from tests.utils.stack import ServiceStack, free_port, service_stack
from workflows.invoice import EMAIL

# Each scenario kills and restarts real processes and waits out lost activity attempts: minutes,
# not seconds. `make test` runs one of them short (the worker killed mid-ladder: 3 invoices, a
# quarter-second day, killed between steps so that nothing waits out a timeout); the others run
# in `make test-reliability` only, and their skip says so.
full_run_only = pytest.mark.skipif(
    not FULL, reason="by design: this crash scenario runs in `make test-reliability` only"
)

DAY_SECONDS = 0.25
# Default ladder on net 6: upcoming (day 3), due (6), overdue (7), overdue_1 (13), overdue_2 (20),
# final (36), uncollectible (51): about 13 s at a quarter-second day.
LADDER_TERMS = 6
LADDER_STAGES = ["upcoming", "due", "overdue_1", "overdue_2", "final_notice"]
# An email attempt lost with a killed worker is retried only once its start-to-close timeout
# (60 s) has passed, and the retry then renders the PDFs queued behind it: a wait for emails
# after such a kill must outlast both.
LOST_EMAIL_S = EMAIL["start_to_close_timeout"].total_seconds() + 60


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[ServiceStack, Mail]]:
    workdir: Path = tmp_path_factory.mktemp("crash-stack")
    url = f"sqlite+aiosqlite:///{workdir / 'payinvoice.db'}"
    await asyncio.to_thread(_migrate, url)
    mail, smtp_port = Mail(), free_port()
    controller = start_mail_sink(mail, port=smtp_port)
    try:
        async with service_stack(
            workdir, url, smtp_port, ADMIN_KEY, day_seconds=str(DAY_SECONDS),
            message_timeout_seconds="1", decision_timeout_seconds="20",
        ) as services:
            yield services, mail
    finally:
        controller.stop()


def http(stack: ServiceStack) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.api_url, timeout=60)


async def open_invoices(api: httpx.AsyncClient, key: str, buyer_id: str, count: int) -> list[dict[str, Any]]:
    responses = await asyncio.gather(*(checkout(api, key, buyer_id) for _ in range(count)))
    assert [r.status_code for r in responses] == [201] * count, [r.text for r in responses]
    assert {r.json()["status"] for r in responses} == {"open"}
    return [r.json() for r in responses]


async def reminded(api: httpx.AsyncClient, key: str, ids: list[str], within: float) -> list[dict[str, Any]]:
    """The invoices once every uncollectible one lists its whole ladder: emails follow the
    lifecycle on a loop of their own (workflows/mail.py), so a status says nothing about them."""
    deadline = time.monotonic() + within
    while True:
        invoices = await get_invoices(api, key, ids)
        unpaid = [i for i in invoices if i["status"] == "uncollectible"]
        if all(len(i["reminders"]) == len(LADDER_STAGES) for i in unpaid):
            await asyncio.sleep(1.0)  # a reminder in flight when an invoice was paid is recorded too
            return await get_invoices(api, key, ids)
        if time.monotonic() > deadline:
            raise AssertionError(f"reminders missing: {[(i['id'], len(i['reminders'])) for i in unpaid]}")
        await asyncio.sleep(0.3)


async def test_a_worker_killed_mid_ladder_resumes_every_invoice_and_sends_each_reminder_once(
    stack: tuple[ServiceStack, Mail],
) -> None:
    services, mail = stack
    count = scaled(3, 10)
    async with http(services) as api:
        key = await create_merchant(api, "Ladder GmbH")
        buyer = await create_buyer(api, key, payment_terms_days=LADDER_TERMS, credit_limit="100000.00")
        invoices = await open_invoices(api, key, buyer["id"], count)
        ids = [i["id"] for i in invoices]
        # Keep it away for several days of the ladder. The short run kills it between steps
        # (the invoice emails are out, the first reminder is 3 days off); the full run amid the
        # first reminders, with activities in flight: those wait out their start-to-close
        # timeout (60 s) before another worker runs them, which makes it a minute longer.
        if FULL:
            await mail_count(mail, buyer["email"], count + 1, within=20, poll=0.02)
        else:
            await mail_count(mail, buyer["email"], count, within=20)
            await asyncio.sleep(DAY_SECONDS)
        await services.kill(services.worker)
        await asyncio.sleep(8 * DAY_SECONDS)
        await services.start_worker()
        # One invoice is paid after the restart: its receipt goes out once, its credit is released.
        paid = await post_payment(api, key, ids[0])
        assert paid.status_code in (200, 202), paid.text

        await reach(api, key, ids, {"uncollectible", "paid"}, within=120)
        finals = await reminded(api, key, ids, within=60)
        for invoice in finals:
            check_amounts(invoice)
        await exposure_is_sum_of_open_amounts(api, key, buyer["id"], ids)

    unpaid = [i for i in finals if i["status"] == "uncollectible"]
    expected = count + sum(len(i["reminders"]) for i in finals) + 1  # invoice emails, reminders, receipt
    # On a loaded machine an email can still be in flight at the kill: it comes back once its
    # start-to-close timeout passed (found by a fresh-clone CI run: 14 of 15 after 30 s).
    emails = check_emails_once(await settle_mail(mail, buyer["email"], expected, within=LOST_EMAIL_S))
    assert len(emails) == expected, sorted(emails)
    for invoice in unpaid:
        assert [r["stage"] for r in invoice["reminders"]] == LADDER_STAGES


@full_run_only
async def test_payments_while_the_worker_is_killed_are_accepted_durably_and_applied_once(
    stack: tuple[ServiceStack, Mail],
) -> None:
    services, mail = stack
    count = scaled(4, 12)
    async with http(services) as api:
        key = await create_merchant(api, "Payments GmbH")
        buyer = await create_buyer(api, key, payment_terms_days=365, credit_limit="100000.00")
        invoices = await open_invoices(api, key, buyer["id"], count)
        ids = [i["id"] for i in invoices]
        # Per invoice: 50.00, then 50.00 again under the same id (a duplicate), then the rest
        # (every other invoice over-pays by 1.00), then the last one once more.
        plan: list[tuple[str, str, str]] = []
        for n, invoice_id in enumerate(ids):
            first, rest = f"p1-{uuid.uuid4().hex[:8]}", f"p2-{uuid.uuid4().hex[:8]}"
            plan += [(invoice_id, first, "50.00"), (invoice_id, first, "50.00")]
            remainder = "70.00" if n % 2 else "69.00"
            plan += [(invoice_id, rest, remainder), (invoice_id, rest, remainder)]
        answers: list[tuple[str, str, int, dict[str, Any]]] = []

        async def pay_in_order(invoice_id: str) -> None:
            for target, payment_id, amount in plan:
                if target != invoice_id:
                    continue
                response = await post_payment(api, key, invoice_id, payment_id=payment_id, amount=amount)
                answers.append((invoice_id, payment_id, response.status_code, response.json()))
                await asyncio.sleep(0.3)

        # The full run kills the worker among the first payments, with their activities in
        # flight (those wait out their 60 s start-to-close timeout before another worker runs
        # them); the short run kills it just before they start.
        if not FULL:
            await services.kill(services.worker)
        payers = asyncio.gather(*(pay_in_order(i) for i in ids))
        if FULL:
            await asyncio.sleep(0.4)
            await services.kill(services.worker)
        await asyncio.sleep(2.5)  # the next ones find no worker: 202 after the message timeout
        await services.start_worker()
        await payers

        assert {code for *_, code, _ in answers} <= {200, 202}, [a for a in answers if a[2] not in (200, 202)]
        durable = [a for a in answers if a[2] == 202]
        assert durable, "no payment arrived while the worker was away"
        for invoice_id, _, _, body in durable:  # the invoice as it stood
            assert body["id"] == invoice_id
            check_amounts(body)

        finals = await reach(api, key, ids, {"paid"}, within=120)
        for n, invoice in enumerate(finals):
            check_amounts(invoice)
            expected = {pid: amount for target, pid, amount in plan if target == invoice["id"]}
            assert {p["payment_id"]: p["amount"] for p in invoice["payments"]} == expected
            assert invoice["overpaid_amount"] == ("1.00" if n % 2 else "0.00")
        await exposure_is_sum_of_open_amounts(api, key, buyer["id"], ids)

    # Being paid does not wait for the emails: the invoice emails still rendering when the worker
    # died (and the receipts queued behind them in each workflow) go out after the timeout.
    emails = check_emails_once(await settle_mail(mail, buyer["email"], 2 * count, within=LOST_EMAIL_S))
    kinds = sorted(kind for (_, _, kind, _) in emails)
    assert kinds == ["invoice"] * count + ["receipt"] * count


@full_run_only
async def test_the_dev_server_and_the_api_killed_and_restarted_lose_nothing(
    stack: tuple[ServiceStack, Mail],
) -> None:
    services, mail = stack
    count = scaled(3, 10)
    async with http(services) as api:
        key = await create_merchant(api, "Restart GmbH")
        buyer = await create_buyer(api, key, payment_terms_days=LADDER_TERMS, credit_limit="100000.00")
        invoices = await open_invoices(api, key, buyer["id"], count)
        ids = [i["id"] for i in invoices]
        first = await post_payment(api, key, ids[0], payment_id="before-crash", amount="19.00")
        # 202 on a loaded machine: accepted durably, applied when the worker takes it (checked below).
        assert first.status_code in (200, 202), first.text

    # Both die while timers run and emails go out; the worker stays and must find its way back.
    await asyncio.sleep(2 * DAY_SECONDS)
    await services.kill(services.api)
    await services.kill(services.server)
    await asyncio.sleep(4 * DAY_SECONDS)
    await services.start_server()
    await services.start_api()

    async with http(services) as api:
        rest = await post_payment(api, key, ids[0], payment_id="after-crash", amount="100.00")
        assert rest.status_code in (200, 202), rest.text
        again = await post_payment(api, key, ids[0], payment_id="before-crash", amount="19.00")
        assert again.status_code in (200, 202), again.text
        more = await open_invoices(api, key, buyer["id"], 1)
        ids += [more[0]["id"]]

        await reach(api, key, ids, {"uncollectible", "paid"}, within=120)
        finals = await reminded(api, key, ids, within=60)
        for invoice in finals:
            check_amounts(invoice)
        assert finals[0]["status"] == "paid"
        assert [p["payment_id"] for p in finals[0]["payments"]] == ["before-crash", "after-crash"]
        await exposure_is_sum_of_open_amounts(api, key, buyer["id"], ids)
        assert services.worker is not None and services.starts["worker"] >= 1
        services.check_alive()

    expected = len(ids) + sum(len(i["reminders"]) for i in finals) + 1
    emails = check_emails_once(await settle_mail(mail, buyer["email"], expected, within=LOST_EMAIL_S))
    assert len(emails) == expected, sorted(emails)
    for invoice in finals[1:]:
        assert [r["stage"] for r in invoice["reminders"]] == LADDER_STAGES
