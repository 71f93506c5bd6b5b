"""Webhook endpoints of a merchant: register (the signing secret is shown once), list, delete;
each endpoint's deliveries with their attempts, and sending one again."""

import uuid

from sqlalchemy import delete, select
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
from payinvoice.db.models import Merchant, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from payinvoice.db.outbox import Outgoing, enqueue_deliveries
from payinvoice.domain.errors import ErrorType, not_found
from payinvoice.outbound import check_saved_url
from payinvoice.settings import Settings
from payinvoice.webhooks import new_secret


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
            status=delivery.status, created_at=delivery.created_at, attempts=attempts[delivery.id],
        )
        for delivery, event in rows
    ]


async def create_endpoint(
    session: AsyncSession, settings: Settings, merchant: Merchant, body: WebhookEndpointIn
) -> WebhookEndpointCreated:
    """A new endpoint, enabled, with a fresh signing secret: the only time the secret is shown.
    Refused (`url_not_allowed`) when its URL is not https or its host is not a global address."""
    await check_saved_url(body.url, allow_private=settings.allow_private_urls)
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
    with a fresh retry window; even one that was delivered, or whose endpoint is disabled."""
    endpoint = await _own_endpoint(session, merchant, endpoint_id)
    found = await _deliveries(session, endpoint.id, limit=1, delivery_id=delivery_id)
    if not found:
        raise not_found(ErrorType.WEBHOOK_DELIVERY_NOT_FOUND)
    delivery = found[0]
    await enqueue_deliveries(
        client, settings.temporal_task_queue, Outgoing(endpoint.id, delivery.subject_id, [delivery.id]),
        day_seconds=settings.day_seconds, resend=True,
    )
    return delivery
