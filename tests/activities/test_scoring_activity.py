"""The external credit check against a real scoring endpoint: answers, cache, limits, fallbacks."""

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.scoring import ScoringActivities
from dev.scoring_server import ScoringServer, signature_valid
from payinvoice.contracts import ExternalCheckInput, ExternalCheckResult
from payinvoice.db.models import Buyer, CreditCheckSettings, CreditEvent, Merchant
from payinvoice.outbound import check_saved_url
from tests.utils.resolver import resolve_by_table
from tests.utils.rows import merchant_and_buyer
from tests.utils.webhook_receiver import Answer, WebhookReceiver

SECRET = "whsec-test-0123456789abcdef"
DAY = 86400.0


@pytest.fixture
def scoring() -> Iterator[ScoringServer]:
    with ScoringServer(SECRET) as server:
        yield server


async def configure(
    sessions: async_sessionmaker[AsyncSession], merchant: Merchant, url: str, *,
    timeout_ms: int = 2000, cache_days: int = 30, on_error: str = "review", secret: str = SECRET,
) -> None:
    async with sessions.begin() as session:
        session.add(
            CreditCheckSettings(
                merchant_id=merchant.id, url=url, secret=secret, timeout_ms=timeout_ms,
                cache_days=cache_days, on_error=on_error,
            )
        )


async def configured_buyer(
    sessions: async_sessionmaker[AsyncSession], scoring: ScoringServer, **settings: object
) -> tuple[Merchant, Buyer]:
    merchant, buyer = await merchant_and_buyer(sessions)
    await configure(sessions, merchant, scoring.url, **settings)  # type: ignore[arg-type]
    return merchant, buyer


def check(
    merchant: Merchant, buyer: Buyer, amount: int = 11_900, day_seconds: float = DAY
) -> ExternalCheckInput:
    return ExternalCheckInput(
        merchant_id=merchant.id, buyer_id=buyer.id, currency="EUR", amount=amount, day_seconds=day_seconds
    )


async def run(
    sessions: async_sessionmaker[AsyncSession], request: ExternalCheckInput, *,
    allow_private_urls: bool = True,
) -> ExternalCheckResult:
    """The activity as the tests' worker runs it: the scoring server listens on 127.0.0.1."""
    activities = ScoringActivities(sessions, allow_private_urls=allow_private_urls)
    return await ActivityEnvironment().run(activities.check_credit_externally, request)


async def reload(sessions: async_sessionmaker[AsyncSession], buyer_id: str) -> Buyer:
    async with sessions() as session:
        buyer = await session.get(Buyer, buyer_id)
        assert buyer is not None
        return buyer


async def set_limit_source(sessions: async_sessionmaker[AsyncSession], buyer_id: str, source: str) -> None:
    async with sessions.begin() as session:
        buyer = await session.get(Buyer, buyer_id)
        assert buyer is not None
        buyer.limit_source = source


async def credit_events(sessions: async_sessionmaker[AsyncSession], buyer_id: str) -> list[CreditEvent]:
    async with sessions() as session:
        return list(await session.scalars(select(CreditEvent).where(CreditEvent.buyer_id == buyer_id)))


# No check configured


async def test_without_settings_the_check_answers_none(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)

    result = await run(sessions, check(merchant, buyer))

    assert result == ExternalCheckResult(decision="none", source="none")
    assert (await reload(sessions, buyer.id)).external_check is None


# Answers and the cache


async def test_an_approval_is_remote_and_cached_on_the_buyer(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring)
    scoring.approve()

    result = await run(sessions, check(merchant, buyer))

    assert result == ExternalCheckResult(decision="approve", source="remote", limit=None)
    cached = (await reload(sessions, buyer.id)).external_check
    assert cached is not None
    assert (cached["decision"], cached["limit"]) == ("approve", None)
    assert datetime.fromisoformat(cached["checked_at"]).utcoffset() is not None
    assert len(scoring.requests) == 1


