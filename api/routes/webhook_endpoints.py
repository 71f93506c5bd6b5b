"""Webhook endpoints: register (the signing secret is shown once), list, delete; each endpoint's
deliveries with their attempts, and resending one."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.outbox import Outgoing, enqueue_deliveries
from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from api.errors import not_found
from api.routes.credit_check import http_url
from api.schemas import Strict
from payinvoice.db.models import Merchant, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from payinvoice.webhooks import EVENT_TYPES, new_secret

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])

ALL_EVENTS = "*"


class WebhookEndpointIn(Strict):
    url: str = Field(max_length=2000, examples=["https://shop.example/payinvoice/webhooks"])
    events: list[str] = Field(
        default_factory=list, max_length=50, examples=[["invoice.paid", "invoice.overdue"]],
        description='Event types to receive; omitted, [] or ["*"] means every type.',
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        if events == [ALL_EVENTS]:
            return []
        unknown = sorted(set(events) - EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)} or ['*']")
        return list(dict.fromkeys(events))


class WebhookEndpointOut(BaseModel):
    id: str
    url: str
    events: list[str] = Field(description='["*"] when subscribed to every type.')
    status: str = Field(description="enabled | disabled (a delivery failed for its whole retry window)")
    disabled_at: datetime | None
    created_at: datetime


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(description="whsec_… (Standard Webhooks); shown once.")


class WebhookEndpointList(BaseModel):
    data: list[WebhookEndpointOut]


class AttemptOut(BaseModel):
    status_code: int | None
    response_body: str = Field(description="The start of the answer (at most 1000 characters).")
    error: str | None = Field(description="timeout, ConnectError, … when there was no answer.")
    attempted_at: datetime


class DeliveryOut(BaseModel):
    id: str = Field(description="The webhook-id header of every attempt.")
    event_id: str
    type: str
    subject_id: str
    status: str = Field(description="pending | retrying | delivered | failed")
    created_at: datetime
    attempts: list[AttemptOut] = Field(description="Oldest first.")


class DeliveryList(BaseModel):
    data: list[DeliveryOut]


def _out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut(
        id=endpoint.id, url=endpoint.url, events=endpoint.events or [ALL_EVENTS], status=endpoint.status,
        disabled_at=endpoint.disabled_at, created_at=endpoint.created_at,
    )


async def _own_endpoint(session: AsyncSession, merchant: Merchant, endpoint_id: str) -> WebhookEndpoint:
    """Another merchant's endpoint is reported missing, not forbidden."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.merchant_id != merchant.id:
        raise not_found("webhook_endpoint")
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


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookEndpointCreated)
async def create_endpoint(
    body: WebhookEndpointIn, session: SessionDep, merchant: CurrentMerchant
) -> WebhookEndpointCreated:
    endpoint = WebhookEndpoint(
        id=str(uuid.uuid4()), merchant_id=merchant.id, url=body.url, events=body.events,
        secret=new_secret(), status="enabled",
    )
    session.add(endpoint)
    await session.commit()
    return WebhookEndpointCreated(**_out(endpoint).model_dump(), secret=endpoint.secret)


@router.get("", response_model=WebhookEndpointList)
async def list_endpoints(session: SessionDep, merchant: CurrentMerchant) -> WebhookEndpointList:
    endpoints = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.merchant_id == merchant.id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return WebhookEndpointList(data=[_out(e) for e in endpoints])


@router.get("/{endpoint_id}", response_model=WebhookEndpointOut)
async def get_endpoint(
    endpoint_id: str, session: SessionDep, merchant: CurrentMerchant
) -> WebhookEndpointOut:
    return _out(await _own_endpoint(session, merchant, endpoint_id))


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_endpoint(endpoint_id: str, session: SessionDep, merchant: CurrentMerchant) -> Response:
    """Stops deliveries at once; the endpoint's deliveries and attempts go with it."""
    endpoint = await _own_endpoint(session, merchant, endpoint_id)
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id))
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryList)
async def list_deliveries(
    endpoint_id: str, session: SessionDep, merchant: CurrentMerchant,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryList:
    """The endpoint's deliveries, newest first, each with its attempts and the answers."""
    endpoint = await _own_endpoint(session, merchant, endpoint_id)
    return DeliveryList(data=await _deliveries(session, endpoint.id, limit=limit))


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/retry", status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
)
async def retry_delivery(
    endpoint_id: str, delivery_id: str, session: SessionDep, merchant: CurrentMerchant,
    client: TemporalDep, settings: SettingsDep,
) -> DeliveryOut:
    """Send the delivery again (same webhook-id), after what is queued for its invoice or buyer,
    with a fresh retry window; even one that was delivered, or whose endpoint is disabled."""
    endpoint = await _own_endpoint(session, merchant, endpoint_id)
    found = await _deliveries(session, endpoint.id, limit=1, delivery_id=delivery_id)
    if not found:
        raise not_found("webhook_delivery")
    delivery = found[0]
    await enqueue_deliveries(
        client, settings.temporal_task_queue, Outgoing(endpoint.id, delivery.subject_id, [delivery.id]),
        day_seconds=settings.day_seconds, resend=True,
    )
    return delivery
