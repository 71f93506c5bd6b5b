"""Writers of one SQLite file take turns, first come first served (payinvoice/db/writers.py)."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from payinvoice.db.session import create_engine
from payinvoice.db.writers import waiting_writers
from tests.utils.waiting import eventually


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'writers.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE rows (writer TEXT)"))
    yield engine
    await engine.dispose()


async def write(engine: AsyncEngine, writer: str, order: list[str]) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO rows VALUES (:w)"), {"w": writer})
        order.append(writer)


async def test_a_second_writer_waits_for_the_first_to_commit(engine: AsyncEngine) -> None:
    order: list[str] = []
    async with engine.begin() as first:
        await first.execute(text("INSERT INTO rows VALUES ('first')"))
        second = asyncio.create_task(write(engine, "second", order))
        await asyncio.sleep(0.3)
        assert not second.done()
    await second
    assert order == ["second"]


def queued(engine: AsyncEngine, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return waiting_writers(str(engine.url.database)) >= count

    return check


async def test_writers_write_in_the_order_they_came(engine: AsyncEngine) -> None:
    order: list[str] = []
    async with engine.begin() as first:
        await first.execute(text("INSERT INTO rows VALUES ('first')"))
        writers = []
        for n in range(20):
            writers.append(asyncio.create_task(write(engine, f"w{n}", order)))
            await eventually(queued(engine, n + 1))  # in the queue: the next one may come
    await asyncio.gather(*writers)
    assert order == [f"w{n}" for n in range(20)]


async def test_a_rolled_back_writer_ends_its_turn(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO rows VALUES ('undone')"))
            raise RuntimeError("the request failed")
    await asyncio.wait_for(write(engine, "next", []), timeout=5)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT writer FROM rows"))).scalars().all() == ["next"]


async def test_readers_do_not_wait_for_a_writer(engine: AsyncEngine) -> None:
    async with engine.begin() as writer:
        await writer.execute(text("INSERT INTO rows VALUES ('pending')"))
        async with engine.connect() as reader:
            read = reader.execute(text("SELECT count(*) FROM rows"))
            assert (await asyncio.wait_for(read, timeout=5)).scalar() == 0
