"""One webhook delivery attempt against a real receiver on 127.0.0.1: where it may connect
(issue 20, SSRF), that it follows no redirect, and what is kept of the answer; and abandoning a
delivery whose attempts could not be recorded (issue 20, deliveries that cannot wedge)."""

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.email import MailSettings
from activities.webhooks import WebhookActivities
from payinvoice.contracts import DeliverWebhookInput, DeliveryResult, WebhookFailedInput
from payinvoice.db.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from payinvoice.outbound import EXCERPT_CHARS, check_saved_url
from tests.utils.resolver import resolve_by_table
from tests.utils.rows import merchant_and_buyer
from tests.utils.webhook_receiver import Answer, WebhookReceiver

MAIL = MailSettings("127.0.0.1", 1, "billing@payinvoice.test", "http://localhost:8000")
SECRET = "whsec_" + "A" * 32


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


async def delivery_to(sessions: async_sessionmaker[AsyncSession], url: str) -> str:
    """An endpoint at `url` and one delivery of one event to it, straight in the database."""
    merchant, buyer = await merchant_and_buyer(sessions)
    endpoint = WebhookEndpoint(
        id=str(uuid.uuid4()), merchant_id=merchant.id, url=url, events=[], secret=SECRET, status="enabled"
    )
    event = WebhookEvent(
        id=f"evt_{uuid.uuid4().hex}", merchant_id=merchant.id, type="buyer.suspended", subject_id=buyer.id,
        body={"type": "buyer.suspended", "data": {"id": buyer.id}},
    )
    delivery_id = f"msg_{uuid.uuid4().hex}"
    async with sessions.begin() as session:
        session.add_all([endpoint, event])
        await session.flush()
        session.add(WebhookDelivery(id=delivery_id, endpoint_id=endpoint.id, event_id=event.id))
    return delivery_id


async def deliver(
    sessions: async_sessionmaker[AsyncSession], delivery_id: str, *, allow_private_urls: bool = True
) -> DeliveryResult:
    activities = WebhookActivities(sessions, MAIL, 2.0, allow_private_urls=allow_private_urls)
    return await ActivityEnvironment().run(activities.deliver_webhook, DeliverWebhookInput(delivery_id))


async def delivery_row(sessions: async_sessionmaker[AsyncSession], delivery_id: str) -> WebhookDelivery:
    async with sessions() as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    return delivery


async def attempts(sessions: async_sessionmaker[AsyncSession], delivery_id: str) -> list[WebhookAttempt]:
    query = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
    async with sessions() as session:
        return list(await session.scalars(query.order_by(WebhookAttempt.id)))


def url_named(receiver: WebhookReceiver, scheme: str, host: str) -> str:
    return f"{scheme}://{host}:{receiver.port}/hooks"


