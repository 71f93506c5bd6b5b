"""Liveness and readiness probes."""

from collections.abc import Callable

import httpx
from fastapi import FastAPI
from temporalio.client import Client

from api.deps import get_temporal
from dev.ports import free_port


async def test_healthz_answers_while_the_process_is_up(api: httpx.AsyncClient) -> None:
    response = await api.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_reports_the_database_and_temporal_reachable(api: httpx.AsyncClient) -> None:
    response = await api.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "temporal": "ok"}


async def test_readyz_answers_503_naming_temporal_when_it_does_not_answer(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory()
    nowhere = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)  # nothing listens there
    app.dependency_overrides[get_temporal] = lambda: nowhere
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as api:
        response = await api.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "temporal": "unavailable"}
