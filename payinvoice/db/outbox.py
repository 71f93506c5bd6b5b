"""The webhook outbox, shared by the activities that report events.

An activity records its events in the transaction of the change they report (`record`), and
once that committed, hands them to the delivery workflows (`dispatch`, a signal-with-start per
endpoint). Merchants without a subscribed endpoint cost one indexed read and nothing else.
Both steps are safe to repeat: ids are derived from the cause, and the delivery workflow and
activity skip what they already sent.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from payinvoice.contracts import (
    WEBHOOK_DELIVERY_WORKFLOW,
    WEBHOOK_ENQUEUE_SIGNAL,
    EnqueueDeliveries,
    WebhookDeliveryInput,
    webhook_delivery_workflow_id,
)
from payinvoice.db.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from payinvoice.db.session import dialect_insert
from payinvoice.webhooks import delivery_id, event_id, subscribes


@dataclass
class Outgoing:
    """Deliveries recorded for one endpoint about one subject (invoice or buyer), in order."""

    endpoint_id: str
    subject_id: str
    delivery_ids: list[str]


class WebhookOutbox:
    def __init__(self, client: Client, public_url: str) -> None:
        self._client = client
        # Where the links in the payloads point (hosted invoice, PDF).
        self.public_url = public_url

    async def record(
        self, session: AsyncSession, *, merchant_id: str, subject_id: str, cause: str,
        types: list[str], data: Callable[[], Awaitable[dict[str, Any]]],
    ) -> list[Outgoing]:
        """Insert the events `types` (caused by `cause`) and their deliveries to every endpoint of
        the merchant subscribed to them; `data` renders the subject only if needed. A disabled
        endpoint's deliveries are recorded `failed` and not sent: enabling it again sends them
        (services/webhook_endpoints.py)."""
        if not types:
            return []
        endpoints = (
            await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.merchant_id == merchant_id))
        ).all()
        wanted = [(t, [e for e in endpoints if subscribes(e.events, t)]) for t in types]
        if not any(subscribed for _, subscribed in wanted):
            return []
        rendered = await data()
        now = utcnow()
        outgoing = {e.id: Outgoing(e.id, subject_id, []) for e in endpoints}
        for event_type, subscribed in wanted:
            if not subscribed:
                continue
            evt = event_id(cause, event_type)
            body = {"type": event_type, "created_at": now.isoformat(), "data": rendered}
            await session.execute(
                dialect_insert(session, WebhookEvent)
                .values(
                    id=evt, merchant_id=merchant_id, type=event_type, subject_id=subject_id, body=body,
                    created_at=now,
                )
                .on_conflict_do_nothing()
            )
            for endpoint in subscribed:
                msg = delivery_id(evt, endpoint.id)
                await session.execute(
                    dialect_insert(session, WebhookDelivery)
                    .values(
                        id=msg, endpoint_id=endpoint.id, event_id=evt, attempts=0, created_at=now,
                        status="pending" if endpoint.status == "enabled" else "failed",
                    )
                    .on_conflict_do_nothing()
                )
                if endpoint.status == "enabled":
                    outgoing[endpoint.id].delivery_ids.append(msg)
        return [o for o in outgoing.values() if o.delivery_ids]

    async def recorded(
        self, session: AsyncSession, *, subject_id: str, cause: str, types: list[str]
    ) -> list[Outgoing]:
        """What an earlier run of the same activity recorded: it may have stopped before its
        dispatch, and a retry that finds nothing left to change must still dispatch it."""
        events = [event_id(cause, t) for t in types]
        rows = (
            await session.execute(
                select(WebhookDelivery.endpoint_id, WebhookDelivery.id, WebhookDelivery.event_id).where(
                    WebhookDelivery.event_id.in_(events)
                )
            )
        ).all()
        outgoing: dict[str, Outgoing] = {}
        for row in sorted(rows, key=lambda r: events.index(r.event_id)):
            item = outgoing.setdefault(row.endpoint_id, Outgoing(row.endpoint_id, subject_id, []))
            item.delivery_ids.append(row.id)
        return list(outgoing.values())

    async def dispatch(self, outgoing: list[Outgoing], day_seconds: float, task_queue: str) -> None:
        """Queue the deliveries on the workflows of their endpoints (after the commit)."""
        for item in outgoing:
            await enqueue_deliveries(self._client, task_queue, item, day_seconds=day_seconds)


async def enqueue_deliveries(
    client: Client, task_queue: str, outgoing: Outgoing, *, day_seconds: float, resend: bool = False
) -> None:
    """Signal-with-start: append to the queue of the endpoint's workflow for the subject, and
    start that workflow if none is running."""
    await client.start_workflow(
        WEBHOOK_DELIVERY_WORKFLOW,
        WebhookDeliveryInput(outgoing.endpoint_id, outgoing.subject_id, day_seconds),
        id=webhook_delivery_workflow_id(outgoing.endpoint_id, outgoing.subject_id),
        task_queue=task_queue,
        start_signal=WEBHOOK_ENQUEUE_SIGNAL,
        start_signal_args=[EnqueueDeliveries(outgoing.delivery_ids, resend=resend)],
    )