async def test_a_url_now_resolving_to_loopback_is_refused_at_call_time_and_not_called(
    sessions: async_sessionmaker[AsyncSession], receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Registered while its name resolved to a public address; now it answers with the loopback one.
    dns = {"hooks.shop.example": ["93.184.215.14"]}
    resolve_by_table(monkeypatch, dns)
    url = url_named(receiver, "https", "hooks.shop.example")
    await check_saved_url(url, allow_private=False)  # what POST /v1/webhook-endpoints checks
    delivery_id = await delivery_to(sessions, url)
    dns["hooks.shop.example"] = ["127.0.0.1"]

    result = await deliver(sessions, delivery_id, allow_private_urls=False)

    assert result == DeliveryResult(done=False)  # a failed attempt, retried on the back-off
    [attempt] = await attempts(sessions, delivery_id)
    assert (attempt.status_code, attempt.response_body, attempt.error) == (None, "", "url not allowed")
    assert receiver.received() == []


async def test_the_attempt_goes_to_the_checked_address_under_the_urls_own_name(
    sessions: async_sessionmaker[AsyncSession], receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No real resolver knows this name: only the address checked by payinvoice can be reached.
    resolve_by_table(monkeypatch, {"hooks.test": ["127.0.0.1"]})
    delivery_id = await delivery_to(sessions, url_named(receiver, "http", "hooks.test"))

    result = await deliver(sessions, delivery_id)

    assert result == DeliveryResult(done=True)
    [request] = receiver.received()
    assert request.headers["host"] == f"hooks.test:{receiver.port}"
    assert request.verified(SECRET)["type"] == "buyer.suspended"


async def test_a_redirect_is_not_followed(
    sessions: async_sessionmaker[AsyncSession], receiver: WebhookReceiver
) -> None:
    with WebhookReceiver() as elsewhere:
        receiver.answer(Answer(307, location=elsewhere.url))
        delivery_id = await delivery_to(sessions, receiver.url)

        result = await deliver(sessions, delivery_id)

        assert elsewhere.received() == []
    assert result == DeliveryResult(done=False)
    [attempt] = await attempts(sessions, delivery_id)
    assert (attempt.status_code, attempt.response_body) == (307, "")


async def test_nothing_of_a_refusals_body_is_kept(
    sessions: async_sessionmaker[AsyncSession], receiver: WebhookReceiver
) -> None:
    receiver.answer(Answer(500, body=b'{"aws_secret_access_key":"wJalrXUtnFEMI"}'))
    delivery_id = await delivery_to(sessions, receiver.url)

    await deliver(sessions, delivery_id)

    [attempt] = await attempts(sessions, delivery_id)
    assert (attempt.status_code, attempt.response_body, attempt.error) == (500, "", None)


async def test_a_2xx_answer_is_kept_as_a_short_storable_excerpt(
    sessions: async_sessionmaker[AsyncSession], receiver: WebhookReceiver
) -> None:
    receiver.answer(Answer(200, body=b"ok\x00" + "\u00e9".encode() * 2000))
    delivery_id = await delivery_to(sessions, receiver.url)

    assert await deliver(sessions, delivery_id) == DeliveryResult(done=True)

    [attempt] = await attempts(sessions, delivery_id)
    assert attempt.status_code == 200
    assert attempt.response_body == "ok\ufffd" + "\u00e9" * (EXCERPT_CHARS - 3)


async def test_a_2xx_answer_with_nul_and_lone_surrogates_is_recorded_storable(
    sessions: async_sessionmaker[AsyncSession], receiver: WebhookReceiver
) -> None:
    # A NUL, a UTF-8-encoded lone surrogate (invalid UTF-8) and one escaped in JSON: PostgreSQL
    # refuses a NUL in text, and its record failed on every retry before replies were sanitised.
    receiver.answer(Answer(200, body=b'{"ok":"\x00\xed\xa0\x80","s":"\\ud800"}'))
    delivery_id = await delivery_to(sessions, receiver.url)

    assert await deliver(sessions, delivery_id) == DeliveryResult(done=True)

    [attempt] = await attempts(sessions, delivery_id)
    assert attempt.response_body == '{"ok":"\ufffd\ufffd\ufffd\ufffd","s":"\\ud800"}'
    assert (await delivery_row(sessions, delivery_id)).status == "delivered"


async def test_abandoning_a_delivery_marks_it_abandoned_and_leaves_its_endpoint_enabled(
    sessions: async_sessionmaker[AsyncSession], receiver: WebhookReceiver
) -> None:
    delivery_id = await delivery_to(sessions, receiver.url)
    delivery = await delivery_row(sessions, delivery_id)
    activities = WebhookActivities(sessions, MAIL, 2.0, allow_private_urls=True)

    await ActivityEnvironment().run(
        activities.abandon_webhook_delivery, WebhookFailedInput(delivery.endpoint_id, delivery_id)
    )

    assert (await delivery_row(sessions, delivery_id)).status == "abandoned"
    async with sessions() as session:
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    assert endpoint is not None and endpoint.status == "enabled"
    assert receiver.received() == []


async def test_abandoning_a_delivery_delivered_meanwhile_leaves_it_delivered(
    sessions: async_sessionmaker[AsyncSession], receiver: WebhookReceiver
) -> None:
    delivery_id = await delivery_to(sessions, receiver.url)
    await deliver(sessions, delivery_id)
    delivery = await delivery_row(sessions, delivery_id)
    activities = WebhookActivities(sessions, MAIL, 2.0, allow_private_urls=True)

    await ActivityEnvironment().run(
        activities.abandon_webhook_delivery, WebhookFailedInput(delivery.endpoint_id, delivery_id)
    )

    assert (await delivery_row(sessions, delivery_id)).status == "delivered"
