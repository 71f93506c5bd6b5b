"""HTTP clients on the real app (conftest's `api_factory`) with settings of their own."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest


def api_with(**overrides: Any) -> Any:
    """A fixture: a client on an app whose settings take `overrides`. In a test module,
    `fast_api = api_with(day_seconds=DAY)` gives a day of DAY seconds in place of the shared
    fixtures' hour (frozen into each invoice at checkout)."""

    @pytest.fixture
    async def client(api_factory: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
        async with api_factory(**overrides) as client:
            yield client

    return client
