"""The whole service as real processes, for the crash tests: a Temporal dev server keeping its
state in a db file, `python worker.py` and `uvicorn api.app:app`, each configured by
`PAYINVOICE_*` variables, on free 127.0.0.1 ports. Any of them can be killed with SIGKILL and
started again on the same ports and files. The process handling is the benchmark's
(`bench.stack.Process`); the mail sink lives in the test process."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, DescribeTaskQueueRequest
from temporalio.client import Client

from bench.stack import Process, StackError
from dev.ports import free_port
from payinvoice.search import dev_server_args
from payinvoice.temporal import DEV_SERVER_ARGS, temporal_cli

NAMESPACE = "default"
TASK_QUEUE = "payinvoice"


async def wait_until(what: str, probe: Callable[[], Awaitable[bool]], within: float = 60) -> None:
    """Await `probe` until it answers True (exceptions count as not yet); fail after `within` s."""
    deadline = time.monotonic() + within
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if await probe():
                return
        except StackError:
            raise
        except Exception as error:
            last = error
        await asyncio.sleep(0.2)
    raise StackError(f"{what} not ready within {within:.0f} s (last error: {last!r})")


@dataclass
class ServiceStack:
    """Ports, files and environment stay fixed for the stack's life, so that a restarted process
    finds its peers and its state where the killed one left them."""

    workdir: Path
    database_url: str
    smtp_port: int
    admin_key: str
    settings: dict[str, str]
    temporal_port: int = field(default_factory=free_port)
    temporal_http_port: int = field(default_factory=free_port)
    temporal_metrics_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    server: Process | None = None
    worker: Process | None = None
    api: Process | None = None
    # More workers and API processes on the same server and database (scale-out).
    more: list[Process] = field(default_factory=list)
    starts: dict[str, int] = field(default_factory=dict)
    _client: Client | None = None

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYINVOICE_")}
        values = {
            "database_url": self.database_url, "temporal_address": self.temporal_address,
            "temporal_namespace": NAMESPACE, "temporal_task_queue": TASK_QUEUE,
            "smtp_host": "127.0.0.1", "smtp_port": str(self.smtp_port), "admin_key": self.admin_key,
            "public_url": self.api_url, "worker_metrics_port": "0", "log_level": "WARNING",
            "allow_private_urls": "true",  # the receivers these stacks call listen on 127.0.0.1
        } | self.settings  # fmt: skip
        env.update({f"PAYINVOICE_{key.upper()}": value for key, value in values.items()})
        return env

    def _start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Process:
        self.starts[name] = self.starts.get(name, 0) + 1
        # A log per start, so that a restart does not overwrite what the killed process said.
        return Process.start(f"{name}-{self.starts[name]}", args, self.workdir, env)

    # The dev server

    async def start_server(self) -> None:
        args = [
            temporal_cli(), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
            "--db-filename", str(self.workdir / "temporal.db"), "--port", str(self.temporal_port),
            "--http-port", str(self.temporal_http_port), "--metrics-port", str(self.temporal_metrics_port),
            "--log-level", "error", *DEV_SERVER_ARGS, *dev_server_args(),
        ]  # fmt: skip
        self.server = self._start("temporal", args)
        await wait_until("the Temporal dev server", self._probe(self.server, self._namespace_ready))

    async def _namespace_ready(self) -> bool:
        client = await self.client()
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=NAMESPACE))
        return True

    async def client(self) -> Client:
        """The test's own client: it reconnects by itself when the server comes back."""
        if self._client is None:
            self._client = await Client.connect(self.temporal_address, namespace=NAMESPACE)
        return self._client

    # The worker

    async def start_worker(self) -> None:
        self.worker = self._start("worker", [sys.executable, "worker.py"], self.env())
        await wait_until("the worker", self._probe(self.worker, self._worker_polls), within=60)

    async def _worker_polls(self) -> bool:
        client = await self.client()
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=NAMESPACE, task_queue=TaskQueue(name=TASK_QUEUE),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )  # fmt: skip
        # A killed worker's poller stays listed for a while: count only pollers seen just now.
        now = time.time()
        return any(now - p.last_access_time.ToDatetime().timestamp() < 2 for p in response.pollers)

    async def add_worker(self) -> Process:
        """One more worker on the same task queues, as docker-compose scales them."""
        worker = self._start("worker-more", [sys.executable, "worker.py"], self.env())
        self.more.append(worker)
        await wait_until("another worker", self._probe(worker, self._worker_polls), within=60)
        return worker

    # The API

    async def start_api(self) -> None:
        self.api = await self._api(self.api_port, "api")

    async def add_api(self) -> str:
        """One more API process on a port of its own; its base URL."""
        port = free_port()
        self.more.append(await self._api(port, "api-more"))
        return f"http://127.0.0.1:{port}"

    async def _api(self, port: int, name: str) -> Process:
        args = [
            sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning",
        ]  # fmt: skip
        api = self._start(name, args, self.env())

        async def healthy() -> bool:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
                return (await http.get("/healthz")).status_code == 200

        await wait_until(f"the API on {port}", self._probe(api, healthy))
        return api

    # Crashes

    @staticmethod
    async def kill(process: Process | None) -> None:
        """SIGKILL: no shutdown hook runs, exactly as when the machine dies."""
        if process is None or not process.alive():
            return
        process.popen.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process.popen.wait)

    def _probe(self, process: Process, check: Callable[[], Awaitable[bool]]) -> Callable[[], Awaitable[bool]]:
        async def probe() -> bool:
            if not process.alive():
                raise StackError(f"{process.name} exited ({process.popen.returncode}):\n{process.tail(40)}")
            return await check()

        return probe

    def check_alive(self) -> None:
        for process in (self.server, self.worker, self.api, *self.more):
            if process is not None and not process.alive():
                raise StackError(f"{process.name} exited ({process.popen.returncode}):\n{process.tail(40)}")

    async def stop(self) -> None:
        for process in (*self.more, self.api, self.worker, self.server):
            if process is not None:
                with contextlib.suppress(subprocess.SubprocessError, OSError):
                    await process.stop(grace_s=10)


@asynccontextmanager
async def service_stack(
    workdir: Path, database_url: str, smtp_port: int, admin_key: str, **settings: str
) -> AsyncIterator[ServiceStack]:
    """Start the dev server, the worker and the API; stop whatever runs on the way out, also on
    failure (SIGTERM, then SIGKILL)."""
    stack = ServiceStack(workdir, database_url, smtp_port, admin_key, settings)
    try:
        await stack.start_server()
        await stack.start_worker()
        await stack.start_api()
        yield stack
    finally:
        await stack.stop()
