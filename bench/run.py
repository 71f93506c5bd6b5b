"""`python -m bench.run [--quick] [--db sqlite|postgres] [--only core,external,aging] [--out PATH]`:
start a stack of our own, measure the floor and payinvoice on it, then the aging report over a
large book on PostgreSQL; print the table and write bench/results/*.json."""

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import phases
from bench.aging import aging
from bench.documents import pdf_cost
from bench.external import external_check
from bench.floor import Floor, floor_worker
from bench.measure import Run, closed_loop, commit, machine, rss_mb, summary
from bench.report import table, targets, write
from bench.service import DECIDED, Service, service
from bench.stack import ROOT, Database, Stack, start_stack
from payinvoice.temporal import DEV_SERVER_ARGS, temporal_cli

log = logging.getLogger("bench")


@dataclass(frozen=True)
class Profile:
    mode: str
    day_seconds: float  # the stack's day: the reminder batch falls due one day after issue
    warmup: int
    floor_requests: dict[int, int]  # concurrency -> requests
    decision_requests: dict[int, int]
    throughput_concurrency: int
    throughput_s: float
    open_target: int
    scale_budget_s: float  # at most; the scale phase also stops when the reminder batch falls due
    bare_s: float  # bare sleeping workflows started for this long: the scale phase's yardstick
    reminder_batch: int
    reminder_concurrency: int
    # The batch's first reminder falls due (terms - 3) days after issue: after the scale phase
    # has opened its invoices, behind whose emails it is measured.
    reminder_terms_days: int
    cache_sizes: tuple[int, int]  # the worker's sticky cache, measured at both sizes
    cache_sample: int  # open invoices each of those workers loads
    external_buyers: int  # cold and warm decisions with the external credit check, one of each per buyer
    aging_invoices: int  # the book the aging report runs over
    aging_runs: int  # timed runs of the report (after 2 untimed)
    buyers: int = 50
    pdf_runs: int = 200  # invoice PDFs timed by the documents phase (after 5 untimed)


QUICK = Profile(
    mode="quick", day_seconds=10, warmup=10, floor_requests={1: 30, 10: 150},
    decision_requests={1: 30, 10: 150, 50: 150}, throughput_concurrency=16, throughput_s=15,
    open_target=1000, scale_budget_s=60, bare_s=5, reminder_batch=100, reminder_concurrency=25,
    reminder_terms_days=7,
    cache_sizes=(300, 30), cache_sample=300, external_buyers=30, aging_invoices=100_000, aging_runs=5,
)  # fmt: skip
FULL = Profile(
    mode="full", day_seconds=60, warmup=30, floor_requests={1: 200, 10: 1000},
    decision_requests={1: 200, 10: 1000, 50: 1000}, throughput_concurrency=16, throughput_s=60,
    open_target=20_000, scale_budget_s=1800, bare_s=30, reminder_batch=500, reminder_concurrency=25,
    reminder_terms_days=28,
    cache_sizes=(1000, 100), cache_sample=2000, external_buyers=200, aging_invoices=1_000_000, aging_runs=9,
)  # fmt: skip
# core: the floor, decisions, throughput and the worker's memory by cache size; external:
# decisions with the external credit check; scale: invoices opened up to the target, then a
# reminder batch behind their emails; aging: the aging report on PostgreSQL; documents: the CPU
# of one invoice PDF, in this process. In this order.
PHASES = ("core", "external", "scale", "aging", "documents")
# The scale phase stops opening invoices this long before the reminder batch falls due.
DUE_MARGIN_S = 10


async def _warm_up(floor: Floor, svc: Service, count: int) -> None:
    """Connections, imports and caches on both paths, untimed."""
    await phases.floor_latency(floor, 1, count)
    await closed_loop(lambda i: _checkout(svc, f"warmup-{i}", i), 1, count=count)


