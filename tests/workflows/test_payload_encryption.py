"""Payload encryption on the real stack: Temporal keeps only ciphertext of the buyer's data, the
lifecycle runs as usual, and the codec server shows it decrypted to staff alone."""

import base64
import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import get_session, get_temporal
from payinvoice.codec import build_data_converter
from payinvoice.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.utils.factories import auth, checkout, create_buyer, create_merchant, post_payment
from tests.utils.waiting import invoice_reaches
from worker import build_worker


@pytest.fixture
async def encrypted_api(
    temporal_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings],
) -> AsyncIterator[httpx.AsyncClient]:
    """The API and a worker of their own, both with an encryption key, on their own task queue."""
    settings = settings_factory(
        encryption_key=base64.b64encode(os.urandom(32)).decode(),
        temporal_task_queue=f"payinvoice-encrypted-{uuid.uuid4()}",
    )
    client = await Client.connect(
        temporal_env.client.service_client.config.target_host,
        namespace=temporal_env.client.namespace,
        data_converter=build_data_converter(settings),
    )
    app = create_app(settings)

    async def session_override() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    app.dependency_overrides[get_temporal] = lambda: client
    async with build_worker(client, settings, sessions):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
            yield api


def _as_codec_body(payloads: Any) -> dict[str, Any]:
    return json_format.MessageToDict(Payloads(payloads=list(payloads)))


async def test_temporal_stores_no_buyer_data_in_clear(
    encrypted_api: httpx.AsyncClient, temporal_client: Client
) -> None:
    key = await create_merchant(encrypted_api)
    buyer = await create_buyer(encrypted_api, key, name="Zyxwvut Buyer AG")
    invoice = (await checkout(encrypted_api, key, buyer["id"])).json()
    assert invoice["status"] == "open"

    # The test's own client has no key: it sees what the Temporal server stores.
    handle = temporal_client.get_workflow_handle(invoice["workflow_id"])
    history = (await handle.fetch_history()).to_json()
    description = await handle.describe()
    stored = history + str(description.raw_description)

    assert "Zyxwvut" not in stored
    assert buyer["email"] not in stored
    assert "binary/encrypted" in stored or base64.b64encode(b"binary/encrypted").decode() in stored


async def test_an_encrypted_invoice_runs_its_lifecycle_to_paid(encrypted_api: httpx.AsyncClient) -> None:
    key = await create_merchant(encrypted_api)
    buyer = await create_buyer(encrypted_api, key)
    invoice = (await checkout(encrypted_api, key, buyer["id"])).json()

    assert (await post_payment(encrypted_api, key, invoice["id"])).json()["status"] == "paid"
    await invoice_reaches(encrypted_api, key, invoice["id"], "paid")


async def test_the_codec_server_shows_the_buyer_in_the_memo_to_staff(
    encrypted_api: httpx.AsyncClient, temporal_client: Client
) -> None:
    key = await create_merchant(encrypted_api, name="Memo Merchant")
    buyer = await create_buyer(encrypted_api, key, name="Zyxwvut Buyer AG")
    invoice = (await checkout(encrypted_api, key, buyer["id"])).json()
    description = await temporal_client.get_workflow_handle(invoice["workflow_id"]).describe()
    summary = description.raw_description.workflow_execution_info.memo.fields["summary"]
    body = _as_codec_body([summary])

    refused = await encrypted_api.post("/codec/decode", json=body)
    decoded = await encrypted_api.post("/codec/decode", json=body, headers=auth(ADMIN_KEY))

    assert refused.status_code == 401
    assert decoded.status_code == 200, decoded.text
    [payload] = decoded.json()["payloads"]
    text = base64.b64decode(payload["data"]).decode()
    assert "Zyxwvut Buyer AG" in text and "Memo Merchant" in text and "119.00 EUR" in text


async def test_the_codec_server_encodes_what_it_decodes(encrypted_api: httpx.AsyncClient) -> None:
    plain = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                           "data": base64.b64encode(b'"hello"').decode()}]}

    encoded = await encrypted_api.post("/codec/encode", json=plain, headers=auth(ADMIN_KEY))
    decoded = await encrypted_api.post("/codec/decode", json=encoded.json(), headers=auth(ADMIN_KEY))

    assert encoded.json() != plain
    assert decoded.json() == plain
