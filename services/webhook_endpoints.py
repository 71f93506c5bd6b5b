"""Webhook endpoints of a merchant: register (the signing secret is shown once, at most
PAYINVOICE_WEBHOOK_MAX_ENDPOINTS of them), list, delete, enable again once disabled (with what it
missed meanwhile); each endpoint's deliveries with their attempts, and sending one again (at most
PAYINVOICE_WEBHOOK_MAX_RESENDS times)."""

import asyncio
import uuid

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from payinvoice.contracts.schemas import (
    ALL_EVENTS,
    AttemptOut,
    DeliveryList,
    DeliveryOut,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointList,
    WebhookEndpointOut,
)
from payinvoice.contracts.schemas.webhooks import WebhookEndpointEnabled
from payinvoice.db.models import (
    Merchant,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from payinvoice.db.outbox import Outgoing, enqueue_deliveries
from payinvoice.domain.errors import ErrorType, Refusal, not_found
from payinvoice.outbound import check_saved_url
from payinvoice.settings import Settings
from payinvoice.webhooks import new_secret

# Subjects (invoices, buyers) whose missed deliveries are handed to their workflows at once when
# an endpoint is enabled again: each subject's own stay in order, different subjects never wait
# for each other.
ENQUEUE_AT_ONCE = 20


def _out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut(
        id=endpoint.id, url=endpoint.url, events=endpoint.events or [ALL_EVENTS], status=endpoint.status,
        disabled_at=endpoint.disabled_at, created_at=endpoint.created_at,
    )


async def _own_endpoint(session: AsyncSession, merchant: Merchant, endpoint_id: str) -> WebhookEndpoint:
    """Another merchant's endpoint is reported missing, not forbidden."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.merchant_id != merchant.id:
        raise not_found(ErrorType.WEBHOOK_ENDPOINT_NOT_FOUND)
    return endpoint


async def _deliveries(
    session: AsyncSession, endpoint_id: str, *, limit: int, delivery_id: str | None = None
) -> list[DeliveryOut]:
    query = (
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
    )
    if delivery_id is not None:
        query = query.where(WebhookDelivery.id == delivery_id)
    rows = (await session.execute(query)).all()
    attempts: dict[str, list[AttemptOut]] = {delivery.id: [] for delivery, _ in rows}
    for attempt in await session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(list(attempts)))
        .order_by(WebhookAttempt.id)
    ):
        attempts[attempt.delivery_id].append(
            AttemptOut(
                status_code=attempt.status_code, response_body=attempt.response_body, error=attempt.error,
                attempted_at=attempt.attempted_at,
            )
        )
    return [
        DeliveryOut(
            id=delivery.id, event_id=event.id, type=event.type, subject_id=event.subject_id,
            status=delivery.status, resends=delivery.resends, created_at=delivery.created_at,
            attempts=attempts[delivery.id],
        )
        for delivery, event in rows
    ]


async def create_endpoint(
    session: AsyncSession, settings: Settings, merchant: Merchant, body: WebhookEndpointIn
) -> WebhookEndpointCreated:
    """A new endpoint, enabled, with a fresh signing secret: the only time the secret is shown.
    Refused (`url_not_allowed`) when its URL is not https or its host is not a global address,
    and (`too_many_endpoints`) when the merchant has PAYINVOICE_WEBHOOK_MAX_ENDPOINTS already."""
    await check_saved_url(body.url, allow_private=settings.allow_private_urls)
    # The merchant's row is locked (PostgreSQL; SQLite writes one at a time): two registrations
    # at once cannot both pass the count.
    # NO KEY UPDATE: serialises registrations without blocking the inserts that reference the
    # merchant (their foreign keys take KEY SHARE locks).
    locked = select(Merchant.id).where(Merchant.id == merchant.id).with_for_update(key_share=True)
    await session.execute(locked)
    count = await session.scalar(
        select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.merchant_id == merchant.id)
    )
    if (count or 0) >= settings.webhook_max_endpoints:
        raise Refusal(
            ErrorType.TOO_MANY_ENDPOINTS,
            f"a merchant has at most {settings.webhook_max_endpoints} webhook endpoints: delete one first",
        )
    endpoint = WebhookEndpoint(
        id=str(uuid.uuid4()), merchant_id=merchant.id, url=body.url, events=body.events,
        secret=new_secret(), status="enabled",
    )
    session.add(endpoint)
    await session.commit()
    return WebhookEndpointCreated(**_out(endpoint).model_dump(), secret=endpoint.secret)


async def list_endpoints(session: AsyncSession, merchant: Merchant) -> WebhookEndpointList:
    endpoints = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.merchant_id == merchant.id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return WebhookEndpointList(data=[_out(e) for e in endpoints])


async def get_endpoint(session: AsyncSession, merchant: Merchant, endpoint_id: str) -> WebhookEndpointOut:
    return _out(await _own_endpoint(session, merchant, endpoint_id))


async def delete_endpoint(session: AsyncSession, merchant: Merchant, endpoint_id: str) -> None:
    """Stops deliveries at once; the endpoint's deliveries and attempts go with it."""
    endpoint = await _own_endpoint(session, merchant, endpoint_id)
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id))
    await session.commit()


