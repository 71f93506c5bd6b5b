"""The bare floor: the least a checkout-shaped Temporal workflow can cost on this dev server.

A no-op workflow started with update-with-start (USE_EXISTING) whose update answers at once; it
then runs one activity and waits for a signal. Its worker runs in the benchmark process on a task
queue of its own, against the same dev server as payinvoice. For the scale phase, the bare open
invoice: a workflow started plainly that sleeps on one timer.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from bench.measure import Outcome


@activity.defn(name="bench_floor_activity")
async def floor_activity(name: str) -> str:
    return name


@workflow.defn(name="BenchFloor")
class FloorWorkflow:
    def __init__(self) -> None:
        self._released = False

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.execute_activity(
            floor_activity, name, start_to_close_timeout=timedelta(seconds=60)
        )
        await workflow.wait_condition(lambda: self._released)
        return name

    @workflow.update
    def decide(self) -> str:
        return "approved"

    @workflow.signal
    def release(self) -> None:
        self._released = True


@workflow.defn(name="BenchSleeper")
class SleeperWorkflow:
    """What an open invoice is at the least: a workflow asleep on its next timer."""

    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(timedelta(days=365))


@dataclass
class Floor:
    """Drives floor workflows; each operation takes an index and returns an Outcome."""

    client: Client
    task_queue: str

    def _start(self, workflow_id: str) -> WithStartWorkflowOperation[FloorWorkflow, str]:
        return WithStartWorkflowOperation(
            FloorWorkflow.run, workflow_id, id=workflow_id, task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )

    async def decision(self, workflow_id: str) -> Outcome:
        """The timed part: the update-with-start round trip, as a checkout would wait for it."""
        await self.client.execute_update_with_start_workflow(
            FloorWorkflow.decide, start_workflow_operation=self._start(workflow_id)
        )
        return "ok", workflow_id

    async def sleeper(self, workflow_id: str) -> Outcome:
        """Start a bare sleeping workflow: the scale phase's yardstick for opening an invoice."""
        await self.client.start_workflow(SleeperWorkflow.run, id=workflow_id, task_queue=self.task_queue)
        return "ok", workflow_id

    async def release(self, workflow_id: str) -> None:
        """Let a workflow started by `decision` finish (untimed clean-up)."""
        handle = self.client.get_workflow_handle(workflow_id)
        await handle.signal(FloorWorkflow.release)
        await handle.result()

    async def lifecycle(self, workflow_id: str) -> Outcome:
        """The whole life: start with the update, the activity, the signal, completion."""
        start = self._start(workflow_id)
        await self.client.execute_update_with_start_workflow(
            FloorWorkflow.decide, start_workflow_operation=start
        )
        handle = await start.workflow_handle()
        await handle.signal(FloorWorkflow.release)
        await handle.result()
        return "ok", workflow_id


@asynccontextmanager
async def floor_worker(client: Client) -> AsyncIterator[Floor]:
    """The floor's worker, with the SDK's defaults (sandbox included), on its own task queue."""
    task_queue = f"bench-floor-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        client, task_queue=task_queue, workflows=[FloorWorkflow, SleeperWorkflow], activities=[floor_activity]
    )
    async with worker:
        yield Floor(client, task_queue)
