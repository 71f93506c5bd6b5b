"""Webhook endpoints: register (the signing secret is shown once), list, delete, enable again;
each endpoint's deliveries with their attempts, and resending one."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import CurrentMerchant, SessionDep, SettingsDep, TemporalDep
from payinvoice.contracts.schemas import (
    DeliveryList,
    DeliveryOut,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointList,
    WebhookEndpointOut,
)
from payinvoice.contracts.schemas.webhooks import WebhookEndpointEnabled
from services import webhook_endpoints

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookEndpointCreated)
async def create_endpoint(
    body: WebhookEndpointIn, session: SessionDep, merchant: CurrentMerchant, settings: SettingsDep
) -> WebhookEndpointCreated:
    return await webhook_endpoints.create_endpoint(session, settings, merchant, body)


@router.get("", response_model=WebhookEndpointList)
async def list_endpoints(session: SessionDep, merchant: CurrentMerchant) -> WebhookEndpointList:
    return await webhook_endpoints.list_endpoints(session, merchant)


@router.get("/{endpoint_id}", response_model=WebhookEndpointOut)
async def get_endpoint(
    endpoint_id: str, session: SessionDep, merchant: CurrentMerchant
) -> WebhookEndpointOut:
    return await webhook_endpoints.get_endpoint(session, merchant, endpoint_id)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_endpoint(endpoint_id: str, session: SessionDep, merchant: CurrentMerchant) -> Response:
    """Stops deliveries at once; the endpoint's deliveries and attempts go with it."""
    await webhook_endpoints.delete_endpoint(session, merchant, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/enable", response_model=WebhookEndpointEnabled)
async def enable_endpoint(
    endpoint_id: str, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep,
    settings: SettingsDep,
) -> WebhookEndpointEnabled:
    """Turn a disabled endpoint on again and deliver what it missed meanwhile, oldest event first;
    an endpoint enabled already is answered as it is, and nothing is sent twice."""
    return await webhook_endpoints.enable_endpoint(client, session, settings, merchant, endpoint_id)


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryList)
async def list_deliveries(
    endpoint_id: str, session: SessionDep, merchant: CurrentMerchant,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryList:
    """The endpoint's deliveries, newest first, each with its attempts and the answers."""
    return await webhook_endpoints.list_deliveries(session, merchant, endpoint_id, limit)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/retry", status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
)
async def retry_delivery(
    endpoint_id: str, delivery_id: str, session: SessionDep, merchant: CurrentMerchant,
    client: TemporalDep, settings: SettingsDep,
) -> DeliveryOut:
    """Send the delivery again (same webhook-id), after what is queued for its invoice or buyer,
    with a fresh retry window; even one that was delivered, or whose endpoint is disabled. At
    most PAYINVOICE_WEBHOOK_MAX_RESENDS times (409 `too_many_resends`)."""
    return await webhook_endpoints.retry_delivery(
        client, session, settings, merchant, endpoint_id, delivery_id
    )
