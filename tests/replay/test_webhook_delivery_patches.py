"""Which webhook delivery histories went through DELIVERY_BOUNDS_PATCH (issue 20: deliveries that
cannot wedge); tests/replay/test_replay.py replays every one of them."""

import base64
import json
from typing import Any

from tests.utils.histories import HISTORIES
from workflows.webhook_delivery import ATTEMPT_TRIES, DELIVERY_BOUNDS_PATCH


def _events(name: str) -> list[dict[str, Any]]:
    return json.loads((HISTORIES / f"{name}.json").read_text())["history"]["events"]


def _patches(name: str) -> set[str]:
    key = "markerRecordedEventAttributes"
    markers = [e[key] for e in _events(name) if key in e]
    return {
        json.loads(base64.b64decode(m["details"]["patch-data"]["payloads"][0]["data"]))["id"]
        for m in markers
        if m["markerName"] == "core_patch"
    }


def _scheduled(name: str) -> list[dict[str, Any]]:
    key = "activityTaskScheduledEventAttributes"
    return [e[key] for e in _events(name) if key in e]


def test_a_delivery_recorded_before_the_bounds_patch_has_no_marker_and_unbounded_attempts() -> None:
    name = "webhook_delivered_after_a_failure"

    assert DELIVERY_BOUNDS_PATCH not in _patches(name)
    assert {a["retryPolicy"].get("maximumAttempts", 0) for a in _scheduled(name)} == {0}


def test_an_abandoned_delivery_was_recorded_under_the_bounds_patch_with_bounded_attempts() -> None:
    name = "webhook_abandoned_then_next_delivered"
    scheduled = _scheduled(name)

    assert DELIVERY_BOUNDS_PATCH in _patches(name)
    assert [a["activityType"]["name"] for a in scheduled] == [
        "deliver_webhook", "abandon_webhook_delivery", "deliver_webhook",
    ]
    assert {a["retryPolicy"]["maximumAttempts"] for a in scheduled} == {ATTEMPT_TRIES}


def test_what_an_endpoint_enabled_again_missed_was_recorded_under_the_bounds_patch_in_one_run() -> None:
    name = "webhook_redelivered_after_enable"

    assert DELIVERY_BOUNDS_PATCH in _patches(name)
    assert [a["activityType"]["name"] for a in _scheduled(name)] == ["deliver_webhook"] * 4


def test_a_delivery_queued_again_after_its_attempt_was_recorded_under_the_bounds_patch() -> None:
    name = "webhook_queued_again_after_its_attempt"
    signals = [e for e in _events(name) if "workflowExecutionSignaledEventAttributes" in e]

    assert DELIVERY_BOUNDS_PATCH in _patches(name)
    assert len(signals) == 3
    assert [a["activityType"]["name"] for a in _scheduled(name)] == ["deliver_webhook"] * 3
