"""Secrets at rest (payinvoice/db/sealed.py) on a real database of their own: saved by the use
cases that save them, read raw with plain SQL, read back through the models."""

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.email import MailSettings
from activities.webhooks import WebhookActivities
from payinvoice.codec import Keyring, key_id
from payinvoice.contracts import DeliverWebhookInput, DeliveryResult
from payinvoice.contracts.schemas import CreditCheckSettingsIn, WebhookEndpointIn
from payinvoice.db.models import (
    ApiKey,
    Base,
    CreditCheckSettings,
    Merchant,
    StripeIntegration,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from payinvoice.db.sealed import PREFIX, SealedString, SealedValueError, sealed_key_id
from payinvoice.db.session import create_engine, create_sessionmaker
from payinvoice.keys import Role, add_key
from payinvoice.settings import Settings
from services.credit_check import set_credit_check
from services.stripe_settings import set_webhook_secret
from services.webhook_endpoints import create_endpoint
from tests.utils.databases import empty_database, migrate
from tests.utils.webhook_receiver import WebhookReceiver

# One pair of keys for the module's database: every row in it is in clear or under one of them.
OLD_KEY, NEW_KEY = os.urandom(32), os.urandom(32)
KEYRING = Keyring.from_keys(OLD_KEY)
ROTATED = Keyring.from_keys(NEW_KEY, [OLD_KEY])
SETTINGS = Settings(allow_private_urls=True, encryption_key=None, encryption_old_keys=None)
MAIL = MailSettings("127.0.0.1", 1, "billing@payinvoice.test", "http://localhost:8000")

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
async def own_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with empty_database(database_url, tmp_path_factory.mktemp("sealed")) as url:
        await migrate(url)
        yield url


@asynccontextmanager
async def sessions_with(url: str, keyring: Keyring | None) -> AsyncIterator[Sessions]:
    engine = create_engine(url, keyring=keyring)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def sealed(own_url: str) -> AsyncIterator[Sessions]:
    async with sessions_with(own_url, KEYRING) as sessions:
        yield sessions


async def new_merchant(sessions: Sessions) -> Merchant:
    merchant = Merchant(id=str(uuid.uuid4()), name="Sealed GmbH")
    async with sessions.begin() as session:
        session.add(merchant)
    return merchant


# Each secret saved by the code that saves it; (its row's key, the secret in clear).
async def save_credit_check_secret(session: AsyncSession, merchant: Merchant) -> tuple[str, str]:
    secret = f"credit-{uuid.uuid4().hex}"
    body = CreditCheckSettingsIn(
        url="http://127.0.0.1:9/check", secret=secret, timeout_ms=1500, cache_days=7, on_error="review"
    )
    await set_credit_check(session, SETTINGS, merchant, body)
    return merchant.id, secret


async def save_webhook_endpoint_secret(session: AsyncSession, merchant: Merchant) -> tuple[str, str]:
    created = await create_endpoint(session, SETTINGS, merchant, WebhookEndpointIn(url="http://127.0.0.1:9/hooks"))
    return created.id, created.secret


async def save_signing_secret(session: AsyncSession, merchant: Merchant) -> tuple[str, str]:
    row, _, secret = add_key(session, merchant.id, Role.PROCESSOR)
    await session.commit()
    assert secret is not None
    return row.id, secret


async def save_stripe_secret(session: AsyncSession, merchant: Merchant) -> tuple[str, str]:
    secret = f"whsec_{uuid.uuid4().hex}"
    await set_webhook_secret(session, merchant, secret)
    return merchant.id, secret


Saver = Callable[[AsyncSession, Merchant], Awaitable[tuple[str, str]]]
# column -> (model, where its row is found, the saver)
SECRETS: dict[str, tuple[type[Base], str, Saver]] = {
    "credit_check_settings.secret": (CreditCheckSettings, "merchant_id", save_credit_check_secret),
    "webhook_endpoints.secret": (WebhookEndpoint, "id", save_webhook_endpoint_secret),
    "api_keys.signing_secret": (ApiKey, "id", save_signing_secret),
    "stripe_integrations.webhook_secret": (StripeIntegration, "merchant_id", save_stripe_secret),
}


async def save(sessions: Sessions, column: str) -> tuple[str, str]:
    merchant = await new_merchant(sessions)
    async with sessions() as session:
        return await SECRETS[column][2](session, merchant)


async def raw(sessions: Sessions, column: str, row_key: str) -> str:
    """The stored value, read with plain SQL (no model, no `SealedString`)."""
    table, name = column.split(".")
    where = SECRETS[column][1]
    async with sessions() as session:
        stored = await session.scalar(text(f"SELECT {name} FROM {table} WHERE {where} = :k"), {"k": row_key})
    assert isinstance(stored, str)
    return stored


async def write_raw(sessions: Sessions, column: str, row_key: str, value: str) -> None:
    table, name = column.split(".")
    where = SECRETS[column][1]
    async with sessions.begin() as session:
        update = text(f"UPDATE {table} SET {name} = :v WHERE {where} = :k")
        await session.execute(update, {"v": value, "k": row_key})


async def read(sessions: Sessions, column: str, row_key: str) -> str | None:
    """The secret as the application reads it: through its model."""
    model = SECRETS[column][0]
    async with sessions() as session:
        row = await session.get(model, row_key)
        assert row is not None
        return getattr(row, column.split(".")[1])


@pytest.mark.parametrize("column", SECRETS)
async def test_a_saved_secret_is_not_in_clear_in_its_row(sealed: Sessions, column: str) -> None:
    row_key, secret = await save(sealed, column)

    stored = await raw(sealed, column, row_key)

    assert secret not in stored
    assert stored.startswith(f"{PREFIX}{key_id(OLD_KEY)}:")


@pytest.mark.parametrize("column", SECRETS)
async def test_a_saved_secret_reads_back_equal(sealed: Sessions, column: str) -> None:
    row_key, secret = await save(sealed, column)

    assert await read(sealed, column, row_key) == secret


async def test_a_legacy_plaintext_row_is_read_as_is(sealed: Sessions) -> None:
    column = "api_keys.signing_secret"
    row_key, _ = await save(sealed, column)
    await write_raw(sealed, column, row_key, "pss_written-before-sealing")

    assert await read(sealed, column, row_key) == "pss_written-before-sealing"


async def test_a_row_sealed_under_an_old_key_still_reads_after_rotation(
    sealed: Sessions, own_url: str
) -> None:
    column = "stripe_integrations.webhook_secret"
    row_key, secret = await save(sealed, column)

    async with sessions_with(own_url, ROTATED) as rotated:
        assert await read(rotated, column, row_key) == secret


async def test_after_rotation_a_secret_saved_is_sealed_under_the_new_key(own_url: str) -> None:
    column = "credit_check_settings.secret"
    async with sessions_with(own_url, ROTATED) as rotated:
        row_key, _ = await save(rotated, column)

        assert sealed_key_id(await raw(rotated, column, row_key)) == key_id(NEW_KEY)


async def test_a_sealed_value_copied_into_another_column_does_not_open(sealed: Sessions) -> None:
    endpoint_id, _ = await save(sealed, "webhook_endpoints.secret")
    merchant_id, _ = await save(sealed, "stripe_integrations.webhook_secret")
    moved = await raw(sealed, "webhook_endpoints.secret", endpoint_id)
    await write_raw(sealed, "stripe_integrations.webhook_secret", merchant_id, moved)

    with pytest.raises(SealedValueError, match=r"stripe_integrations\.webhook_secret"):
        await read(sealed, "stripe_integrations.webhook_secret", merchant_id)


async def test_a_sealed_value_without_its_key_is_refused_naming_the_key_id(
    sealed: Sessions, own_url: str
) -> None:
    column = "webhook_endpoints.secret"
    row_key, _ = await save(sealed, column)

    async with sessions_with(own_url, Keyring.from_keys(os.urandom(32))) as strangers:
        with pytest.raises(SealedValueError, match=key_id(OLD_KEY)):
            await read(strangers, column, row_key)


def test_every_sealed_column_is_bound_to_its_own_table_and_column() -> None:
    contexts = {
        f"{table.name}.{column.name}": column.type.context
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, SealedString)
    }

    assert contexts == {column: column for column in SECRETS}


async def test_a_webhook_signed_with_a_sealed_secret_verifies_at_the_receiver(sealed: Sessions) -> None:
    merchant = await new_merchant(sealed)
    with WebhookReceiver() as receiver:
        async with sealed() as session:
            endpoint = await create_endpoint(session, SETTINGS, merchant, WebhookEndpointIn(url=receiver.url))
        event = WebhookEvent(
            id=f"evt_{uuid.uuid4().hex}", merchant_id=merchant.id, type="buyer.suspended", subject_id="b-1",
            body={"type": "buyer.suspended", "data": {"id": "b-1"}},
        )
        delivery_id = f"msg_{uuid.uuid4().hex}"
        async with sealed.begin() as session:
            session.add(event)
            await session.flush()
            session.add(WebhookDelivery(id=delivery_id, endpoint_id=endpoint.id, event_id=event.id))
        activities = WebhookActivities(sealed, MAIL, 2.0, allow_private_urls=True)

        result = await ActivityEnvironment().run(activities.deliver_webhook, DeliverWebhookInput(delivery_id))

        assert result == DeliveryResult(done=True)
        [request] = receiver.received()
        assert request.verified(endpoint.secret)["type"] == "buyer.suspended"
