"""Issue 20, deliveries that cannot wedge: an attempt whose record fails on every try is tried a
bounded number of times, then abandoned, and the subject's next delivery goes ahead; a delivery
queued again once attempted (an endpoint enabled again) is attempted again.

The attempt is a stand-in registered under the activity's name (the database would have to refuse
the record for ever); the workflow, the abandoning activity, the database and Temporal are real."""

import asyncio
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from activities.email import MailSettings
from activities.webhooks import WebhookActivities
from payinvoice.contracts import DeliverWebhookInput, DeliveryResult, webhook_delivery_workflow_id
from payinvoice.db.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from payinvoice.db.outbox import Outgoing, enqueue_deliveries
from payinvoice.settings import Settings
from tests.utils.histories import record_history
from tests.utils.rows import merchant_and_buyer
from tests.utils.waiting import eventually
from worker import workflow_runner
from workflows.webhook_delivery import ATTEMPT_TRIES, WebhookDeliveryWorkflow

MAIL = MailSettings("127.0.0.1", 1, "billing@payinvoice.test", "http://localhost:8000")
DAY = 1.0  # the attempt's retries are on the scale of the day: a few milliseconds apart here


async def deliveries_of_one_subject(sessions: async_sessionmaker[AsyncSession], count: int) -> Outgoing:
    """An endpoint and `count` deliveries to it of events about one buyer, straight in the database."""
    merchant, buyer = await merchant_and_buyer(sessions)
    endpoint = WebhookEndpoint(
        id=str(uuid.uuid4()), merchant_id=merchant.id, url="http://127.0.0.1:9/hooks", events=[],
        secret="whsec_" + "A" * 32, status="enabled",
    )
    outgoing = Outgoing(endpoint.id, buyer.id, [f"msg_{uuid.uuid4().hex}" for _ in range(count)])
    async with sessions.begin() as session:
        session.add(endpoint)
        for delivery_id in outgoing.delivery_ids:
            event = WebhookEvent(
                id=f"evt_{uuid.uuid4().hex}", merchant_id=merchant.id, type="buyer.credit_suspended",
                subject_id=buyer.id, body={"type": "buyer.credit_suspended", "data": {"id": buyer.id}},
            )
            session.add(event)
            await session.flush()
            session.add(WebhookDelivery(id=delivery_id, endpoint_id=endpoint.id, event_id=event.id))
    return outgoing


async def statuses(sessions: async_sessionmaker[AsyncSession], outgoing: Outgoing) -> list[str]:
    async with sessions() as session:
        return [(await session.get_one(WebhookDelivery, d)).status for d in outgoing.delivery_ids]


async def test_an_attempt_whose_record_always_fails_is_abandoned_after_its_tries_and_the_next_goes_ahead(
    temporal_client: Client, sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings],
) -> None:
    outgoing = await deliveries_of_one_subject(sessions, 2)
    poisoned, following = outgoing.delivery_ids
    tries: list[str] = []

    @activity.defn(name="deliver_webhook")
    async def record_refused(request: DeliverWebhookInput) -> DeliveryResult:
        tries.append(request.delivery_id)
        if request.delivery_id == poisoned:
            raise RuntimeError("invalid byte sequence for encoding UTF8: 0x00")  # what asyncpg said
        return DeliveryResult(done=True)

    real = WebhookActivities(sessions, MAIL, 1.0, allow_private_urls=True)
    queue = f"webhook-bounds-{uuid.uuid4()}"
    async with Worker(
        temporal_client, task_queue=queue, workflows=[WebhookDeliveryWorkflow],
        activities=[record_refused, real.abandon_webhook_delivery, real.disable_webhook_endpoint],
        workflow_runner=workflow_runner(settings_factory().workflow_sandbox),
    ):
        await enqueue_deliveries(temporal_client, queue, outgoing, day_seconds=DAY)
        workflow_id = webhook_delivery_workflow_id(outgoing.endpoint_id, outgoing.subject_id)
        await temporal_client.get_workflow_handle(workflow_id).result()
        await record_history(temporal_client, workflow_id, "webhook_abandoned_then_next_delivered")

    assert tries == [poisoned] * ATTEMPT_TRIES + [following]
    assert await statuses(sessions, outgoing) == ["abandoned", "pending"]  # the stand-in records nothing
    async with sessions() as session:
        assert (await session.get_one(WebhookEndpoint, outgoing.endpoint_id)).status == "enabled"


async def test_a_delivery_queued_again_is_attempted_again_unless_it_is_queued_or_being_attempted(
    temporal_client: Client, settings_factory: Callable[..., Settings]
) -> None:
    first, second = f"msg_{uuid.uuid4().hex}", f"msg_{uuid.uuid4().hex}"
    outgoing = Outgoing(str(uuid.uuid4()), str(uuid.uuid4()), [first, second])
    released = {first: asyncio.Event(), second: asyncio.Event()}
    started: list[str] = []

    @activity.defn(name="deliver_webhook")
    async def held(request: DeliverWebhookInput) -> DeliveryResult:
        started.append(request.delivery_id)
        await released[request.delivery_id].wait()
        return DeliveryResult(done=True)

    async def started_count(count: int) -> None:
        async def check() -> bool:
            return len(started) == count

        await eventually(check)

    queue = f"webhook-requeue-{uuid.uuid4()}"

    async def again(*delivery_ids: str) -> None:
        batch = Outgoing(outgoing.endpoint_id, outgoing.subject_id, list(delivery_ids))
        await enqueue_deliveries(temporal_client, queue, batch, day_seconds=DAY)

    async with Worker(
        temporal_client, task_queue=queue, workflows=[WebhookDeliveryWorkflow], activities=[held],
        workflow_runner=workflow_runner(settings_factory().workflow_sandbox),
    ):
        await enqueue_deliveries(temporal_client, queue, outgoing, day_seconds=DAY)
        await started_count(1)
        await again(first, second)  # being attempted, and queued: both ignored
        released[first].set()
        await started_count(2)
        await again(first)  # attempted already: queued again
        released[second].set()
        workflow_id = webhook_delivery_workflow_id(outgoing.endpoint_id, outgoing.subject_id)
        await temporal_client.get_workflow_handle(workflow_id).result()
        await record_history(temporal_client, workflow_id, "webhook_queued_again_after_its_attempt")

    assert started == [first, second, first]
