"""Recorded histories of every lifecycle path replay against the current workflow code, so a
change that would break running invoices fails here (see the patching notes in workflows/invoice.py)."""

import base64
import json
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.utils.histories import HISTORIES
from workflows.charges import LATE_FEE_PATCH
from workflows.effects import MAIL_QUEUE_PATCH, NOTICE_QUEUE_PATCH
from workflows.invoice import (
    EXTERNAL_CHECK_ACTIVITY_PATCH,
    NUMBER_AT_APPROVAL_PATCH,
    REFUND_WINDOW_PATCH,
    InvoiceWorkflow,
)
from workflows.mail import EMAIL_OFF_LIFECYCLE_PATCH
from workflows.merchant_notice import MerchantNoticeWorkflow
from workflows.webhook_delivery import WebhookDeliveryWorkflow

RECORDED: dict[str, Any] = {
    path.stem: json.loads(path.read_text()) for path in sorted(HISTORIES.glob("*.json"))
}


def test_every_lifecycle_path_has_a_recorded_history() -> None:
    assert {"paid_in_two_parts", "full_ladder_then_paid", "voided", "declined", "overpaid"} <= set(RECORDED)
    assert {"extended", "paused_and_resumed"} <= set(RECORDED)  # changing an open invoice
    assert "refunded_then_paid_again" in RECORDED  # the refund window (REFUND_WINDOW_PATCH)
    assert "late_fee" in RECORDED  # a ladder with late fees (LATE_FEE_PATCH)
    assert "instalments" in RECORDED  # an instalment plan, its first instalment paid
    # The number taken with the approval (NUMBER_AT_APPROVAL_PATCH), and after a review.
    assert {"paid_numbered_at_approval", "approved_after_review"} <= set(RECORDED)
    # Every email after the invoice email on the notice queue (NOTICE_QUEUE_PATCH).
    assert "full_ladder_then_paid_on_notice_queue" in RECORDED
    # Emails on the workflow's mail loop (EMAIL_OFF_LIFECYCLE_PATCH), with the server down and up.
    assert {"full_ladder_mailed_off_lifecycle", "mail_outage_then_paid"} <= set(RECORDED)
    # Each way money or a change reaches an invoice: a credit note, mark-paid, a promise, a
    # resolved dispute, a resent reminder, a payment by signal (no worker took the update), the
    # early-payment discount and late interest.
    assert {
        "paid_by_credit_note", "marked_paid_refunded_then_credited", "promise_kept", "dispute_resolved",
        "reminder_resent", "paid_by_payment_reported_signal", "paid_with_early_payment_discount",
        "late_interest_paid",
    } <= set(RECORDED)
    # The other workflow: webhook deliveries, with a failed attempt and its back-off timer.
    assert "webhook_delivered_after_a_failure" in RECORDED
    # Its bounds (DELIVERY_BOUNDS_PATCH): an abandoned delivery, one queued again, a redelivery.
    assert {
        "webhook_abandoned_then_next_delivered", "webhook_queued_again_after_its_attempt",
        "webhook_redelivered_after_enable",
    } <= set(RECORDED)
    assert "bank_details_change_notice" in RECORDED  # a merchant notice (MerchantNoticeWorkflow)
    assert "external_check_as_activity" in RECORDED  # EXTERNAL_CHECK_ACTIVITY_PATCH
    assert "continued_as_new_after_many_payments" in RECORDED  # a run continued as new


def test_each_recorded_path_went_the_way_its_name_says() -> None:
    """A recording made from a test that went another way (a refused update, a payment taken by
    update instead of signal) would replay fine and cover nothing."""
    assert "payment_reported" in _signals("paid_by_payment_reported_signal")
    assert "payment_reported" not in _signals("paid_in_two_parts")
    for name, update in [
        ("paid_by_credit_note", "credit"), ("marked_paid_refunded_then_credited", "mark_paid"),
        ("promise_kept", "promise"), ("dispute_resolved", "resolve_dispute"),
        ("reminder_resent", "resend_reminder"),
    ]:
        assert update in _updates(name), (name, _updates(name))
    assert _workflow_type("webhook_delivered_after_a_failure") == "WebhookDeliveryWorkflow"
    assert _activities("webhook_delivered_after_a_failure").count("deliver_webhook") >= 2


def _events(name: str, key: str) -> list[dict[str, Any]]:
    return [e[key] for e in RECORDED[name]["history"]["events"] if key in e]


def _signals(name: str) -> list[str]:
    return [e["signalName"] for e in _events(name, "workflowExecutionSignaledEventAttributes")]


def _updates(name: str) -> list[str]:
    return [
        e["acceptedRequest"]["input"]["name"]
        for e in _events(name, "workflowExecutionUpdateAcceptedEventAttributes")
    ]


def _activities(name: str) -> list[str]:
    return [e["activityType"]["name"] for e in _events(name, "activityTaskScheduledEventAttributes")]


def _workflow_type(name: str) -> str:
    return _events(name, "workflowExecutionStartedEventAttributes")[0]["workflowType"]["name"]