async def test_a_second_check_within_cache_days_uses_the_cache_and_asks_nobody(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring, cache_days=30)
    scoring.approve(limit="2500.00")
    await run(sessions, check(merchant, buyer))
    scoring.decline()  # would change the answer, were it asked

    again = await run(sessions, check(merchant, buyer))

    assert again == ExternalCheckResult(decision="approve", source="cache", limit=250_000)
    assert len(scoring.requests) == 1


async def test_after_the_cache_expires_the_endpoint_is_asked_again(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring, cache_days=1)
    day_seconds = 0.2
    scoring.approve()
    await run(sessions, check(merchant, buyer, day_seconds=day_seconds))
    scoring.decline()

    await asyncio.sleep(day_seconds * 1.5)
    again = await run(sessions, check(merchant, buyer, day_seconds=day_seconds))

    assert again == ExternalCheckResult(decision="decline", source="remote")
    assert len(scoring.requests) == 2
    assert (await reload(sessions, buyer.id)).external_check["decision"] == "decline"


async def test_zero_cache_days_asks_every_time(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring, cache_days=0)
    scoring.approve()

    first = await run(sessions, check(merchant, buyer))
    second = await run(sessions, check(merchant, buyer))

    assert (first.source, second.source) == ("remote", "remote")
    assert len(scoring.requests) == 2


async def test_a_decline_is_passed_on(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring)
    scoring.decline()

    result = await run(sessions, check(merchant, buyer))

    assert result == ExternalCheckResult(decision="decline", source="remote")


async def test_a_review_is_passed_on(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring)
    scoring.review()

    result = await run(sessions, check(merchant, buyer))

    assert result == ExternalCheckResult(decision="review", source="remote")


# Limits


async def test_a_limit_in_the_answer_replaces_a_policy_limit_and_records_a_credit_event(
    sessions, scoring
) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring)
    await set_limit_source(sessions, buyer.id, "policy")
    scoring.approve(limit="2500.50")

    result = await run(sessions, check(merchant, buyer))

    assert result == ExternalCheckResult(decision="approve", source="remote", limit=250_050)
    stored = await reload(sessions, buyer.id)
    assert stored.credit_limit == 250_050
    assert stored.external_check["limit"] == 250_050
    [event] = await credit_events(sessions, buyer.id)
    assert (event.kind, event.old_limit, event.new_limit, event.reason) == (
        "limit_changed", 100_000, 250_050, "external credit check",
    )
    assert event.key == f"external:{buyer.id}:{stored.external_check['checked_at']}"


async def test_a_limit_in_the_answer_leaves_a_manual_limit_alone(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring)
    scoring.approve(limit="2500.00")

    result = await run(sessions, check(merchant, buyer))

    assert result.limit == 250_000
    assert (await reload(sessions, buyer.id)).credit_limit == 100_000
    assert await credit_events(sessions, buyer.id) == []


async def test_running_the_check_twice_changes_a_policy_limit_once(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring, cache_days=0)
    await set_limit_source(sessions, buyer.id, "policy")
    scoring.approve(limit="3000.00")

    await run(sessions, check(merchant, buyer))
    await run(sessions, check(merchant, buyer))

    assert len(scoring.requests) == 2
    assert (await reload(sessions, buyer.id)).credit_limit == 300_000
    assert len(await credit_events(sessions, buyer.id)) == 1


# Failures follow on_error and cache nothing


@pytest.mark.parametrize(
    ("on_error", "decision"),
    [("approve_within_limit", "approve"), ("review", "review"), ("decline", "decline")],
)
async def test_a_slow_endpoint_falls_back_to_on_error_within_the_timeout(
    sessions, scoring, on_error: str, decision: str
) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring, timeout_ms=300, on_error=on_error)
    scoring.slow(seconds=5)

    result = await run(sessions, check(merchant, buyer))

    # Had the 300 ms timeout not held, the server's approval (after 5 s) would be the answer.
    # How fast the fallback comes is measured by the benchmark (bench/external.py), not asserted.
    assert result == ExternalCheckResult(decision=decision, source="fallback")
    assert (await reload(sessions, buyer.id)).external_check is None


