"""`payinvoice reseal-secrets` on a database of its own (it rewrites every secret it holds): after a
rotation, every secret ends up sealed under the new key and still reads the same."""

import base64
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.main import run
from payinvoice.codec import Keyring, key_id
from payinvoice.db.models import Merchant, WebhookEndpoint
from payinvoice.db.sealed import sealed_key_id
from payinvoice.db.session import create_engine, create_sessionmaker
from payinvoice.settings import Settings
from tests.utils.databases import empty_database, migrate

OLD_KEY, NEW_KEY = os.urandom(32), os.urandom(32)


def settings(url: str, current: bytes | None, *old: bytes) -> Settings:
    """Explicit keys, so that a key in the environment running the tests changes nothing here."""
    old_keys = ",".join(base64.b64encode(key).decode() for key in old)
    return Settings(
        database_url=url,
        encryption_key=SecretStr(base64.b64encode(current).decode()) if current else None,
        encryption_old_keys=SecretStr(old_keys) if old_keys else None,
    )


@pytest.fixture
async def own_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    async with empty_database(database_url, tmp_path) as url:
        await migrate(url)
        yield url


async def save_endpoint(url: str, keyring: Keyring | None, secret: str) -> str:
    """A merchant and a webhook endpoint whose secret the engine seals with `keyring` (or not)."""
    engine = create_engine(url, keyring=keyring)
    sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(engine)
    merchant = Merchant(id=str(uuid.uuid4()), name="Rotating GmbH")
    endpoint = WebhookEndpoint(
        id=str(uuid.uuid4()), merchant_id=merchant.id, url="https://hooks.example/in", events=[],
        secret=secret, status="enabled",
    )
    async with sessions.begin() as session:
        session.add(merchant)
        await session.flush()
        session.add(endpoint)
    await engine.dispose()
    return endpoint.id


async def stored_secret(url: str, endpoint_id: str) -> str:
    engine = create_engine(url)
    async with engine.connect() as conn:
        query = text("SELECT secret FROM webhook_endpoints WHERE id = :id")
        stored = (await conn.execute(query, {"id": endpoint_id})).scalar_one()
    await engine.dispose()
    return stored


async def read_secret(url: str, keyring: Keyring, endpoint_id: str) -> str:
    engine = create_engine(url, keyring=keyring)
    async with create_sessionmaker(engine)() as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
    await engine.dispose()
    assert endpoint is not None
    return endpoint.secret


async def test_reseal_puts_a_secret_under_an_old_key_under_the_new_one(own_url: str) -> None:
    endpoint_id = await save_endpoint(own_url, Keyring.from_keys(OLD_KEY), "whsec_rotated")

    status, output = await run(["reseal-secrets"], settings(own_url, NEW_KEY, OLD_KEY))

    assert status == 0 and output["key_id"] == key_id(NEW_KEY)
    assert output["resealed"]["webhook_endpoints.secret"] == 1
    assert sealed_key_id(await stored_secret(own_url, endpoint_id)) == key_id(NEW_KEY)


async def test_a_resealed_secret_reads_the_same_with_the_new_key_alone(own_url: str) -> None:
    endpoint_id = await save_endpoint(own_url, Keyring.from_keys(OLD_KEY), "whsec_rotated")

    await run(["reseal-secrets"], settings(own_url, NEW_KEY, OLD_KEY))

    assert await read_secret(own_url, Keyring.from_keys(NEW_KEY), endpoint_id) == "whsec_rotated"


async def test_reseal_seals_a_secret_stored_in_clear(own_url: str) -> None:
    endpoint_id = await save_endpoint(own_url, None, "whsec_in_clear")

    await run(["reseal-secrets"], settings(own_url, NEW_KEY))

    stored = await stored_secret(own_url, endpoint_id)
    assert "whsec_in_clear" not in stored and sealed_key_id(stored) == key_id(NEW_KEY)


async def test_reseal_a_second_time_rewrites_nothing(own_url: str) -> None:
    endpoint_id = await save_endpoint(own_url, Keyring.from_keys(OLD_KEY), "whsec_rotated")
    await run(["reseal-secrets"], settings(own_url, NEW_KEY, OLD_KEY))
    first = await stored_secret(own_url, endpoint_id)

    status, output = await run(["reseal-secrets"], settings(own_url, NEW_KEY, OLD_KEY))

    assert status == 0 and set(output["resealed"].values()) == {0}
    assert await stored_secret(own_url, endpoint_id) == first


async def test_reseal_covers_every_secret_column(own_url: str) -> None:
    status, output = await run(["reseal-secrets"], settings(own_url, NEW_KEY))

    assert status == 0 and set(output["resealed"]) == {
        "api_keys.signing_secret", "credit_check_settings.secret", "stripe_integrations.webhook_secret",
        "webhook_endpoints.secret",
    }


async def test_reseal_without_an_encryption_key_is_refused(own_url: str) -> None:
    status, output = await run(["reseal-secrets"], settings(own_url, None))

    assert status == 2 and "PAYINVOICE_ENCRYPTION_KEY" in output["error"]


async def test_reseal_of_a_secret_under_a_key_no_longer_held_is_refused_naming_its_key_id(
    own_url: str,
) -> None:
    await save_endpoint(own_url, Keyring.from_keys(OLD_KEY), "whsec_orphaned")

    status, output = await run(["reseal-secrets"], settings(own_url, NEW_KEY))

    assert status == 2 and key_id(OLD_KEY) in output["error"]


async def test_a_processor_key_made_by_the_cli_is_stored_sealed(own_url: str) -> None:
    keyed = settings(own_url, NEW_KEY)
    _, merchant = await run(["create-merchant", "Sealed Widgets"], keyed)

    _, key = await run(["create-key", merchant["id"], "processor"], keyed)

    engine = create_engine(own_url)
    async with engine.connect() as conn:
        query = text("SELECT signing_secret FROM api_keys WHERE id = :id")
        stored = (await conn.execute(query, {"id": key["id"]})).scalar_one()
    await engine.dispose()
    assert key["signing_secret"] not in stored and sealed_key_id(stored) == key_id(NEW_KEY)

