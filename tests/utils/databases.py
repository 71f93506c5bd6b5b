"""Databases of their own, for tests that touch every row of a table (resealing the secrets) or
migrate step by step: on the backend of the session's `database_url`, built by the real migrations."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import make_url, text

from payinvoice.codec import Keyring
from payinvoice.db.session import create_engine

ROOT = Path(__file__).resolve().parent.parent.parent


def _config(url: str, keyring: Keyring | None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["keyring"] = keyring  # what env.py gives the engine the migrations run on
    config.attributes["configure_logging"] = False
    return config


async def migrate(url: str, revision: str = "head", keyring: Keyring | None = None) -> None:
    await asyncio.to_thread(command.upgrade, _config(url, keyring), revision)


async def downgrade(url: str, revision: str, keyring: Keyring | None = None) -> None:
    await asyncio.to_thread(command.downgrade, _config(url, keyring), revision)


@asynccontextmanager
async def empty_database(like: str, directory: Path) -> AsyncIterator[str]:
    """The URL of a new empty database on the server of `like` (a file beside the others for
    SQLite), dropped afterwards."""
    if like.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{directory / f'own-{uuid.uuid4().hex[:12]}.db'}"
        return
    name = f"payinvoice_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(like, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(like).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
