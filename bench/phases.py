"""The measurements, one function per phase. Each returns plain data for the JSON."""

import asyncio
import logging
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.floor import Floor
from bench.measure import Outcome, Run, closed_loop, percentile, rss_mb, summary
from bench.service import DECIDED, Service
from bench.stack import MAIL_DOMAIN, Stack
from payinvoice.contracts import EmailKind, invoice_workflow_id
from payinvoice.db.models import Invoice
from payinvoice.db.session import create_engine
from payinvoice.domain.schedule import DEFAULT_LADDER
from payinvoice.emails import message_id

log = logging.getLogger("bench")

# The reminder batch's first stage (`upcoming` of the default ladder, which the benchmark's
# merchant keeps) falls due this many days before its due date.
UPCOMING_DAYS_BEFORE_DUE = -DEFAULT_LADDER[0].offset_days


def rate(run: Run, labels: Iterable[str]) -> float:
    return round(run.count(labels) / run.elapsed_s, 2) if run.elapsed_s else 0.0


async def _bounded(calls: Iterable[Any], limit: int = 20) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(call: Any) -> None:
        async with gate:
            await call

    await asyncio.gather(*(one(call) for call in calls))


def emails_waiting(stack: Stack, service: Service, other: int = 0) -> int:
    """Invoice emails not yet received: one per invoice `service` opened, plus `other` opened by
    other merchants of the stack (the external check's)."""
    return service.issued + other - stack.mail.count("invoice")


async def drain(stack: Stack, service: Service, within_s: float = 90, other: int = 0) -> dict[str, Any]:
    """Let the emails of the invoices issued so far go out before the next phase starts: how
    many were still on their way, how long they took, and whether all arrived."""
    waiting, began = emails_waiting(stack, service, other), time.monotonic()
    drained = await stack.mail.wait_for("invoice", service.issued + other, within_s)
    if not drained:
        log.warning("%d invoice emails still on their way after %.0f s",
                    emails_waiting(stack, service, other), within_s)  # fmt: skip
    stack.check_alive()
    return {"emails_waiting": waiting, "drain_s": round(time.monotonic() - began, 1), "drained": drained}


# Latency


async def floor_latency(floor: Floor, concurrency: int, count: int) -> Run:
    """Update-with-start round trips; the workflows are released (untimed) afterwards."""
    prefix = f"floor-c{concurrency}-{time.monotonic_ns()}"
    run = await closed_loop(lambda i: floor.decision(f"{prefix}-{i}"), concurrency, count=count)
    await _bounded(floor.release(s.ref) for s in run.samples if s.ref)
    return run


async def decision_latency(service: Service, concurrency: int, count: int) -> Run:
    """Checkouts, each waiting for its credit decision."""
    prefix = f"decide-c{concurrency}"

    async def checkout(i: int) -> Outcome:
        label, invoice = await service.checkout(f"{prefix}-{i}", i)
        return label, invoice.get("workflow_id")

    return await closed_loop(checkout, concurrency, count=count)


LOCAL_ACTIVITY_MARKER = "core_local_activity"


def _event_ms(event: Any) -> float:
    return event.event_time.ToMicroseconds() / 1000


