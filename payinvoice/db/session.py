"""Engine and session factory for SQLite (default) and PostgreSQL."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from payinvoice.codec import Keyring
from payinvoice.db.sealed import use_keyring
from payinvoice.db.writers import queue_writers


def create_engine(
    database_url: str, pool_size: int = 10, max_overflow: int = 20, *, keyring: Keyring | None = None,
    **kwargs: Any,
) -> AsyncEngine:
    """`keyring` seals the secret columns (payinvoice/db/sealed.py): entrypoints pass
    `keyring_from_settings(settings)`; without one they are stored as they come."""
    engine = _create_engine(database_url, pool_size, max_overflow, **kwargs)
    use_keyring(engine.sync_engine.dialect, keyring)
    return engine


def _create_engine(database_url: str, pool_size: int, max_overflow: int, **kwargs: Any) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        # Several processes (API, worker) share the file: WAL lets readers run beside the
        # writer, writers of one process take turns (payinvoice/db/writers.py), and the busy
        # timeout makes those of different processes wait instead of failing.
        # The same pool as PostgreSQL's: WAL readers run in parallel, and with the default 5 + 10
        # a burst of checkouts waiting on the writer left none for reads (500s under load).
        engine = create_async_engine(
            database_url, connect_args={"timeout": 30}, pool_size=pool_size, max_overflow=max_overflow,
            **kwargs,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        queue_writers(engine)
        return engine
    return create_async_engine(database_url, pool_size=pool_size, max_overflow=max_overflow, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def dialect_insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT that knows ON CONFLICT, for whichever backend the session talks to."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)