async def test_a_server_error_falls_back(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring, on_error="decline")
    scoring.fail(500)

    result = await run(sessions, check(merchant, buyer))

    assert result == ExternalCheckResult(decision="decline", source="fallback")
    assert (await reload(sessions, buyer.id)).external_check is None


@pytest.mark.parametrize(
    "body",
    [
        b"<html>this is not json",
        b'["approve"]',
        b'{"decision": "maybe"}',
        b'{"decision": "approve", "limit": 2500}',
        b'{"decision": "approve", "limit": "25.001"}',
        b'{"decision": "approve", "limit": "-1.00"}',
    ],
)
async def test_a_garbage_answer_falls_back(sessions, scoring, body: bytes) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring, on_error="approve_within_limit")
    await set_limit_source(sessions, buyer.id, "policy")
    scoring.garbage(body)

    result = await run(sessions, check(merchant, buyer))

    assert result == ExternalCheckResult(decision="approve", source="fallback")
    stored = await reload(sessions, buyer.id)
    assert (stored.external_check, stored.credit_limit) == (None, 100_000)


async def test_an_unreachable_endpoint_falls_back(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    with ScoringServer(SECRET) as gone:
        url = gone.url  # a port that was just free and is closed again
    await configure(sessions, merchant, url, on_error="review")

    result = await run(sessions, check(merchant, buyer))

    assert result == ExternalCheckResult(decision="review", source="fallback")


async def test_a_request_signed_with_another_secret_is_refused_and_falls_back(sessions, scoring) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    await configure(
        sessions, merchant, scoring.url, secret="not-the-shared-secret-at-all", on_error="decline"
    )
    scoring.approve()

    result = await run(sessions, check(merchant, buyer))

    assert result == ExternalCheckResult(decision="decline", source="fallback")
    assert not scoring.requests[0].signature_valid


async def test_a_failure_is_logged_with_the_merchant_but_no_secret_or_buyer_data(
    sessions, scoring, caplog
) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring)
    scoring.fail(503)

    with caplog.at_level(logging.WARNING):
        await run(sessions, check(merchant, buyer))

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert merchant.id in logged and "http_503" in logged
    for private in (SECRET, buyer.email, buyer.name):
        assert private not in logged


# The request


async def test_the_request_carries_a_valid_signature_over_timestamp_and_body_and_the_buyer(
    sessions, scoring
) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring)
    scoring.approve()

    await run(sessions, check(merchant, buyer, amount=11_900))

    [request] = scoring.requests
    assert request.headers["content-type"] == "application/json"
    signature = request.headers["payinvoice-signature"]
    assert signature_valid(signature, request.raw, SECRET)
    timestamp = int(dict(part.split("=", 1) for part in signature.split(","))["t"])
    assert abs(timestamp - time.time()) < 60
    assert not signature_valid(signature, request.raw + b" ", SECRET)
    assert request.body == {
        "merchant_id": merchant.id,
        "buyer": {
            "id": buyer.id, "external_id": buyer.external_id, "name": buyer.name,
            "email": buyer.email, "currency": "EUR",
        },
        "order": {"amount": "119.00", "currency": "EUR"},
    }


# Issue 20 (SSRF): the endpoint is called only at an address checked just before the call.


def port_of(scoring: ScoringServer) -> int:
    return int(scoring.url.rsplit(":", 1)[1].split("/", 1)[0])


