"""Recorded histories of every lifecycle path replay against the current workflow code, so a
change that would break running invoices fails here (see the patching notes in workflows/invoice.py)."""

import json
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.utils.histories import HISTORIES
from workflows.invoice import InvoiceWorkflow

RECORDED: dict[str, Any] = {
    path.stem: json.loads(path.read_text()) for path in sorted(HISTORIES.glob("*.json"))
}


def test_every_lifecycle_path_has_a_recorded_history() -> None:
    assert {"paid_in_two_parts", "full_ladder_then_paid", "voided", "declined", "overpaid"} <= set(RECORDED)


@pytest.mark.parametrize("name", sorted(RECORDED))
async def test_recorded_history_replays_without_nondeterminism(name: str) -> None:
    recorded = RECORDED[name]
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])

    await Replayer(workflows=[InvoiceWorkflow]).replay_workflow(history)
