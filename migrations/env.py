"""Alembic environment: metadata from the models, URL from the settings (or the caller)."""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from payinvoice.codec import Keyring, keyring_from_settings
from payinvoice.db.models import Base
from payinvoice.db.session import create_engine
from payinvoice.settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def keyring() -> Keyring | None:
    """The keyring that seals the secrets (migration 0015): the caller's (None: no sealing), else
    the settings' (PAYINVOICE_ENCRYPTION_KEY and _OLD_KEYS)."""
    if "keyring" in config.attributes:
        return config.attributes["keyring"]
    return keyring_from_settings(get_settings())


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    # Batch mode lets later ALTERs work on SQLite too. There, one transaction per migration lets
    # a migration that rebuilds a referenced table switch foreign keys off before it begins.
    context.configure(
        connection=connection, target_metadata=target_metadata, compare_type=True, render_as_batch=True,
        transaction_per_migration=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_engine(database_url(), keyring=keyring())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