async def test_a_url_now_resolving_to_loopback_is_refused_at_call_time_and_not_called(
    sessions: async_sessionmaker[AsyncSession], scoring: ScoringServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Saved while its name resolved to a public address; now it answers with the loopback one.
    dns = {"scoring.shop.example": ["93.184.215.14"]}
    resolve_by_table(monkeypatch, dns)
    merchant, buyer = await merchant_and_buyer(sessions)
    url = f"https://scoring.shop.example:{port_of(scoring)}/score"
    await check_saved_url(url, allow_private=False)  # what PUT /v1/settings/credit-check checks
    await configure(sessions, merchant, url, on_error="decline")
    dns["scoring.shop.example"] = ["127.0.0.1"]

    result = await run(sessions, check(merchant, buyer), allow_private_urls=False)

    assert result == ExternalCheckResult(decision="decline", source="fallback")
    assert scoring.requests == []
    assert (await reload(sessions, buyer.id)).external_check is None


async def test_the_call_goes_to_the_checked_address_under_the_urls_own_name(
    sessions: async_sessionmaker[AsyncSession], scoring: ScoringServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No real resolver knows this name: only the address checked by payinvoice can be reached.
    resolve_by_table(monkeypatch, {"scoring.test": ["127.0.0.1"]})
    merchant, buyer = await merchant_and_buyer(sessions)
    await configure(sessions, merchant, f"http://scoring.test:{port_of(scoring)}/score")

    result = await run(sessions, check(merchant, buyer))

    assert result.source == "remote"
    [request] = scoring.requests
    assert request.headers["host"] == f"scoring.test:{port_of(scoring)}"


async def test_a_redirect_is_not_followed(
    sessions: async_sessionmaker[AsyncSession], scoring: ScoringServer
) -> None:
    with WebhookReceiver() as redirector:
        redirector.answer(Answer(307, location=scoring.url))
        merchant, buyer = await merchant_and_buyer(sessions)
        await configure(sessions, merchant, redirector.url, on_error="review")

        result = await run(sessions, check(merchant, buyer))

    assert result == ExternalCheckResult(decision="review", source="fallback")
    assert len(redirector.requests) == 1
    assert scoring.requests == []


# One merchant cannot starve the others (payinvoice/breaker.py)


def gated(sessions: async_sessionmaker[AsyncSession], **options: float) -> ScoringActivities:
    """One worker process's activities, whose gate remembers across calls."""
    return ScoringActivities(sessions, allow_private_urls=True, **options)  # type: ignore[arg-type]


async def test_the_merchants_timeout_is_capped_below_the_decision_timeout(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring, timeout_ms=30_000, on_error="decline")
    scoring.slow(seconds=5)
    activities = gated(sessions, decision_timeout_seconds=1.0)

    result = await ActivityEnvironment().run(activities.check_credit_externally, check(merchant, buyer))

    # Had the merchant's 30 s held, the server's approval (after 5 s) would be the answer.
    assert result == ExternalCheckResult(decision="decline", source="fallback")


async def test_a_failing_endpoint_opens_its_circuit_and_is_no_longer_asked(sessions, scoring) -> None:
    merchant, buyer = await configured_buyer(sessions, scoring, on_error="review", cache_days=0)
    scoring.fail(500)
    activities = gated(sessions)
    environment = ActivityEnvironment()

    for _ in range(5):
        await environment.run(activities.check_credit_externally, check(merchant, buyer))
    asked = len(scoring.requests)
    result = await environment.run(activities.check_credit_externally, check(merchant, buyer))

    assert asked == 5 and len(scoring.requests) == 5
    assert result == ExternalCheckResult(decision="review", source="fallback")


async def test_calls_beyond_a_merchants_limit_fall_back_while_another_merchant_is_asked(
    sessions, scoring
) -> None:
    slow_merchant, slow_buyer = await configured_buyer(sessions, scoring, on_error="decline")
    other_merchant, other_buyer = await configured_buyer(sessions, scoring, on_error="decline")
    scoring.slow(seconds=1)
    activities = gated(sessions, max_in_flight=1)
    environment = ActivityEnvironment()

    first, second, other = await asyncio.gather(
        environment.run(activities.check_credit_externally, check(slow_merchant, slow_buyer)),
        environment.run(activities.check_credit_externally, check(slow_merchant, slow_buyer)),
        environment.run(activities.check_credit_externally, check(other_merchant, other_buyer)),
    )

    outcomes = sorted([first.source, second.source])
    assert outcomes == ["fallback", "remote"]  # the second call for the busy merchant is not sent
    assert other == ExternalCheckResult(decision="approve", source="remote")
    asked = sorted(r.body["merchant_id"] for r in scoring.requests)
    assert asked == sorted([slow_merchant.id, other_merchant.id])
