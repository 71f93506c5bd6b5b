"""The resolver of payinvoice/outbound.py swapped for a table, so that a test decides what a
merchant's host name resolves to (a pure function: no DNS server, real or mocked)."""

import ipaddress
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from payinvoice import outbound
from payinvoice.outbound import IPAddress


def resolve_by_table(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> None:
    """From now on, a name resolves to its row of `table` (read at each look-up, so a test may
    change it between two calls); a name without one does not resolve; an IP literal is itself."""

    async def resolve_host(host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            return [ipaddress.ip_address(a) for a in table.get(host, [])]

    monkeypatch.setattr(outbound, "resolve_host", resolve_host)


def strict_api_resolving(table: dict[str, list[str]]) -> Any:
    """A fixture: the API as production runs it (private URLs not allowed), with host names
    resolved by `table`. In a test module: `strict_api = strict_api_resolving({...})`."""

    @pytest.fixture
    async def strict_api(
        api_factory: Callable[..., httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
    ) -> AsyncIterator[httpx.AsyncClient]:
        resolve_by_table(monkeypatch, table)
        async with api_factory(allow_private_urls=False) as client:
            yield client

    return strict_api
