"""Prometheus metrics: the process's checkout counters and gauges of the read model, for the
holder of the metrics token or the admin key."""

from fastapi import APIRouter, Depends, Request, Response

from api.deps import SessionDep, require_metrics_reader
from payinvoice.observability import METRICS_CONTENT_TYPE, render_metrics

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_metrics_reader)])
async def metrics(request: Request, session: SessionDep) -> Response:
    """Text exposition format; aggregate labels only (statuses, currencies, stages), no ids. The
    read-model gauges come from the app's cache (`PAYINVOICE_METRICS_CACHE_SECONDS`)."""
    body = await render_metrics(request.app.state.metrics_gauges, session)
    return Response(body, media_type=METRICS_CONTENT_TYPE)
