"""Prometheus metrics: the process's checkout counters and gauges of the read model."""

from fastapi import APIRouter, Response

from api.deps import SessionDep
from payinvoice.observability import METRICS_CONTENT_TYPE, render_metrics

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(session: SessionDep) -> Response:
    """Text exposition format; aggregate labels only (statuses, currencies, stages), no ids."""
    return Response(await render_metrics(session), media_type=METRICS_CONTENT_TYPE)
