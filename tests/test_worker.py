"""The worker's wiring: which runner its workflows get, which task queues it serves."""

import uuid
from collections.abc import Callable

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from payinvoice.settings import Settings
from worker import build_worker, workflow_runner


def test_production_runs_workflows_outside_the_sandbox() -> None:
    assert isinstance(workflow_runner(Settings().workflow_sandbox), UnsandboxedWorkflowRunner)


def test_the_sandbox_setting_puts_workflows_in_the_sandbox() -> None:
    sandboxed = Settings(workflow_sandbox=True).workflow_sandbox
    assert isinstance(workflow_runner(sandboxed), SandboxedWorkflowRunner)


async def test_a_worker_serves_the_invoice_the_mail_and_the_notice_queue_by_default(
    temporal_client: Client, sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings],
) -> None:
    queue = f"shop-{uuid.uuid4()}"
    settings = settings_factory(temporal_task_queue=queue)
    async with build_worker(temporal_client, settings, sessions) as workers:
        assert workers.task_queues == (queue, f"{queue}-mail", f"{queue}-notices")


async def test_a_rendering_machine_serves_only_the_email_queues(
    temporal_client: Client, sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings],
) -> None:
    queue = f"shop-{uuid.uuid4()}"
    settings = settings_factory(temporal_task_queue=queue, worker_queues="mail, notices")
    async with build_worker(temporal_client, settings, sessions) as workers:
        assert workers.task_queues == (f"{queue}-mail", f"{queue}-notices")


@pytest.mark.parametrize("queues", ["", "invoices,pdf", " , "])
def test_worker_queues_must_name_known_queues(queues: str) -> None:
    with pytest.raises(ValidationError, match="must name one or more of invoices, mail, notices"):
        Settings(worker_queues=queues)


async def test_the_invoice_worker_takes_only_as_many_workflow_tasks_at_once_as_it_is_told(
    temporal_client: Client, sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(
        temporal_task_queue=f"shop-{uuid.uuid4()}", worker_queues="invoices",
        worker_max_concurrent_workflow_tasks=7,
    )
    async with build_worker(temporal_client, settings, sessions) as workers:
        [invoices] = workers.workers
        assert invoices.config()["max_concurrent_workflow_tasks"] == 7


def test_a_worker_takes_at_least_two_workflow_tasks_at_once_for_its_sticky_cache() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 2"):
        Settings(worker_max_concurrent_workflow_tasks=1)