async def list_deliveries(
    session: AsyncSession, merchant: Merchant, endpoint_id: str, limit: int
) -> DeliveryList:
    """The endpoint's deliveries, newest first, each with its attempts and the answers."""
    endpoint = await _own_endpoint(session, merchant, endpoint_id)
    return DeliveryList(data=await _deliveries(session, endpoint.id, limit=limit))


async def retry_delivery(
    client: Client, session: AsyncSession, settings: Settings, merchant: Merchant, endpoint_id: str,
    delivery_id: str,
) -> DeliveryOut:
    """Send the delivery again (same webhook-id), after what is queued for its invoice or buyer,
    with a fresh retry window; even one that was delivered, or whose endpoint is disabled. At
    most PAYINVOICE_WEBHOOK_MAX_RESENDS times (`too_many_resends`): each one can keep its
    subject's later events waiting for a whole window."""
    endpoint = await _own_endpoint(session, merchant, endpoint_id)
    found = await _deliveries(session, endpoint.id, limit=1, delivery_id=delivery_id)
    if not found:
        raise not_found(ErrorType.WEBHOOK_DELIVERY_NOT_FOUND)
    delivery = found[0]
    # Counted in one statement (concurrent resends cannot both take the last one), and committed
    # only once queued: a resend that could not be queued is not counted.
    counted = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.resends < settings.webhook_max_resends)
        .values(resends=WebhookDelivery.resends + 1)
    )
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        raise Refusal(
            ErrorType.TOO_MANY_RESENDS,
            f"delivery {delivery.id} was sent again {settings.webhook_max_resends} times already",
        )
    await enqueue_deliveries(
        client, settings.temporal_task_queue, Outgoing(endpoint.id, delivery.subject_id, [delivery.id]),
        day_seconds=settings.day_seconds, resend=True,
    )
    await session.commit()
    return delivery.model_copy(update={"resends": delivery.resends + 1})


async def enable_endpoint(
    client: Client, session: AsyncSession, settings: Settings, merchant: Merchant, endpoint_id: str
) -> WebhookEndpointEnabled:
    """Turn a disabled endpoint on again, and deliver what it missed while disabled, oldest event
    first for each invoice or buyer: its failed deliveries (the one that disabled it, those
    skipped since, and those of the events recorded while it was disabled: `db/outbox.py`).

    Calling it again changes nothing and sends nothing twice: what it queues is only what is
    pending, which the delivery workflow skips while it is queued or being sent, and the attempt
    skips once delivered. So a call that failed after enabling the endpoint (Temporal away) is
    completed by calling again, as is a delivery a race left failed (an event recorded as the
    endpoint was being enabled)."""
    endpoint = await _own_endpoint(session, merchant, endpoint_id)
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.status == "disabled")
        .values(status="enabled", disabled_at=None)
    )
    missed = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "failed")
        .values(status="pending")
    )
    redelivered: int = missed.rowcount  # type: ignore[attr-defined]
    await session.commit()
    await session.refresh(endpoint)
    pending = await _pending(session, endpoint.id)
    queue, day = settings.temporal_task_queue, settings.day_seconds
    for start in range(0, len(pending), ENQUEUE_AT_ONCE):
        batch = pending[start : start + ENQUEUE_AT_ONCE]
        await asyncio.gather(*(enqueue_deliveries(client, queue, o, day_seconds=day) for o in batch))
    return WebhookEndpointEnabled(**_out(endpoint).model_dump(), redelivered=redelivered)


async def _pending(session: AsyncSession, endpoint_id: str) -> list[Outgoing]:
    """The endpoint's pending deliveries, one batch per subject, each in the order its events
    were recorded (the events of one change share their instant: `seq` orders them)."""
    rows = await session.execute(
        select(WebhookDelivery.id, WebhookEvent.subject_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
        .order_by(WebhookEvent.created_at, WebhookEvent.seq, WebhookEvent.id)
    )
    outgoing: dict[str, Outgoing] = {}
    for delivery, subject in rows.all():
        outgoing.setdefault(subject, Outgoing(endpoint_id, subject, [])).delivery_ids.append(delivery)
    return list(outgoing.values())
