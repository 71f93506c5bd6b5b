"""Outgoing webhooks end to end: real dev server, database, SMTP sink, and a real HTTP receiver
on 127.0.0.1; every delivery is verified with the `standardwebhooks` package."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from dev.mailsink import MailSink
from payinvoice.contracts import webhook_delivery_workflow_id
from payinvoice.settings import Settings
from tests.utils.factories import (
    auth,
    checkout,
    create_buyer,
    create_merchant,
    error_code,
    get_ok,
    post_payment,
)
from tests.utils.histories import record_history
from tests.utils.waiting import eventually, invoice_reaches, mails_arrive, reminders_sent
from tests.utils.webhook_receiver import Answer, Received, WebhookReceiver
from worker import build_worker

# One delivery attempt's HTTP timeout here; a receiver that answers later has timed out.
ATTEMPT_TIMEOUT = 0.5
# Days of the invoices: the whole ladder in under 3 s, or a retry window long enough to watch.
FAST_DAY, WATCHED_DAY = 0.05, 4.0

PATH = "/v1/webhook-endpoints"
# The events of an invoice paid at once (payment_received and paid are recorded together).
PAID_AT_ONCE = ["invoice.created", "invoice.issued", "invoice.payment_received", "invoice.paid"]


@pytest.fixture(scope="module")
def webhook_settings(settings_factory: Callable[..., Settings]) -> dict[str, Any]:
    """Settings of the worker these tests run on: its own task queue, a short attempt timeout."""
    return {"temporal_task_queue": f"webhooks-{uuid.uuid4()}", "webhook_timeout_seconds": ATTEMPT_TIMEOUT}


@pytest.fixture(scope="module")
async def webhook_worker(
    temporal_client: Client, sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings], webhook_settings: dict[str, Any],
) -> AsyncIterator[None]:
    async with build_worker(temporal_client, settings_factory(**webhook_settings), sessions):
        yield


@pytest.fixture
def api_for_day(
    api_factory: Callable[..., httpx.AsyncClient], webhook_settings: dict[str, Any], webhook_worker: None
) -> Callable[[float], httpx.AsyncClient]:
    return lambda day: api_factory(day_seconds=day, **webhook_settings)


@pytest.fixture
def receiver() -> AsyncIterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


async def register(
    api: httpx.AsyncClient, key: str, url: str, events: list[str] | None = None
) -> dict[str, Any]:
    response = await api.post(PATH, json={"url": url, "events": events or []}, headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()


async def deliveries(api: httpx.AsyncClient, key: str, endpoint_id: str) -> list[dict[str, Any]]:
    return (await get_ok(api, key, f"{PATH}/{endpoint_id}/deliveries"))["data"]


async def delivered(api: httpx.AsyncClient, key: str, endpoint_id: str, count: int) -> list[dict[str, Any]]:
    """The endpoint's deliveries once `count` of them were delivered."""

    async def check() -> list[dict[str, Any]] | None:
        found = await deliveries(api, key, endpoint_id)
        return found if sum(d["status"] == "delivered" for d in found) >= count else None

    return await eventually(check, within=20)


async def arrival_of(receiver: WebhookReceiver, event_type: str, within: float = 20) -> Received:
    async def check() -> Received | None:
        return next(iter(receiver.received(event_type)), None)

    return await eventually(check, within)


def accepted(receiver: WebhookReceiver, secret: str) -> list[dict[str, Any]]:
    """The bodies the receiver accepted (2xx), in arrival order, each verified by standardwebhooks."""
    return [r.verified(secret) for r in receiver.received() if 200 <= r.answered < 300]


def types_of(bodies: list[dict[str, Any]], subject_id: str) -> list[str]:
    return [b["type"] for b in bodies if b["data"]["id"] == subject_id]