async def _timings(client: Client, workflow_id: str) -> dict[str, float] | None:
    """From the workflow's history: start to first task, first task to the update's completion,
    and how many workflow tasks and local activities (their markers; a patch's are not) the
    decision took."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    started = task_started = None
    tasks = markers = 0
    for event in history.events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            started = _event_ms(event)
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED and task_started is None:
            task_started = _event_ms(event)
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            tasks += 1
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            markers += event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            if started is None or task_started is None:
                return None
            done = _event_ms(event)
            return {
                "start_to_first_task_ms": task_started - started,
                "first_task_to_update_done_ms": done - task_started,
                "server_total_ms": done - started,
                "workflow_tasks": tasks,
                "local_activities": markers,
            }
    return None


async def where_time_goes(
    client: Client, run: Run, labels: Iterable[str], limit: int = 20
) -> dict[str, float]:
    """Medians over the last `limit` requests of a run: the request as the client saw it, split
    into what the workflow history shows and the rest (HTTP, the API's own reads, gRPC)."""
    wanted = set(labels)
    parts: dict[str, list[float]] = defaultdict(list)
    for sample in [s for s in run.samples if s.ref and s.label in wanted][-limit:]:
        assert sample.ref is not None
        timings = await _timings(client, sample.ref)
        if timings is None:
            continue
        parts["request_ms"].append(sample.ms)
        parts["outside_workflow_ms"].append(sample.ms - timings["server_total_ms"])
        for name, value in timings.items():
            parts[name].append(value)
    return {name: round(statistics.median(values), 1) for name, values in parts.items()}


# Throughput


async def throughput(
    stack: Stack, service: Service, floor: Floor, concurrency: int, duration_s: float
) -> dict[str, Any]:
    """Floor lifecycles, then checkouts, then settlements of those invoices, each for
    `duration_s` at `concurrency`."""
    log.info("throughput: floor lifecycles for %.0f s at %d concurrent", duration_s, concurrency)
    prefix = f"floor-tp-{time.monotonic_ns()}"
    floor_run = await closed_loop(
        lambda i: floor.lifecycle(f"{prefix}-{i}"), concurrency, duration_s=duration_s
    )
    log.info("throughput: checkouts for %.0f s at %d concurrent", duration_s, concurrency)
    issued: list[dict[str, Any]] = []

    async def checkout(i: int) -> Outcome:
        label, invoice = await service.checkout(f"tp-{i}", i)
        if label == "open":
            issued.append(invoice)
        return label, None

    invoice_run = await closed_loop(checkout, concurrency, duration_s=duration_s)
    await drain(stack, service)
    log.info("throughput: settling %d invoices at %d concurrent", len(issued), concurrency)
    receipts_before = stack.mail.count("receipt")

    async def settle(i: int) -> Outcome:
        return await service.pay_in_full(issued[i]), None

    settle_run = await closed_loop(settle, concurrency, count=len(issued), duration_s=duration_s)
    paid = settle_run.count(["paid"])
    if not await stack.mail.wait_for("receipt", receipts_before + paid, within_s=90):
        log.warning("not every receipt arrived within 90 s")
    invoices_per_s, floor_per_s = rate(invoice_run, ["open"]), rate(floor_run, ["ok"])
    settlements_per_s = rate(settle_run, ["paid"])
    return {
        "invoices_per_s": invoices_per_s,
        "settlements_per_s": settlements_per_s,
        "floor_per_s": floor_per_s,
        "ratio": round(invoices_per_s / floor_per_s, 2) if floor_per_s else None,
        "settlement_ratio": round(settlements_per_s / floor_per_s, 2) if floor_per_s else None,
        "concurrency": concurrency,
        "duration_s": {
            "floor": round(floor_run.elapsed_s, 1), "invoices": round(invoice_run.elapsed_s, 1),
            "settlements": round(settle_run.elapsed_s, 1),
        },
        "outcomes": {
            "floor": floor_run.outcomes(), "invoices": invoice_run.outcomes(),
            "settlements": settle_run.outcomes(),
        },
        "latency_ms": {
            "floor_lifecycle": summary(floor_run.latencies(["ok"])),
            "checkout": summary(invoice_run.latencies(DECIDED)),
            "settlement": summary(settle_run.latencies(["paid"])),
        },
    }  # fmt: skip


# Scale


async def _read(database_url: str, query: Any) -> list[Any]:
    """The rows of one query, on an engine of its own (the benchmark holds no pool)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(query)).scalars())
    finally:
        await engine.dispose()


async def count_open(database_url: str) -> int:
    query = select(func.count()).select_from(Invoice).where(Invoice.status == "open")
    return int((await _read(database_url, query))[0])


async def bare_sleepers(floor: Floor, concurrency: int, duration_s: float) -> dict[str, Any]:
    """Bare sleeping workflows started for `duration_s`: the scale phase's yardstick."""
    prefix = f"bench-sleeper-{time.monotonic_ns()}"
    log.info("scale: bare sleeping workflows for %.0f s at %d concurrent", duration_s, concurrency)
    run = await closed_loop(lambda i: floor.sleeper(f"{prefix}-{i}"), concurrency, duration_s=duration_s)
    return {"bare_create_per_s": rate(run, ["ok"]), "bare_open": run.count(["ok"])}


async def scale(
    stack: Stack, service: Service, target: int, concurrency: int, budget_s: float, other: int = 0
) -> dict[str, Any]:
    """Invoices up to `target` open (or for `budget_s`), each asleep on its reminder timer, then
    the memory of the processes that hold them. Their invoice emails are left printing (`other`:
    as in `drain`)."""
    before = await count_open(stack.database_url)
    wanted = max(0, target - before)
    log.info("scale: %d invoices open, creating up to %d more (at most %.0f s)", before, wanted, budget_s)

    async def checkout(i: int) -> Outcome:
        return (await service.checkout(f"scale-{i}", i))[0], None

    run = await closed_loop(checkout, concurrency, count=wanted, duration_s=max(budget_s, 0.0))
    stack.check_alive()
    return {
        "open_invoices": await count_open(stack.database_url),
        "worker_rss_mb": rss_mb(stack.worker.pid),
        "server_rss_mb": rss_mb(stack.server.pid),
        "api_rss_mb": rss_mb(stack.api.pid),
        "created_in_phase": run.count(["open"]),
        "create_s": round(run.elapsed_s, 1),
        "create_per_s": rate(run, ["open"]) if run.samples else None,
        "create_outcomes": run.outcomes(),
        "invoice_emails_waiting": emails_waiting(stack, service, other),
    }


async def cache_memory(stack: Stack, sizes: Iterable[int], sample: int, concurrency: int) -> dict[str, Any]:
    """The worker's memory against its sticky cache size: for each size a fresh worker with that
    cache queries the same `sample` open invoices (each query loads, by replay, an invoice the
    cache does not hold), and its RSS is read after. The last worker keeps running."""
    query = select(Invoice.id).where(Invoice.status == "open").order_by(Invoice.id).limit(sample)
    ids: list[str] = await _read(stack.database_url, query)
    by_size: dict[str, float | None] = {}
    seconds: dict[str, float] = {}
    for size in sizes:
        log.info("cache: worker with a sticky cache of %d, querying %d open invoices", size, len(ids))
        await stack.restart_worker(worker_max_cached_workflows=str(size))

        async def query(i: int) -> Outcome:
            handle = stack.client.get_workflow_handle(invoice_workflow_id(ids[i]))
            await handle.query("get_invoice")
            return "ok", None

        run = await closed_loop(query, concurrency, count=len(ids))
        by_size[str(size)] = rss_mb(stack.worker.pid)
        seconds[str(size)] = round(sum(run.latencies(["ok"])) / 1000, 1)
    return {
        "invoices_queried": len(ids), "worker_rss_mb_by_cache_size": by_size, "query_seconds_total": seconds,
    }


async def reminder_batch(
    stack: Stack, service: Service, batch: int, concurrency: int, terms_days: int
) -> tuple[dict[str, float], dict[str, int]]:
    """A batch of invoices whose first reminder (`upcoming`) falls due `terms_days - 3` days after
    issue: the time each is due (epoch seconds, as its checkout answered) by its Message-ID, and
    the checkouts' outcomes (only those answered `open` are timed)."""
    due: dict[str, float] = {}

    async def checkout(i: int) -> Outcome:
        label, invoice = await service.checkout(f"remind-{i}", i, terms_days=terms_days)
        upcoming = invoice.get("next_reminder") if label == "open" else None
        if upcoming:
            key = message_id(invoice["id"], EmailKind.REMINDER, upcoming["stage"], MAIL_DOMAIN)
            due[key] = datetime.fromisoformat(upcoming["at"]).timestamp()
        return label, None

    log.info("reminders: a batch of %d, first reminder due %.0f s after issue", batch,
             (terms_days - UPCOMING_DAYS_BEFORE_DUE) * stack.day_seconds)  # fmt: skip
    run = await closed_loop(checkout, concurrency, count=batch)
    return due, run.outcomes()


async def reminder_lateness(
    stack: Stack, service: Service, due: dict[str, float], outcomes: dict[str, int], other: int = 0
) -> dict[str, Any]:
    """How late each reminder of a `reminder_batch` reached the SMTP sink, against the time its
    checkout answered. The invoice emails still waiting (`other`: as in `drain`) are reported at
    the batch's due time and once it is measured."""
    if not due:
        return {"reminder_lateness_p99_s": None, "reminder_batch": {"size": 0, "outcomes": outcomes}}
    await asyncio.sleep(max(0.0, min(due.values()) - time.time()))
    waiting_when_due = emails_waiting(stack, service, other)
    log.info("reminders: falling due behind %d invoice emails still waiting", waiting_when_due)
    grace_s = max(10.0, stack.day_seconds)
    await stack.mail.wait_for_reminders(due, until=max(due.values()) + grace_s)
    stack.check_alive()
    late = [
        received - at for key, at in due.items()
        if (received := stack.mail.reminder_received_at(key)) is not None
    ]  # fmt: skip
    missing = len(due) - len(late)
    # A p99 that ignored more than 1% missing reminders would flatter: then there is none.
    p99 = round(percentile(late, 99), 3) if late and missing <= len(due) // 100 else None
    return {
        "reminder_lateness_p99_s": p99,
        "reminder_lateness_p50_s": round(percentile(late, 50), 3) if late else None,
        "reminder_batch": {
            "size": len(due),
            "outcomes": outcomes,
            "received": len(late),
            "missing_after_grace": missing,
            "grace_s": grace_s,
            "due_spread_s": round(max(due.values()) - min(due.values()), 2),
            "lateness_max_s": round(max(late), 3) if late else None,
            "invoice_emails_waiting": {
                "when_due": waiting_when_due, "once_measured": emails_waiting(stack, service, other),
            },
        },
    }
