"""The resolver of payinvoice/outbound.py swapped for a table, so that a test decides what a
merchant's host name resolves to (a pure function: no DNS server, real or mocked)."""

import ipaddress

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