async def test_every_event_of_an_invoice_lifecycle_arrives_signed_and_in_order(
    api_for_day: Callable[[float], httpx.AsyncClient], receiver: WebhookReceiver
) -> None:
    async with api_for_day(FAST_DAY) as api:
        key = await create_merchant(api)
        hook = await register(api, key, receiver.url)
        buyer = await create_buyer(api, key, payment_terms_days=3)
        invoice = (await checkout(api, key, buyer["id"])).json()
        await invoice_reaches(api, key, invoice["id"], "uncollectible")
        await reminders_sent(api, key, invoice["id"], 5)  # emails follow on a loop of their own

        assert (await post_payment(api, key, invoice["id"])).json()["status"] == "paid"
        await arrival_of(receiver, "buyer.credit_reinstated")
        await delivered(api, key, hook["id"], 13)

    bodies = accepted(receiver, hook["secret"])
    events = types_of(bodies, invoice["id"])
    # The lifecycle's events in its order; each reminder's once it was delivered, which the
    # lifecycle does not wait for (workflows/mail.py): between issue and payment, in any place.
    assert [e for e in events if e != "invoice.reminder_sent"] == [
        "invoice.created", "invoice.issued", "invoice.overdue", "invoice.uncollectible",
        "invoice.payment_received", "invoice.paid",
    ]  # fmt: skip
    reminders = [i for i, e in enumerate(events) if e == "invoice.reminder_sent"]
    assert len(reminders) == 5
    assert events.index("invoice.issued") < reminders[0]
    assert reminders[-1] < events.index("invoice.payment_received")
    assert types_of(bodies, buyer["id"]) == ["buyer.credit_suspended", "buyer.credit_reinstated"]
    by_type = {b["type"]: b for b in bodies}
    assert set(by_type["invoice.paid"]) == {"type", "created_at", "data"}
    assert (by_type["invoice.paid"]["data"]["status"], by_type["invoice.paid"]["data"]["amount_due"]) == (
        "paid", "0.00",
    )
    assert by_type["invoice.overdue"]["data"]["status"] == "overdue"
    assert by_type["buyer.credit_suspended"]["data"]["credit"]["status"] == "suspended"
    assert by_type["buyer.credit_reinstated"]["data"]["credit"]["status"] == "active"
    assert len({r.webhook_id for r in receiver.received()}) == len(receiver.received())


async def test_declined_and_voided_invoices_report_it(
    api_for_day: Callable[[float], httpx.AsyncClient], receiver: WebhookReceiver
) -> None:
    async with api_for_day(WATCHED_DAY) as api:
        key = await create_merchant(api)
        hook = await register(api, key, receiver.url)
        poor = await create_buyer(api, key, credit_limit="50.00")
        declined = (await checkout(api, key, poor["id"])).json()
        buyer = await create_buyer(api, key)
        voided = (await checkout(api, key, buyer["id"])).json()
        await api.post(f"/v1/invoices/{voided['id']}/void", json={"reason": "cancelled"}, headers=auth(key))

        await delivered(api, key, hook["id"], 5)

    bodies = accepted(receiver, hook["secret"])
    assert types_of(bodies, declined["id"]) == ["invoice.created", "invoice.declined"]
    assert types_of(bodies, voided["id"]) == ["invoice.created", "invoice.issued", "invoice.voided"]
    assert [b["data"]["status"] for b in bodies if b["data"]["id"] == declined["id"]] == ["declined"] * 2


