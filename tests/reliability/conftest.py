"""The reliability suite (issue 8): `make test` runs it short, `make test-reliability` in full
(`PAYINVOICE_RELIABILITY=full`), with more generated examples per operation."""

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from dev.ports import free_port
from tests.utils.factories import auth, checkout, create_buyer, create_merchant

HERE = Path(__file__).resolve().parent
FULL = os.environ.get("PAYINVOICE_RELIABILITY", "").lower() == "full"


def scaled(short: int, full: int) -> int:
    """`short` in `make test`, `full` in `make test-reliability`."""
    return full if FULL else short


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.reliability)


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free 127.0.0.1 port, on the tests' own event loop (where the
    worker, the DB engine and the Temporal client live), and yield its base URL."""
    # Keep-alive longer than httpx's (5 s, uvicorn's default too): otherwise the server may close
    # an idle connection just as the client reuses it (httpx.ReadError under load).
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), lifespan="off", log_level="warning", timeout_keep_alive=60
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await task


class Tenant:
    """A merchant with a buyer and an open invoice, made through the public API."""

    def __init__(self, key: str, buyer: dict[str, Any], invoice: dict[str, Any]) -> None:
        self.key, self.buyer, self.invoice = key, buyer, invoice

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.key)


async def make_tenant(api: httpx.AsyncClient, name: str = "Tenant GmbH") -> Tenant:
    key = await create_merchant(api, name)
    buyer = await create_buyer(api, key, credit_limit="100000.00")
    response = await checkout(api, key, buyer["id"])
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "open", response.text
    return Tenant(key, buyer, response.json())


@pytest.fixture
def app(app_factory: Callable[..., FastAPI]) -> FastAPI:
    return app_factory()
