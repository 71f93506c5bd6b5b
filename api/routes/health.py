"""Liveness and readiness, for load balancers and docker-compose health checks."""

import logging
from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.deps import SessionDep, TemporalDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])

CHECK_TIMEOUT = timedelta(seconds=2)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "The database or Temporal does not answer (the body names which)."}},
)
async def readyz(session: SessionDep, client: TemporalDep) -> JSONResponse:
    """The database and Temporal answer; 503 naming what does not."""
    checks = {"database": "ok", "temporal": "ok"}
    try:
        await session.execute(text("SELECT 1"))
    except Exception:  # any failure means not ready
        log.warning("readiness: database unavailable", exc_info=True)
        checks["database"] = "unavailable"
    try:
        await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=CHECK_TIMEOUT)
    except Exception:
        log.warning("readiness: Temporal unavailable", exc_info=True)
        checks["temporal"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "unavailable", **checks}
    return JSONResponse(body, status_code=200 if ready else 503)