async def test_a_failed_delivery_is_retried_with_the_same_webhook_id(
    api_for_day: Callable[[float], httpx.AsyncClient], receiver: WebhookReceiver, temporal_client: Client
) -> None:
    receiver.script(Answer(500, body=b'{"error":"down for maintenance"}'), Answer(200, delay=5))
    async with api_for_day(WATCHED_DAY) as api:
        key = await create_merchant(api)
        hook = await register(api, key, receiver.url, events=["invoice.issued"])
        invoice = (await checkout(api, key, (await create_buyer(api, key))["id"])).json()

        [delivery] = await delivered(api, key, hook["id"], 1)
        # The delivery workflow ends once its queue is empty: a whole history to replay.
        workflow_id = webhook_delivery_workflow_id(hook["id"], invoice["id"])
        await temporal_client.get_workflow_handle(workflow_id).result()
        await record_history(temporal_client, workflow_id, "webhook_delivered_after_a_failure")

    attempts = receiver.received()
    assert [r.answered for r in attempts] == [500, 200, 200]  # the second one answered too late
    assert {r.webhook_id for r in attempts} == {delivery["id"]}
    assert all(r.verified(hook["secret"])["type"] == "invoice.issued" for r in attempts)
    assert [(a["status_code"], a["error"]) for a in delivery["attempts"]] == [
        (500, None), (None, "timeout"), (200, None),
    ]
    # Only the status of a refusal is kept, never its body; the start of a 2xx answer is.
    assert [a["response_body"] for a in delivery["attempts"]] == ["", "", '{"ok":true}']


async def test_a_receiver_down_for_a_while_still_gets_every_event_in_order(
    api_for_day: Callable[[float], httpx.AsyncClient], receiver: WebhookReceiver
) -> None:
    async with api_for_day(WATCHED_DAY) as api:
        key = await create_merchant(api)
        hook = await register(api, key, receiver.url)
        buyer = await create_buyer(api, key)
        receiver.down()
        invoices = [(await checkout(api, key, buyer["id"])).json() for _ in range(2)]
        for invoice in invoices:
            assert (await post_payment(api, key, invoice["id"])).json()["status"] == "paid"
        await asyncio.sleep(1.0)  # the outage: a quarter of the retry window
        receiver.up()

        found = await delivered(api, key, hook["id"], 8)

    bodies = accepted(receiver, hook["secret"])
    for invoice in invoices:
        assert types_of(bodies, invoice["id"]) == [
            "invoice.created", "invoice.issued", "invoice.payment_received", "invoice.paid",
        ]
    assert any(a["error"] == "ConnectError" for d in found for a in d["attempts"])


async def test_an_endpoint_failing_for_the_whole_window_is_disabled_and_the_merchant_emailed(
    api_for_day: Callable[[float], httpx.AsyncClient], receiver: WebhookReceiver, mail: MailSink
) -> None:
    day = 1.0  # the window: long enough for several attempts even on a busy machine
    receiver.answer(Answer(503))
    merchant_email = f"ops-{uuid.uuid4().hex[:8]}@widgets.example"
    async with api_for_day(day) as api:
        key = await create_merchant(api, email=merchant_email)
        hook = await register(api, key, receiver.url)
        # Long terms: no reminder or suspension happens during the test.
        buyer = await create_buyer(api, key, payment_terms_days=365)
        invoice = (await checkout(api, key, buyer["id"])).json()

        async def disabled() -> dict[str, Any] | None:
            found = await api.get(f"{PATH}/{hook['id']}", headers=auth(key))
            return found.json() if found.json()["status"] == "disabled" else None

        endpoint = await eventually(disabled)
        [notice] = await mails_arrive(mail, merchant_email, 1)
        found = await deliveries(api, key, hook["id"])

    assert endpoint["disabled_at"] is not None
    assert notice["X-Payinvoice-Kind"] == "webhook_disabled"
    assert hook["id"] in notice.get_body(("plain",)).get_content()
    first = next(d for d in found if d["type"] == "invoice.created")
    assert first["status"] == "failed"
    assert {a["status_code"] for a in first["attempts"]} == {503}
    # Disabled only once the window had passed since the delivery began (after the checkout).
    failing = datetime.fromisoformat(endpoint["disabled_at"]) - datetime.fromisoformat(invoice["created_at"])
    assert failing >= timedelta(seconds=day)
    assert len(receiver.received()) == len(first["attempts"])  # nothing more once disabled


