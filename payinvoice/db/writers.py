"""One writer at a time per SQLite file, queued fairly in this process.

SQLite has one write lock per database, and a writer that finds it taken sleeps in SQLite's busy
handler (1 ms, 2 ms, ... up to 100 ms at a time) and tries again. With a burst of checkouts
(dozens of writers in the API and the worker) a sleeping writer kept losing the lock to those
that happened to wake at the right moment: decisions took a minute and some writers gave up
after the whole busy timeout ("database is locked"). Here a connection about to write first
takes an asyncio lock for its file, first come first served, and gives it back when its
transaction ends; SQLite's busy handler is left to arbitrate between processes only. PostgreSQL
has row locks and needs none of this.
"""

import asyncio
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

# How long a writer waits for its turn: SQLite's own busy timeout, after which it fails the same way.
WAIT_SECONDS = 30.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_HOLDS = "payinvoice_write_turn"

# A lock per event loop and database file: tests run several loops in one process.
_turns: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]]" = (
    weakref.WeakKeyDictionary()
)


def _turn(database: str) -> asyncio.Lock:
    return _turns.setdefault(asyncio.get_running_loop(), {}).setdefault(database, asyncio.Lock())


def waiting_writers(database: str) -> int:
    """How many writers of this loop wait for their turn at the SQLite file `database`."""
    turn = _turns.get(asyncio.get_running_loop(), {}).get(database)  # a look makes no lock
    waiters = getattr(turn, "_waiters", None)
    return len(waiters) if waiters else 0


def queue_writers(engine: AsyncEngine) -> None:
    """Take turns at writing to `engine`'s SQLite file (see the module's docstring)."""
    database = str(engine.url.database)

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _take_turn(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if _HOLDS in conn.info or not statement.lstrip().upper().startswith(_WRITES):
            return
        turn = _turn(database)
        try:
            await_only(asyncio.wait_for(turn.acquire(), WAIT_SECONDS))
        except TimeoutError:
            return  # SQLite's busy timeout decides, as without the queue
        conn.info[_HOLDS] = turn

    def _end_turn(conn: Any, *_: Any) -> None:
        _give_back(conn.info)

    event.listen(engine.sync_engine, "commit", _end_turn)
    event.listen(engine.sync_engine, "rollback", _end_turn)

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        """A connection back in the pool mid-transaction (rolled back by the pool) ends its turn."""
        if record is not None:
            _give_back(record.info)


def _give_back(info: dict[str, Any]) -> None:
    """End the turn a connection holds, if any (its `info` is shared with its pool record)."""
    turn = info.pop(_HOLDS, None)
    if turn is not None and turn.locked():
        turn.release()
