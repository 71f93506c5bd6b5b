"""The Stripe adapter: the merchant stores its webhook endpoint secret; Stripe posts events to the
merchant's own URL, authenticated by `Stripe-Signature` alone (no API key), and each event is
applied once (api/stripe_events.py)."""

from datetime import datetime

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import delete

from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from api.schemas import Strict
from api.stripe_events import APPLIED, SIGNATURE_HEADER, handle_event, record_event, verified_event
from payinvoice.db.models import Merchant, StripeEvent, StripeIntegration, utcnow
from payinvoice.db.session import dialect_insert

router = APIRouter(prefix="/v1/integrations/stripe", tags=["stripe"])

EVENTS_PATH = "/v1/integrations/stripe/events/{merchant_id}"


class StripeIntegrationIn(Strict):
    webhook_secret: str = Field(
        pattern=r"^whsec_[A-Za-z0-9]{16,194}$",
        description="The endpoint's signing secret from Stripe's dashboard (`whsec_…`); never shown again.",
    )


class StripeIntegrationOut(BaseModel):
    configured: bool = Field(description="Whether a webhook secret is stored (it is never shown).")
    events_path: str = Field(description="Register this path of the API's URL as the endpoint in Stripe.")
    updated_at: datetime | None


class StripeEventOut(BaseModel):
    received: bool = True
    event_id: str
    type: str
    duplicate: bool = Field(description="This event id was received before: nothing is applied twice.")
    applied: bool = Field(description="Whether the event's money reached an invoice.")
    outcome: str = Field(description="applied | queued | unmatched | refused | ignored")
    reason: str | None = Field(description="Why it was not applied.")
    invoice_id: str | None


def _out(merchant: Merchant, row: StripeIntegration | None) -> StripeIntegrationOut:
    return StripeIntegrationOut(
        configured=row is not None, events_path=EVENTS_PATH.format(merchant_id=merchant.id),
        updated_at=row.updated_at if row else None,
    )


@router.put("", response_model=StripeIntegrationOut)
async def put_stripe(
    body: StripeIntegrationIn, session: SessionDep, merchant: CurrentMerchant
) -> StripeIntegrationOut:
    now = utcnow()
    values = {"webhook_secret": body.webhook_secret, "updated_at": now}
    insert = dialect_insert(session, StripeIntegration).values(merchant_id=merchant.id, **values)
    await session.execute(
        insert.on_conflict_do_update(index_elements=[StripeIntegration.merchant_id], set_=values)
    )
    await session.commit()
    return StripeIntegrationOut(
        configured=True, events_path=EVENTS_PATH.format(merchant_id=merchant.id), updated_at=now
    )


@router.get("", response_model=StripeIntegrationOut)
async def get_stripe(session: SessionDep, merchant: CurrentMerchant) -> StripeIntegrationOut:
    return _out(merchant, await session.get(StripeIntegration, merchant.id))


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_stripe(session: SessionDep, merchant: CurrentMerchant) -> Response:
    await session.execute(delete(StripeIntegration).where(StripeIntegration.merchant_id == merchant.id))
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


_EVENT_DOC = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
    "parameters": [{
        "name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
        "description": "Stripe's signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">",
    }],
}  # fmt: skip


@router.post(
    "/events/{merchant_id}", response_model=StripeEventOut, openapi_extra=_EVENT_DOC,
    responses={400: {"description": "`invalid_signature`: not signed with this endpoint's secret."}},
)
async def receive_event(
    merchant_id: str, request: Request, session: SessionDep, client: TemporalDep, settings: SettingsDep
) -> StripeEventOut:
    """Stripe's webhook: no API key, the signature over the raw body is the authentication."""
    raw = await request.body()
    integration = await session.get(StripeIntegration, merchant_id)
    event = verified_event(
        raw, request.headers.get(SIGNATURE_HEADER), integration.webhook_secret if integration else None
    )
    merchant = await session.get(Merchant, merchant_id)
    assert merchant is not None  # the integration row's foreign key
    seen = await session.get(StripeEvent, (merchant.id, event["id"]))
    if seen is not None:
        return StripeEventOut(
            event_id=seen.event_id, type=seen.type, duplicate=True, applied=seen.outcome in APPLIED,
            outcome=seen.outcome, reason=seen.reason, invoice_id=seen.invoice_id,
        )
    outcome = await handle_event(client, session, merchant, event, settings.message_timeout_seconds)
    await record_event(session, merchant, event, outcome)
    return StripeEventOut(
        event_id=event["id"], type=event["type"], duplicate=False, applied=outcome.applied,
        outcome=outcome.outcome, reason=outcome.reason, invoice_id=outcome.invoice_id,
    )
