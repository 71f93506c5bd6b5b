"""The worker's wiring: which runner its workflows get."""

from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from payinvoice.settings import Settings
from worker import workflow_runner


def test_production_runs_workflows_outside_the_sandbox() -> None:
    assert isinstance(workflow_runner(Settings().workflow_sandbox), UnsandboxedWorkflowRunner)


def test_the_sandbox_setting_puts_workflows_in_the_sandbox() -> None:
    sandboxed = Settings(workflow_sandbox=True).workflow_sandbox
    assert isinstance(workflow_runner(sandboxed), SandboxedWorkflowRunner)
