"""Helpers for the reports (`/v1/reports/...`): reading one, the yen invoice they total apart from
the euro ones, and the SQL statements a report runs."""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState

from api.deps import get_session
from tests.utils.factories import get_ok

# 2 x 5000 JPY + 10 % tax: an invoice of 11000 JPY, a currency without minor units.
JPY_LINES = [{"description": "Widget", "quantity": "2", "unit_price": "5000", "tax_rate": "10"}]


async def report(api: httpx.AsyncClient, key: str, path: str, **params: Any) -> dict[str, Any]:
    """The JSON report at `path` (with `params` as its query) as the merchant of `key` sees it."""
    return await get_ok(api, key, path, **params)


def _app(client: httpx.AsyncClient) -> FastAPI:
    return client._transport.app  # type: ignore[attr-defined]


@contextmanager
def statements_of(api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]) -> Iterator[list[str]]:
    """The SQL statements that the app of `api` runs through its request sessions while the block
    is open, in order; PostgreSQL's `SET LOCAL jit = off` of each report is left out."""
    statements: list[str] = []

    def count(state: ORMExecuteState) -> None:
        if not str(state.statement).startswith("SET "):
            statements.append(str(state.statement))

    async def counted_session() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            event.listen(session.sync_session, "do_orm_execute", count)
            yield session

    overrides = _app(api).dependency_overrides
    previous = overrides.get(get_session)
    overrides[get_session] = counted_session
    try:
        yield statements
    finally:
        if previous is None:
            del overrides[get_session]
        else:
            overrides[get_session] = previous
