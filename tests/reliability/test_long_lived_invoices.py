"""Invoices that live long and busy lives keep short histories: one paid in a thousand parts and
one paused and resumed hundreds of times continue as new (CONTINUE_AS_NEW_PATCH) and stay right.

A dev server of their own suggests continue-as-new after a few hundred events (Temporal's default
is thousands), so that `make test` sees several runs per invoice in seconds; `make
test-reliability` takes each invoice through the full count of the issue."""

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import get_session, get_temporal
from payinvoice.contracts import invoice_workflow_id
from payinvoice.search import SEARCH_ATTRIBUTES
from payinvoice.settings import Settings
from payinvoice.temporal import DEV_SERVER_ARGS, temporal_cli
from tests.reliability.conftest import scaled
from tests.utils.factories import auth, create_buyer, create_merchant, open_invoice, post_payment
from tests.utils.histories import record_history
from tests.utils.pages import every_item
from tests.utils.waiting import eventually
from worker import build_worker

# Events a run may reach before Temporal suggests a new one; a run ends a little after (the
# handlers in flight finish first), never far.
SUGGEST_AFTER_EVENTS = 200
RUN_BOUND = SUGGEST_AFTER_EVENTS + 150
PAYMENTS = scaled(60, 1000)
PAUSE_CYCLES = scaled(25, 300)


@pytest.fixture(scope="module")
async def short_history_client() -> AsyncIterator[Client]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=[
            *DEV_SERVER_ARGS,
            "--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER_EVENTS}",
        ],
        search_attributes=SEARCH_ATTRIBUTES,
    )  # fmt: skip
    yield env.client
    await env.shutdown()


@pytest.fixture(scope="module")
async def api(
    short_history_client: Client, settings_factory: Callable[..., Settings], sessions: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app and worker on that server (the same wiring as tests/conftest.py)."""
    settings = settings_factory(temporal_task_queue=f"long-lived-{uuid.uuid4()}", day_seconds=60.0)
    workers = build_worker(short_history_client, settings, sessions)
    app = create_app(settings)

    async def session_override() -> AsyncIterator[Any]:
        async with sessions() as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    app.dependency_overrides[get_temporal] = lambda: short_history_client
    transport = httpx.ASGITransport(app=app)
    async with workers, httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _runs(client: Client, invoice_id: str) -> list[tuple[str, int, WorkflowExecutionStatus]]:
    """Every run of the invoice's workflow: (run id, history length, status), oldest first."""
    runs = []
    async for execution in client.list_workflows(f"WorkflowId = '{invoice_workflow_id(invoice_id)}'"):
        history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
        runs.append((execution.run_id, len(history.events), execution.status, execution.start_time))
    return [(run, length, status) for run, length, status, _ in sorted(runs, key=lambda r: r[3])]


def _continued(runs: list[tuple[str, int, WorkflowExecutionStatus]]) -> int:
    return sum(status == WorkflowExecutionStatus.CONTINUED_AS_NEW for _, _, status in runs)


async def test_an_invoice_paid_in_a_thousand_parts_continues_as_new_and_counts_every_cent(
    api: httpx.AsyncClient, short_history_client: Client
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, credit_limit="100000.00")
    invoice = await open_invoice(api, key, buyer["id"])  # 119.00 EUR
    total_cents = 11_900

    for i in range(PAYMENTS - 1):
        paid = await post_payment(api, key, invoice["id"], payment_id=f"part-{i}", amount="0.01")
        assert paid.status_code == 200, paid.text
    last = await post_payment(
        api, key, invoice["id"], payment_id="last", amount=f"{(total_cents - PAYMENTS + 1) / 100:.2f}"
    )
    assert last.status_code == 200, last.text

    settled = last.json()
    assert settled["status"] == "paid" and settled["amount_due"] == "0.00"
    assert len(settled["payments"]) == PAYMENTS
    assert sum(round(float(p["amount"]) * 100) for p in settled["payments"]) == total_cents
    # The credit is released and the buyer's record learned, once.
    buyer_now = await eventually(lambda: _exposure_released(api, key, buyer["id"]))
    assert buyer_now["payment_record"]["invoices_paid"] == 1
    runs = await _runs(short_history_client, invoice["id"])
    assert _continued(runs) >= 2, runs
    assert all(length <= RUN_BOUND for _, length, _ in runs), runs
    workflow_id = invoice_workflow_id(invoice["id"])
    await record_history(short_history_client, workflow_id, "continued_as_new_after_many_payments")


async def _exposure_released(api: httpx.AsyncClient, key: str, buyer_id: str) -> dict[str, Any] | None:
    buyer = (await api.get(f"/v1/buyers/{buyer_id}", headers=auth(key))).json()
    done = buyer["credit"]["exposure"] == "0.00" and buyer["payment_record"]["invoices_paid"] == 1
    return buyer if done else None


async def test_an_invoice_paused_and_resumed_hundreds_of_times_continues_as_new_and_keeps_its_ladder(
    api: httpx.AsyncClient, short_history_client: Client
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    url = f"/v1/invoices/{invoice['id']}"

    for _ in range(PAUSE_CYCLES):
        paused = await api.post(f"{url}/pause", json={"reason": "checking"}, headers=auth(key))
        assert paused.status_code == 200, paused.text
        resumed = await api.post(f"{url}/resume", json={"note": "fine"}, headers=auth(key))
        assert resumed.status_code == 200, resumed.text

    now = resumed.json()
    assert (now["status"], now["paused"], now["due_date"]) == ("open", False, invoice["due_date"])
    assert now["next_reminder"] is not None  # the ladder still runs
    kinds = [e["kind"] for e in await every_item(api, key, f"{url}/events")]
    assert kinds.count("paused") == kinds.count("resumed") == PAUSE_CYCLES
    runs = await _runs(short_history_client, invoice["id"])
    assert _continued(runs) >= 1, runs
    assert all(length <= RUN_BOUND for _, length, _ in runs), runs
    # Still the same invoice to the API: paid now, in full, once.
    paid = await post_payment(api, key, invoice["id"], payment_id="after-the-cycles")
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text