def _patches(name: str) -> set[str]:
    """The patch ids a recorded history's markers name."""
    events = RECORDED[name]["history"]["events"]
    markers = [e["markerRecordedEventAttributes"] for e in events if "markerRecordedEventAttributes" in e]
    return {
        json.loads(base64.b64decode(m["details"]["patch-data"]["payloads"][0]["data"]))["id"]
        for m in markers
        if m["markerName"] == "core_patch"
    }


def test_only_the_refund_path_recorded_the_refund_window_patch() -> None:
    assert REFUND_WINDOW_PATCH in _patches("refunded_then_paid_again")
    assert REFUND_WINDOW_PATCH not in _patches("paid_in_two_parts")  # recorded before the patch


def test_the_external_check_recorded_after_its_patch_ran_as_a_regular_activity() -> None:
    assert EXTERNAL_CHECK_ACTIVITY_PATCH in _patches("external_check_as_activity")
    assert "check_credit_externally" in _activities("external_check_as_activity")
    assert "check_credit_externally" not in _local_activities("external_check_as_activity")


def test_the_continued_run_started_from_the_state_its_predecessor_handed_over() -> None:
    started = _events("continued_as_new_after_many_payments", "workflowExecutionStartedEventAttributes")[0]
    assert started.get("continuedExecutionRunId")  # a run continued as new, not a checkout's
    assert started["initiator"] == "CONTINUE_AS_NEW_INITIATOR_WORKFLOW"


def test_only_a_ladder_with_late_fees_recorded_the_late_fee_patch() -> None:
    assert LATE_FEE_PATCH in _patches("late_fee")
    assert LATE_FEE_PATCH not in _patches("full_ladder_then_paid")  # its stages charge no fee


def _local_activities(name: str) -> list[str]:
    """The local activities a recorded history ran, in order."""
    events = RECORDED[name]["history"]["events"]
    markers = [e["markerRecordedEventAttributes"] for e in events if "markerRecordedEventAttributes" in e]
    return [
        json.loads(base64.b64decode(m["details"]["data"]["payloads"][0]["data"]))["activity_type"]
        for m in markers
        if m["markerName"] == "core_local_activity"
    ]


def test_an_approval_recorded_after_the_number_patch_took_its_number_with_the_reservation() -> None:
    assert NUMBER_AT_APPROVAL_PATCH in _patches("paid_numbered_at_approval")
    assert "assign_invoice_number" not in _local_activities("paid_numbered_at_approval")
    assert "assign_invoice_number" in _local_activities("paid_in_two_parts")  # recorded before


def test_an_order_approved_after_review_still_takes_its_number_at_issue() -> None:
    assert NUMBER_AT_APPROVAL_PATCH in _patches("approved_after_review")
    assert "assign_invoice_number" in _local_activities("approved_after_review")


def test_emails_recorded_after_the_mail_queue_patch_went_to_the_mail_queue() -> None:
    assert MAIL_QUEUE_PATCH in _patches("paid_numbered_at_approval")
    assert _email_queues("paid_numbered_at_approval") == {"-mail"}
    assert _email_queues("paid_in_two_parts") == {""}  # recorded before: the invoice queue


def test_emails_after_the_invoice_email_recorded_after_the_notice_patch_went_to_the_notice_queue() -> None:
    name = "full_ladder_then_paid_on_notice_queue"
    assert NOTICE_QUEUE_PATCH in _patches(name)
    assert _email_queues(name, "send_invoice") == {"-mail"}
    assert _email_queues(name, "send_reminder") == _email_queues(name, "send_receipt") == {"-notices"}
    assert NOTICE_QUEUE_PATCH not in _patches("paid_numbered_at_approval")  # recorded before


def _email_queues(name: str, summary: str = "send_") -> set[str]:
    """What the task queues of a history's emails (those whose summary starts with `summary`)
    add to its workflow's own queue."""
    events = RECORDED[name]["history"]["events"]
    own = events[0]["workflowExecutionStartedEventAttributes"]["taskQueue"]["name"]
    key = "activityTaskScheduledEventAttributes"
    return {
        event[key]["taskQueue"]["name"].removeprefix(own)
        for event in events
        if key in event
        and event[key]["activityType"]["name"] == "send_email"
        and _summary(event).startswith(summary)
    }


def _summary(event: dict[str, Any]) -> str:
    """The activity's summary (`send_reminder:due`), as the UI shows it."""
    data = event.get("userMetadata", {}).get("summary", {}).get("data", "")
    return json.loads(base64.b64decode(data)) if data else ""


def test_emails_recorded_after_the_mail_loop_patch_left_the_lifecycle() -> None:
    for name in ("full_ladder_mailed_off_lifecycle", "mail_outage_then_paid"):
        assert EMAIL_OFF_LIFECYCLE_PATCH in _patches(name)
    assert EMAIL_OFF_LIFECYCLE_PATCH not in _patches("full_ladder_then_paid_on_notice_queue")  # before


@pytest.mark.parametrize("name", sorted(RECORDED))
async def test_recorded_history_replays_without_nondeterminism(name: str) -> None:
    recorded = RECORDED[name]
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])

    workflows = [InvoiceWorkflow, WebhookDeliveryWorkflow, MerchantNoticeWorkflow]
    await Replayer(workflows=workflows).replay_workflow(history)
