"""Checkout decisions with the merchant's external credit check (issue 7), cold and warm.

A merchant of its own (so the other phases' merchant never calls out) points
`PUT /v1/settings/credit-check` at a real scoring server on 127.0.0.1, the one the tests use
(tests/utils/scoring_server.py), which approves every signed request after `SCORING_DELAY_S`.
For each of its buyers, at concurrency 1: the first order (cache cold: the check asks the
server and caches the answer), then at once a second one (cache warm: no request). Pairing
them keeps both under the same background load (the emails of earlier invoices).
"""

import logging
import secrets
import time
from typing import Any

from bench.measure import Run, Sample, summary
from bench.service import DECIDED, Service, service
from bench.stack import Stack
from dev.scoring_server import ScoringServer

log = logging.getLogger("bench")

SCORING_DELAY_S = 0.0  # the scoring server answers at once: what is measured is payinvoice's part
WARMUP_BUYERS = 3
CHECK_SETTINGS = {"timeout_ms": 2000, "cache_days": 3650, "on_error": "review"}
# Then one checkout against a scoring server slower than the merchant's timeout: how long the
# decision takes to fall back to on_error. A measurement, not a test (the test of the fallback,
# tests/activities/test_scoring_activity.py, asserts what it decides, not how fast).
SLOW_CHECK = {"timeout_ms": 300, "on_error": "review"}
SLOW_ANSWER_S = 5.0


async def _order(svc: Service, scoring: ScoringServer, order: str, buyer: int, run: Run) -> int:
    """One checkout into `run`; how many requests the scoring server got meanwhile."""
    asked = len(scoring.requests)
    began = time.perf_counter()
    label, _ = await svc.checkout(order, buyer)
    run.samples.append(Sample(label, (time.perf_counter() - began) * 1000, None))
    return len(scoring.requests) - asked


async def _slow_endpoint_fallback(svc: Service, scoring: ScoringServer, buyer: int) -> dict[str, Any]:
    """One checkout for a buyer never checked, the scoring server answering after
    `SLOW_ANSWER_S`: the decision's time with the fallback, and what it decided."""
    response = await svc.http.put("/v1/settings/credit-check", json={
        "url": scoring.url, "secret": scoring.secret, **CHECK_SETTINGS, **SLOW_CHECK,
    })  # fmt: skip
    response.raise_for_status()
    scoring.slow(SLOW_ANSWER_S)
    began = time.perf_counter()
    label, _ = await svc.checkout("ext-slow-endpoint", buyer)
    elapsed_ms = (time.perf_counter() - began) * 1000
    log.info(
        "external check: a scoring server slower than its %d ms timeout: decided %s in %.1f ms",
        SLOW_CHECK["timeout_ms"], label, elapsed_ms,
    )
    return {
        "decision_ms": round(elapsed_ms, 1), "outcome": label, "answer_after_s": SLOW_ANSWER_S, **SLOW_CHECK,
    }


async def external_check(stack: Stack, buyers: int) -> dict[str, Any]:
    """`buyers` cold and `buyers` warm decisions, p50/p95/p99 each, and what the server saw."""
    with ScoringServer(secrets.token_hex(16)) as scoring:
        if SCORING_DELAY_S:
            scoring.slow(SCORING_DELAY_S)
        else:
            scoring.approve()
        total = WARMUP_BUYERS + buyers
        # One buyer more than the pairs use: the slow endpoint's, never checked before.
        async with service(stack.api_url, stack.admin_key, total + 1, name="Bench External Check") as svc:
            response = await svc.http.put("/v1/settings/credit-check", json={
                "url": scoring.url, "secret": scoring.secret, **CHECK_SETTINGS,
            })  # fmt: skip
            response.raise_for_status()
            untimed, cold, warm = Run(1), Run(1), Run(1)
            for i in range(WARMUP_BUYERS):
                await _order(svc, scoring, f"ext-warmup-cold-{i}", i, untimed)
                await _order(svc, scoring, f"ext-warmup-warm-{i}", i, untimed)
            log.info("external check: %d buyers, a cold then a warm checkout each, at 1 concurrent", buyers)
            asked = {"cold": 0, "warm": 0}
            began = time.perf_counter()
            for i in range(WARMUP_BUYERS, total):
                asked["cold"] += await _order(svc, scoring, f"ext-cold-{i}", i, cold)
                asked["warm"] += await _order(svc, scoring, f"ext-warm-{i}", i, warm)
            cold.elapsed_s = warm.elapsed_s = time.perf_counter() - began
            slow_endpoint = await _slow_endpoint_fallback(svc, scoring, total)
            issued = svc.issued
        stack.check_alive()
    return {
        "cold": summary(cold.latencies(DECIDED)),
        "warm": summary(warm.latencies(DECIDED)),
        "outcomes": {"cold": cold.outcomes(), "warm": warm.outcomes(), "warmup": untimed.outcomes()},
        "details": {
            "scoring_delay_ms": round(SCORING_DELAY_S * 1000, 1),
            "scoring_requests": asked,
            "signatures_valid": all(request.signature_valid for request in scoring.requests),
            "buyers": buyers,
            "warmup_buyers": WARMUP_BUYERS,
            "concurrency": 1,
            "invoices_issued": issued,
            **CHECK_SETTINGS,
            "slow_endpoint_fallback": slow_endpoint,
        },
    }
