"""Liveness and readiness probes."""

import httpx


async def test_healthz_answers_while_the_process_is_up(api: httpx.AsyncClient) -> None:
    response = await api.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_reports_the_database_and_temporal_reachable(api: httpx.AsyncClient) -> None:
    response = await api.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "temporal": "ok"}
