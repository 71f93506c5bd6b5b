"""API keys: one per role, shown once, stored hashed, revocable, rotated with a grace period."""

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from payinvoice.db.models import ApiKey
from tests.utils.factories import auth, checkout, create_buyer, create_key, create_merchant, error_code


async def test_a_processor_key_comes_with_a_signing_secret_shown_once(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    created = await create_key(api, key, "processor")
    listed = (await api.get("/v1/keys", headers=auth(key))).json()["data"]

    assert created["key"].startswith("pi_") and created["signing_secret"].startswith("pss_")
    assert [k["role"] for k in listed] == ["merchant", "processor"]
    assert all("key" not in k and "signing_secret" not in k for k in listed)


async def test_merchant_and_support_keys_have_no_signing_secret(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    for role in ("merchant", "support"):
        assert (await create_key(api, key, role))["signing_secret"] is None


async def test_keys_are_stored_only_as_their_hash(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    key = await create_merchant(api)
    created = await create_key(api, key, "support")

    async with sessions() as session:
        row = await session.get(ApiKey, created["id"])
    assert row is not None
    assert row.key_hash == hashlib.sha256(created["key"].encode()).hexdigest()
    assert created["key"] not in (row.key_hash, row.signing_secret)


async def test_an_unknown_role_is_a_422(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    response = await api.post("/v1/keys", json={"role": "admin"}, headers=auth(key))

    assert (response.status_code, error_code(response)) == (422, "invalid_request")


async def test_a_support_key_reads_but_does_not_write(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    support = (await create_key(api, key, "support"))["key"]

    read = await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(support))
    write = await checkout(api, support, buyer["id"])

    assert read.status_code == 200
    assert (write.status_code, error_code(write)) == (403, "forbidden")


@pytest.mark.parametrize("role", ["support", "processor"])
async def test_only_a_merchant_key_manages_keys(api: httpx.AsyncClient, role: str) -> None:
    key = await create_merchant(api)
    other = (await create_key(api, key, role))["key"]

    listed = await api.get("/v1/keys", headers=auth(other))
    created = await api.post("/v1/keys", json={"role": "merchant"}, headers=auth(other))

    assert (listed.status_code, created.status_code) == (403, 403)


async def test_a_processor_key_cannot_read_invoices_or_buyers(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    processor = (await create_key(api, key, "processor"))["key"]

    response = await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(processor))

    assert (response.status_code, error_code(response)) == (403, "forbidden")


async def test_a_revoked_key_is_refused(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    support = await create_key(api, key, "support")

    deleted = await api.delete(f"/v1/keys/{support['id']}", headers=auth(key))
    refused = await api.get("/v1/invoices", headers=auth(support["key"]))

    assert deleted.status_code == 204
    assert (refused.status_code, error_code(refused)) == (401, "unauthorized")


async def test_the_last_merchant_key_cannot_be_revoked(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    [own] = (await api.get("/v1/keys", headers=auth(key))).json()["data"]

    response = await api.delete(f"/v1/keys/{own['id']}", headers=auth(key))

    assert (response.status_code, error_code(response)) == (409, "last_merchant_key")


async def test_another_merchants_key_is_not_found(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    other = await create_merchant(api, name="Other GmbH")
    theirs = await create_key(api, other, "support")

    response = await api.delete(f"/v1/keys/{theirs['id']}", headers=auth(key))

    assert (response.status_code, error_code(response)) == (404, "key_not_found")


async def test_a_rotated_key_works_until_its_grace_period_ends(
    api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    key = await create_merchant(api)
    old = await create_key(api, key, "support")

    rotated = await api.post(f"/v1/keys/{old['id']}/rotate", json={"grace_seconds": 3600}, headers=auth(key))
    new = rotated.json()
    both_work = [
        (await api.get("/v1/invoices", headers=auth(k))).status_code for k in (old["key"], new["key"])
    ]
    async with sessions.begin() as session:  # the grace period ends
        row = await session.scalar(select(ApiKey).where(ApiKey.id == old["id"]))
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    after = await api.get("/v1/invoices", headers=auth(old["key"]))

    assert rotated.status_code == 201 and new["role"] == "support" and new["key"] != old["key"]
    assert both_work == [200, 200]
    assert after.status_code == 401
    assert (await api.get("/v1/invoices", headers=auth(new["key"]))).status_code == 200


async def test_a_key_is_rotated_once(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    old = await create_key(api, key, "processor")

    first = await api.post(f"/v1/keys/{old['id']}/rotate", json={}, headers=auth(key))
    second = await api.post(f"/v1/keys/{old['id']}/rotate", json={}, headers=auth(key))

    assert first.status_code == 201 and first.json()["signing_secret"] != old["signing_secret"]
    assert (second.status_code, error_code(second)) == (409, "key_already_rotated")
