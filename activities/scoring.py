"""External credit check: ask the merchant's scoring endpoint, remember its answer on the buyer.

The endpoint gets a signed JSON POST (`Payinvoice-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
"<t>.<body>">`) and answers `{"decision": "approve"|"decline"|"review", "limit"?: "<decimal>"}`.
A valid answer is cached on the buyer for the merchant's `cache_days`; any failure follows the
merchant's `on_error` and caches nothing.
"""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from payinvoice.breaker import MerchantGate, Ticket
from payinvoice.contracts import ExternalCheckInput, ExternalCheckResult
from payinvoice.db.models import Buyer, CreditCheckSettings, CreditEvent
from payinvoice.db.session import dialect_insert
from payinvoice.domain.errors import Refusal
from payinvoice.domain.money import MoneyError, from_minor, to_minor
from payinvoice.outbound import pinned_post, resolve
from payinvoice.signature import SIGNATURE_HEADER, sign

DECISIONS = frozenset({"approve", "decline", "review"})
# What each `on_error` setting decides when the endpoint cannot be asked or answers nonsense.
FALLBACK_DECISIONS: dict[str, str] = {
    "approve_within_limit": "approve",
    "review": "review",
    "decline": "decline",
}
# An answer is a few dozen bytes; anything far larger is not one.
MAX_ANSWER_BYTES = 64 * 1024
# The share of the checkout's decision timeout the endpoint may take: the rest is the decision.
TIMEOUT_SHARE = 0.6


