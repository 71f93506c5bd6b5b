"""The Stripe adapter: the merchant stores its webhook endpoint secret; Stripe posts events to the
merchant's own URL, authenticated by `Stripe-Signature` alone (no API key), and each event is
applied once (services/stripe_events.py)."""

from datetime import datetime

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from payinvoice.contracts.schemas import Strict, StripeEventOut
from payinvoice.db.models import Merchant
from services import stripe_events, stripe_settings

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


def _out(merchant: Merchant, updated_at: datetime | None) -> StripeIntegrationOut:
    return StripeIntegrationOut(
        configured=updated_at is not None, events_path=EVENTS_PATH.format(merchant_id=merchant.id),
        updated_at=updated_at,
    )


@router.put("", response_model=StripeIntegrationOut)
async def put_stripe(
    body: StripeIntegrationIn, session: SessionDep, merchant: CurrentMerchant
) -> StripeIntegrationOut:
    return _out(merchant, await stripe_settings.set_webhook_secret(session, merchant, body.webhook_secret))


@router.get("", response_model=StripeIntegrationOut)
async def get_stripe(session: SessionDep, merchant: CurrentMerchant) -> StripeIntegrationOut:
    return _out(merchant, await stripe_settings.webhook_secret_set_at(session, merchant))


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_stripe(session: SessionDep, merchant: CurrentMerchant) -> Response:
    await stripe_settings.remove_webhook_secret(session, merchant)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


_EVENT_DOC = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
    "parameters": [{
        "name": stripe_events.SIGNATURE_HEADER, "in": "header", "required": True,
        "schema": {"type": "string"},
        "description": "Stripe's signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">",
    }],
}  # fmt: skip


@router.post(
    "/events/{merchant_id}", response_model=StripeEventOut, openapi_extra=_EVENT_DOC,
    responses={401: {"description": "`invalid_signature`: not signed with this endpoint's secret."}},
)
async def receive_event(
    merchant_id: str, request: Request, session: SessionDep, client: TemporalDep, settings: SettingsDep
) -> StripeEventOut:
    """Stripe's webhook: no API key, the signature over the raw body is the authentication."""
    raw, signature = await request.body(), request.headers.get(stripe_events.SIGNATURE_HEADER)
    return await stripe_events.receive_event(
        client, session, merchant_id, raw, signature, settings.message_timeout_seconds
    )