async def _checkout(svc: Service, order: str, index: int) -> tuple[str, str | None]:
    return (await svc.checkout(order, index))[0], None


def _latency(run: Run, labels: tuple[str, ...]) -> dict[str, Any]:
    return summary(run.latencies(labels))


async def measure(profile: Profile, stack: Stack, floor: Floor, svc: Service) -> dict[str, Any]:
    result: dict[str, Any] = {"floor_ms": {}, "decision_ms": {}, "decision_outcomes": {}}
    log.info("warming up")
    await _warm_up(floor, svc, profile.warmup)
    runs: dict[str, Run] = {}
    for concurrency, count in sorted(profile.decision_requests.items()):
        level = f"c{concurrency}"
        if concurrency in profile.floor_requests:
            log.info("floor: %d update-with-start at %d concurrent", profile.floor_requests[concurrency],
                     concurrency)  # fmt: skip
            runs[f"floor_{level}"] = await phases.floor_latency(
                floor, concurrency, profile.floor_requests[concurrency]
            )
            result["floor_ms"][level] = _latency(runs[f"floor_{level}"], ("ok",))
        log.info("decision: %d checkouts at %d concurrent", count, concurrency)
        runs[level] = await phases.decision_latency(svc, concurrency, count)
        result["decision_ms"][level] = _latency(runs[level], DECIDED)
        result["decision_outcomes"][level] = runs[level].outcomes()
        await phases.drain(stack, svc)
    result["decision_breakdown_ms"] = {
        "decision_c1": await phases.where_time_goes(stack.client, runs["c1"], DECIDED),
        "floor_c1": await phases.where_time_goes(stack.client, runs["floor_c1"], ("ok",)),
    }
    result["throughput"] = await phases.throughput(
        stack, svc, floor, profile.throughput_concurrency, profile.throughput_s
    )
    cache = await phases.cache_memory(stack, profile.cache_sizes, profile.cache_sample, 8)
    await stack.restart_worker()  # the default sticky cache again, for the phases after
    result["scale"] = {"cache": cache}
    return result


async def measure_scale(
    profile: Profile, stack: Stack, floor: Floor, svc: Service, other: int
) -> dict[str, Any]:
    """Once earlier emails are out: bare sleeping workflows; then the reminder batch, whose own
    invoice emails go out before its workflows sleep; then invoices opened up to the target until
    the batch falls due, behind whose emails its reminders are measured (`other`: invoices
    earlier phases opened for merchants other than `svc`'s)."""
    before = await phases.drain(stack, svc, within_s=300, other=other)
    bare = await phases.bare_sleepers(floor, profile.throughput_concurrency, profile.bare_s)
    due, outcomes = await phases.reminder_batch(
        stack, svc, profile.reminder_batch, profile.reminder_concurrency, profile.reminder_terms_days
    )
    await phases.drain(stack, svc, within_s=300, other=other)
    until_due = min(due.values(), default=time.time()) - time.time() - DUE_MARGIN_S
    opened = await phases.scale(
        stack, svc, profile.open_target, profile.throughput_concurrency,
        min(profile.scale_budget_s, until_due), other,
    )
    reminders = await phases.reminder_lateness(stack, svc, due, outcomes, other)
    created, bare_per_s = opened["create_per_s"], bare["bare_create_per_s"]
    return {
        **opened, **bare, "create_ratio": round(created / bare_per_s, 2) if created and bare_per_s else None,
        "emails_before_phase": before, **reminders,
    }