class CheckFailed(Exception):
    """The endpoint could not give a usable answer; `kind` is safe to log."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _cached(check: dict[str, Any] | None, cache_days: int, day_seconds: float) -> dict[str, Any] | None:
    """The stored answer while it is fresh; a malformed one counts as missing."""
    if not check or cache_days <= 0:
        return None
    try:
        checked_at = datetime.fromisoformat(check["checked_at"])
        decision = check["decision"]
        limit = check.get("limit")
    except (KeyError, TypeError, ValueError):
        return None
    if checked_at.tzinfo is None or decision not in DECISIONS:
        return None
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
        return None
    if checked_at + timedelta(seconds=cache_days * day_seconds) <= datetime.now(UTC):
        return None
    return {"decision": decision, "limit": limit}


def _parse_answer(raw: bytes, currency: str) -> tuple[str, int | None]:
    try:
        answer = json.loads(raw)
    except ValueError:
        raise CheckFailed("invalid_json") from None
    if not isinstance(answer, dict) or answer.get("decision") not in DECISIONS:
        raise CheckFailed("invalid_answer")
    limit_text = answer.get("limit")
    if limit_text is None:
        return answer["decision"], None
    if not isinstance(limit_text, str):
        raise CheckFailed("invalid_limit")
    try:
        limit = to_minor(limit_text, currency, "limit")
    except MoneyError:
        raise CheckFailed("invalid_limit") from None
    if limit < 0:
        raise CheckFailed("invalid_limit")
    return answer["decision"], limit


class ScoringActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], allow_private_urls: bool = False,
        decision_timeout_seconds: float = 5.0, max_in_flight: int = 4,
    ) -> None:
        self._sessions = sessions
        self._allow_private_urls = allow_private_urls
        self._max_seconds = decision_timeout_seconds * TIMEOUT_SHARE
        # One gate per worker process: one merchant's slow or failing endpoint holds at most
        # `max_in_flight` activity slots, and is skipped while its circuit is open.
        self._gate = MerchantGate(max_in_flight=max_in_flight)

    @activity.defn
    async def check_credit_externally(self, request: ExternalCheckInput) -> ExternalCheckResult:
        """The merchant's scoring answer for this buyer: cached, asked, or the on_error fallback.

        Safe to run twice: a repeat finds the cache (or asks again and changes nothing new)."""
        async with self._sessions() as session:
            settings = await session.get(CreditCheckSettings, request.merchant_id)
            if settings is None:
                return ExternalCheckResult(decision="none", source="none")
            buyer = await session.get(Buyer, request.buyer_id)
        if buyer is None or buyer.merchant_id != request.merchant_id:
            raise ApplicationError("buyer not found", type="buyer_not_found", non_retryable=True)

        cached = _cached(buyer.external_check, settings.cache_days, request.day_seconds)
        if cached is not None:
            return ExternalCheckResult(decision=cached["decision"], source="cache", limit=cached["limit"])

        try:
            decision, limit = await self._ask_through_gate(settings, buyer, request)
        except CheckFailed as failure:
            fallback = FALLBACK_DECISIONS.get(settings.on_error, "review")
            activity.logger.warning(
                "external credit check for merchant %s failed (%s); on_error %s -> %s",
                request.merchant_id, failure.kind, settings.on_error, fallback,
            )
            return ExternalCheckResult(decision=fallback, source="fallback")

        await self._remember(buyer.id, decision, limit)
        return ExternalCheckResult(decision=decision, source="remote", limit=limit)

    async def _ask_through_gate(
        self, settings: CreditCheckSettings, buyer: Buyer, request: ExternalCheckInput
    ) -> tuple[str, int | None]:
        ticket = self._gate.enter(request.merchant_id)
        if not isinstance(ticket, Ticket):
            raise CheckFailed(ticket)  # busy, or its circuit is open: not asked at all
        ok = False
        try:
            answer = await self._ask(settings, buyer, request)
            ok = True
            return answer
        finally:
            self._gate.leave(ticket, ok)

    async def _ask(
        self, settings: CreditCheckSettings, buyer: Buyer, request: ExternalCheckInput
    ) -> tuple[str, int | None]:
        payload = {
            "merchant_id": request.merchant_id,
            "buyer": {
                "id": buyer.id, "external_id": buyer.external_id, "name": buyer.name,
                "email": buyer.email, "currency": buyer.currency,
            },
            "order": {"amount": from_minor(request.amount, request.currency), "currency": request.currency},
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(settings.secret, int(time.time()), body),
        }
        seconds = min(settings.timeout_ms / 1000, self._max_seconds)
        try:
            # httpx's timeout bounds each phase; asyncio.timeout bounds the whole exchange, the
            # look-up included. Only an address checked here is called (payinvoice/outbound.py).
            async with asyncio.timeout(seconds):
                target = await resolve(settings.url, allow_private=self._allow_private_urls)
                async with pinned_post(target, content=body, headers=headers, seconds=seconds) as response:
                    if not response.is_success:
                        raise CheckFailed(f"http_{response.status_code}")
                    raw = bytearray()
                    async for chunk in response.aiter_bytes():
                        raw += chunk
                        if len(raw) > MAX_ANSWER_BYTES:
                            raise CheckFailed("answer_too_large")
        except Refusal:
            raise CheckFailed("url_not_allowed") from None
        except (TimeoutError, httpx.TimeoutException):
            raise CheckFailed("timeout") from None
        except httpx.InvalidURL:
            raise CheckFailed("invalid_url") from None
        except httpx.HTTPError as error:
            raise CheckFailed(f"connection_error:{type(error).__name__}") from None
        return _parse_answer(bytes(raw), buyer.currency)

    async def _remember(self, buyer_id: str, decision: str, limit: int | None) -> None:
        """Cache the answer; a limit replaces a policy-set limit, with its credit event, atomically."""
        checked_at = datetime.now(UTC).isoformat()
        async with self._sessions.begin() as session:
            await session.execute(
                update(Buyer)
                .where(Buyer.id == buyer_id)
                .values(external_check={"decision": decision, "limit": limit, "checked_at": checked_at})
            )
            if limit is None:
                return
            current = (
                await session.execute(
                    select(Buyer.credit_limit, Buyer.limit_source).where(Buyer.id == buyer_id)
                )
            ).one()
            if current.limit_source != "policy" or current.credit_limit == limit:
                return
            # Compare-and-set: a limit changed meanwhile by someone else is left to them.
            changed = await session.execute(
                update(Buyer)
                .where(
                    Buyer.id == buyer_id,
                    Buyer.limit_source == "policy",
                    Buyer.credit_limit == current.credit_limit,
                )
                .values(credit_limit=limit)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                return
            await session.execute(
                dialect_insert(session, CreditEvent)
                .values(
                    key=f"external:{buyer_id}:{checked_at}", buyer_id=buyer_id, kind="limit_changed",
                    old_limit=current.credit_limit, new_limit=limit, reason="external credit check",
                )
                .on_conflict_do_nothing(index_elements=[CreditEvent.key])
            )
