"""Migration 0015 on a database of its own: the secrets stored in clear before it are sealed when a
key is configured, and its downgrade puts them back in clear."""

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from payinvoice.codec import Keyring, key_id
from payinvoice.db.sealed import sealed_key_id
from payinvoice.db.session import create_engine
from tests.utils.databases import downgrade, empty_database, migrate

KEYRING = Keyring.from_keys(os.urandom(32))
ENDPOINT_SECRET = "whsec_stored_in_clear_before_0015"
SIGNING_SECRET = "pss_stored-in-clear-before-0015"

MERCHANTS = sa.table(
    "merchants", sa.column("id"), sa.column("name"), sa.column("last_invoice_number"),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
ENDPOINTS = sa.table(
    "webhook_endpoints", sa.column("id"), sa.column("merchant_id"), sa.column("url"),
    sa.column("events", sa.JSON), sa.column("secret"), sa.column("status"),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
KEYS = sa.table(
    "api_keys", sa.column("id"), sa.column("merchant_id"), sa.column("role"), sa.column("key_hash"),
    sa.column("signing_secret"), sa.column("created_at", sa.DateTime(timezone=True)),
)


@pytest.fixture
async def before_0015(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database at 0014 holding a webhook endpoint and a processor key, their secrets in clear."""
    async with empty_database(database_url, tmp_path) as url:
        await migrate(url, "0014")
        now, merchant_id = datetime.now(UTC), str(uuid.uuid4())
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(sa.insert(MERCHANTS).values(
                id=merchant_id, name="Before GmbH", last_invoice_number=0, created_at=now
            ))  # fmt: skip
            await conn.execute(sa.insert(ENDPOINTS).values(
                id="endpoint-1", merchant_id=merchant_id, url="https://hooks.example/in", events=[],
                secret=ENDPOINT_SECRET, status="enabled", created_at=now,
            ))  # fmt: skip
            await conn.execute(sa.insert(KEYS).values(
                id="key-1", merchant_id=merchant_id, role="processor", key_hash=uuid.uuid4().hex,
                signing_secret=SIGNING_SECRET, created_at=now,
            ))  # fmt: skip
        await engine.dispose()
        yield url


async def stored(url: str) -> tuple[str, str]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        endpoint = (await conn.execute(sa.select(ENDPOINTS.c.secret))).scalar_one()
        signing = (await conn.execute(sa.select(KEYS.c.signing_secret))).scalar_one()
    await engine.dispose()
    return endpoint, signing


async def test_upgrade_with_a_key_seals_the_secrets_stored_in_clear(before_0015: str) -> None:
    await migrate(before_0015, "0015", KEYRING)

    endpoint, signing = await stored(before_0015)
    assert ENDPOINT_SECRET not in endpoint and SIGNING_SECRET not in signing
    assert sealed_key_id(endpoint) == sealed_key_id(signing) == key_id(KEYRING.keys[KEYRING.current_key_id])


async def test_upgrade_without_a_key_leaves_the_secrets_as_they_are(before_0015: str) -> None:
    await migrate(before_0015, "0015")

    assert await stored(before_0015) == (ENDPOINT_SECRET, SIGNING_SECRET)


async def test_downgrade_puts_the_sealed_secrets_back_in_clear(before_0015: str) -> None:
    await migrate(before_0015, "0015", KEYRING)

    await downgrade(before_0015, "0014", KEYRING)

    assert await stored(before_0015) == (ENDPOINT_SECRET, SIGNING_SECRET)