def _temporal_version() -> str:
    out = subprocess.run([temporal_cli(), "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def _count(n: int) -> str:
    """1_000_000 -> "1m", 100_000 -> "100k": the suffix of the aging key."""
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def _aging_keys(profile: Profile, report: dict[str, Any] | None) -> dict[str, Any]:
    """`aging_ms_1m` (issue 8) and, for another book size, `aging_ms_<size>` beside it."""
    if report is None:
        return {"aging_ms_1m": None, "aging_ms_1m_note": "not run (--only)"}
    keys: dict[str, Any] = {f"aging_ms_{_count(profile.aging_invoices)}": report["ms"], "aging": report}
    if profile.aging_invoices != 1_000_000:
        keys["aging_ms_1m"] = None
        keys["aging_ms_1m_note"] = (
            f"{profile.mode} mode runs {profile.aging_invoices:,} invoices, not 1,000,000: see "
            f"aging_ms_{_count(profile.aging_invoices)}"
        )
    elif report["ms"] is None:
        keys["aging_ms_1m_note"] = report["note"]
    return keys


def _external_keys(result: dict[str, Any], external: dict[str, Any]) -> None:
    result.setdefault("decision_ms", {}).update(
        {"external_cold": external["cold"], "external_warm": external["warm"]}
    )
    result.setdefault("decision_outcomes", {}).update(
        {"external_cold": external["outcomes"]["cold"], "external_warm": external["outcomes"]["warm"]}
    )
    result["external_check"] = external["details"]


async def bench(profile: Profile, db: Database, only: frozenset[str] = frozenset(PHASES)) -> dict[str, Any]:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    began = time.monotonic()
    result: dict[str, Any] = {
        "mode": profile.mode,
        "db": db,
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit(ROOT),
        "machine": machine(),
        "stack": {
            "temporal": _temporal_version(), "dev_server_args": list(DEV_SERVER_ARGS),
            "profile": asdict(profile),
        },
        "phases": [phase for phase in PHASES if phase in only],
    }  # fmt: skip
    if only & {"core", "external", "scale"}:
        async with (
            start_stack(db, profile.day_seconds) as stack,
            floor_worker(stack.client) as floor,
            service(stack.api_url, stack.admin_key, profile.buyers) as svc,
        ):
            idle = {
                "worker_rss_mb_idle": rss_mb(stack.worker.pid),
                "server_rss_mb_idle": rss_mb(stack.server.pid),
            }
            if "core" in only:
                result.update(await measure(profile, stack, floor, svc))
            if "external" in only:  # on a merchant of its own
                _external_keys(result, await external_check(stack, profile.external_buyers))
            if "scale" in only:  # last: it leaves thousands of invoice emails printing
                other = result.get("external_check", {}).get("invoices_issued", 0)
                scale = await measure_scale(profile, stack, floor, svc, other)
                result["scale"] = {**scale, **idle, **result.get("scale", {})}
    # With no stack running: generating the book takes both cores for a while.
    report = await aging(profile.aging_invoices, profile.aging_runs) if "aging" in only else None
    result.update(_aging_keys(profile, report))
    if "documents" in only:  # with no stack running either: the PDF's own CPU, nothing else's
        result["documents"] = pdf_cost(profile.pdf_runs)
    result["targets"] = targets(result)
    result["duration_s"] = round(time.monotonic() - began, 1)
    return result


def _phases(value: str) -> frozenset[str]:
    chosen = frozenset(part.strip() for part in value.split(",") if part.strip())
    if not chosen or chosen - set(PHASES):
        raise argparse.ArgumentTypeError(f"a comma-separated choice of {', '.join(PHASES)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the small version (under 3 minutes)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--only", type=_phases, default=frozenset(PHASES), metavar="PHASES",
        help=f"run only these phases (of {','.join(PHASES)}); then latest.json is left alone",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, help="write the JSON here only (not to bench/results)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("mail.log", "temporalio", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        result = asyncio.run(bench(QUICK if args.quick else FULL, args.db, args.only))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("benchmark interrupted; the stack was stopped", file=sys.stderr)
        return 130
    print(table(result))
    # A partial run is never the run of record: it does not replace latest.json.
    for path in write(result, out=args.out, latest=args.only == frozenset(PHASES)):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The SDK can abort in interpreter teardown after all work is done (sdk-python#300).
    os._exit(status)