async def test_an_endpoint_is_tried_again_after_a_failure_that_outlasted_a_short_window(
    api_for_day: Callable[[float], httpx.AsyncClient], receiver: WebhookReceiver
) -> None:
    # A day of 50 ms is over before the first failed attempt has been answered.
    receiver.script(Answer(503), Answer(200))
    async with api_for_day(FAST_DAY) as api:
        key = await create_merchant(api)
        hook = await register(api, key, receiver.url, events=["invoice.issued"])
        await checkout(api, key, (await create_buyer(api, key, payment_terms_days=365))["id"])

        [delivery] = await delivered(api, key, hook["id"], 1)
        endpoint = (await api.get(f"{PATH}/{hook['id']}", headers=auth(key))).json()

    assert [a["status_code"] for a in delivery["attempts"]] == [503, 200]
    assert endpoint["status"] == "enabled"


async def test_retry_resends_a_delivery_with_the_same_webhook_id(
    api_for_day: Callable[[float], httpx.AsyncClient], receiver: WebhookReceiver
) -> None:
    async with api_for_day(WATCHED_DAY) as api:
        key = await create_merchant(api)
        hook = await register(api, key, receiver.url, events=["invoice.created"])
        await checkout(api, key, (await create_buyer(api, key))["id"])
        [delivery] = await delivered(api, key, hook["id"], 1)

        response = await api.post(f"{PATH}/{hook['id']}/deliveries/{delivery['id']}/retry", headers=auth(key))

        assert response.status_code == 202, response.text

        async def resent() -> list[Received] | None:
            return receiver.received() if len(receiver.received()) == 2 else None

        first, again = await eventually(resent)

        async def both_attempts_recorded() -> list[dict[str, Any]] | None:
            # The receiver answers before the attempt is written down: wait for the record too.
            found = await deliveries(api, key, hook["id"])
            return found if len(found[0]["attempts"]) == 2 else None

        [after] = await eventually(both_attempts_recorded)

    assert first.webhook_id == again.webhook_id == delivery["id"]
    assert again.verified(hook["secret"]) == first.verified(hook["secret"])
    assert [a["status_code"] for a in after["attempts"]] == [200, 200]


# Issue 20: webhook deliveries cannot wedge.

# A NUL, a UTF-8-encoded lone surrogate (invalid UTF-8) and one escaped in JSON: PostgreSQL
# refused the NUL, the attempt's record failed on every retry and the invoice's later events
# waited behind it for ever.
NASTY_REPLY = b'{"ok":"\x00\xed\xa0\x80","s":"\\ud800"}'
NASTY_REPLY_STORED = '{"ok":"\ufffd\ufffd\ufffd\ufffd","s":"\\ud800"}'


async def test_a_reply_with_a_nul_and_a_lone_surrogate_does_not_hold_up_the_invoices_later_events(
    api_for_day: Callable[[float], httpx.AsyncClient], receiver: WebhookReceiver
) -> None:
    receiver.answer(Answer(200, body=NASTY_REPLY))
    async with api_for_day(WATCHED_DAY) as api:
        key = await create_merchant(api)
        hook = await register(api, key, receiver.url, events=PAID_AT_ONCE)
        invoice = (await checkout(api, key, (await create_buyer(api, key))["id"])).json()
        assert (await post_payment(api, key, invoice["id"])).json()["status"] == "paid"

        found = await delivered(api, key, hook["id"], 4)

    assert types_of(accepted(receiver, hook["secret"]), invoice["id"]) == PAID_AT_ONCE
    assert [[a["response_body"] for a in d["attempts"]] for d in found] == [[NASTY_REPLY_STORED]] * 4


