"""Webhook endpoints, their deliveries, and Stripe's events."""

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from payinvoice.contracts.schemas.base import Strict, http_url
from payinvoice.webhooks import EVENT_TYPES

# Webhook endpoints

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
    status: str = Field(
        description="enabled | disabled (a delivery failed for its whole retry window; "
        "POST /v1/webhook-endpoints/{id}/enable turns it on again)"
    )
    disabled_at: datetime | None
    created_at: datetime


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(description="whsec_… (Standard Webhooks); shown once.")


class WebhookEndpointEnabled(WebhookEndpointOut):
    redelivered: int = Field(
        description="Deliveries it missed while disabled, queued again by this call, oldest event "
        "first (0 when it was enabled already)."
    )


class WebhookEndpointList(BaseModel):
    data: list[WebhookEndpointOut]


class AttemptOut(BaseModel):
    status_code: int | None
    response_body: str = Field(
        description="The start of a 2xx answer (at most 200 characters); empty for any other answer."
    )
    error: str | None = Field(
        description="timeout, ConnectError, url not allowed, … when there was no answer."
    )
    attempted_at: datetime


class DeliveryOut(BaseModel):
    id: str = Field(description="The webhook-id header of every attempt.")
    event_id: str
    type: str
    subject_id: str
    status: str = Field(
        description="pending | retrying | delivered | failed (its endpoint was disabled) | abandoned "
        "(its attempt could not be recorded; a retry on request tries it again)"
    )
    resends: int = Field(0, description="Times sent again on request (POST .../retry), capped.")
    created_at: datetime
    attempts: list[AttemptOut] = Field(description="Oldest first.")


class DeliveryList(BaseModel):
    data: list[DeliveryOut]


# Stripe


class StripeEventOut(BaseModel):
    received: bool = True
    event_id: str
    type: str
    duplicate: bool = Field(description="This event id was received before: nothing is applied twice.")
    applied: bool = Field(description="Whether the event's money reached an invoice.")
    outcome: str = Field(description="applied | queued | unmatched | refused | ignored")
    reason: str | None = Field(description="Why it was not applied.")
    invoice_id: str | None