async def test_a_delivery_resent_on_request_past_its_cap_is_409_and_not_sent(
    api_factory: Callable[..., httpx.AsyncClient], webhook_settings: dict[str, Any], webhook_worker: None,
    receiver: WebhookReceiver,
) -> None:
    async with api_factory(day_seconds=WATCHED_DAY, webhook_max_resends=2, **webhook_settings) as api:
        key = await create_merchant(api)
        hook = await register(api, key, receiver.url, events=["invoice.created"])
        await checkout(api, key, (await create_buyer(api, key))["id"])
        [delivery] = await delivered(api, key, hook["id"], 1)
        retry = f"{PATH}/{hook['id']}/deliveries/{delivery['id']}/retry"

        answers = [await api.post(retry, headers=auth(key)) for _ in range(3)]

        async def attempted_thrice() -> list[dict[str, Any]] | None:
            found = await deliveries(api, key, hook["id"])
            return found if len(found[0]["attempts"]) == 3 else None

        [after] = await eventually(attempted_thrice)
        await asyncio.sleep(0.5)  # a resend past the cap would arrive by now

    assert [a.status_code for a in answers] == [202, 202, 409]
    assert error_code(answers[2]) == "too_many_resends"
    assert [a.json()["resends"] for a in answers[:2]] == [1, 2]
    assert after["resends"] == 2
    assert len(receiver.received()) == 3


async def failed(api: httpx.AsyncClient, key: str, endpoint_id: str, count: int) -> None:
    async def check() -> bool:
        return [d["status"] for d in await deliveries(api, key, endpoint_id)] == ["failed"] * count

    await eventually(check)


async def test_enabling_a_disabled_endpoint_redelivers_what_it_missed_in_order_and_once(
    api_for_day: Callable[[float], httpx.AsyncClient], receiver: WebhookReceiver, temporal_client: Client
) -> None:
    receiver.answer(Answer(503))
    async with api_for_day(1.0) as api:  # a window of 1 s: disabled within a few seconds
        key = await create_merchant(api)
        hook = await register(api, key, receiver.url, events=PAID_AT_ONCE)
        buyer = await create_buyer(api, key, payment_terms_days=365)  # nothing else happens meanwhile
        invoice = (await checkout(api, key, buyer["id"])).json()

        await failed(api, key, hook["id"], 2)  # the one that disabled it, and the one after it
        assert (await get_ok(api, key, f"{PATH}/{hook['id']}"))["status"] == "disabled"
        # Paid while the endpoint is disabled: these two events are recorded, and not sent.
        assert (await post_payment(api, key, invoice["id"])).json()["status"] == "paid"
        await failed(api, key, hook["id"], 4)
        refused = len(receiver.received())
        receiver.answer(Answer(200))

        response = await api.post(f"{PATH}/{hook['id']}/enable", headers=auth(key))

        assert response.status_code == 200, response.text
        found = await delivered(api, key, hook["id"], 4)
        workflow_id = webhook_delivery_workflow_id(hook["id"], invoice["id"])
        await temporal_client.get_workflow_handle(workflow_id).result()
        await record_history(temporal_client, workflow_id, "webhook_redelivered_after_enable")

    assert (response.json()["status"], response.json()["disabled_at"], response.json()["redelivered"]) == (
        "enabled", None, 4,
    )
    redelivered = receiver.received()[refused:]
    assert [r.verified(hook["secret"])["type"] for r in redelivered] == PAID_AT_ONCE
    assert len({r.webhook_id for r in redelivered}) == 4
    assert {d["status"] for d in found} == {"delivered"}


async def test_enabling_an_endpoint_again_sends_nothing_twice(
    api_for_day: Callable[[float], httpx.AsyncClient], receiver: WebhookReceiver
) -> None:
    async with api_for_day(WATCHED_DAY) as api:
        key = await create_merchant(api)
        hook = await register(api, key, receiver.url, events=PAID_AT_ONCE)
        invoice = (await checkout(api, key, (await create_buyer(api, key))["id"])).json()
        assert (await post_payment(api, key, invoice["id"])).json()["status"] == "paid"
        await delivered(api, key, hook["id"], 4)

        answers = [await api.post(f"{PATH}/{hook['id']}/enable", headers=auth(key)) for _ in range(2)]
        await asyncio.sleep(1.0)  # anything sent again would arrive by now
        found = await deliveries(api, key, hook["id"])

    assert [(a.status_code, a.json()["redelivered"]) for a in answers] == [(200, 0), (200, 0)]
    assert len(receiver.received()) == 4
    assert [len(d["attempts"]) for d in found] == [1] * 4
