"""The aging report over a large book on PostgreSQL (issue 8: 1,000,000 invoices, under 500 ms).

It needs no stack of its own: a throwaway database built by the migrations, the book generated
in bulk (bench.aging_data), and the real app in this process, called through httpx's ASGI
transport: routing, authentication, the report's query and its serialisation, without a socket.
The merchants are made by `POST /v1/merchants`. A check against a query of its own tells whether
the report's buckets and totals equal the sums of `amount_due` over the same invoices.
"""

import logging
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from bench.aging_data import Book, generate
from bench.aging_plan import explain
from bench.stack import POSTGRES_SERVER, postgres_database, postgres_reachable
from payinvoice.db.session import create_engine, create_sessionmaker
from payinvoice.domain.money import to_minor
from payinvoice.settings import Settings
from services.reports.aging import BUCKETS, build_aging_report
from services.reports.receivables import RECEIVABLE_STATUSES

log = logging.getLogger("bench")

TARGET_MS = 500.0
OTHER_MERCHANTS = 4
WARMUP = 2
REPORT = "/v1/reports/aging"

# The check's own sums: days past due as a day count, not the report's date boundaries.
CHECK = """
SELECT currency, count(*) AS invoices, count(DISTINCT buyer_id) AS buyers,
       sum(amount_due) FILTER (WHERE due_date IS NULL OR CAST(:as_of AS date) - due_date <= 0) AS current,
       sum(amount_due) FILTER (WHERE CAST(:as_of AS date) - due_date BETWEEN 1 AND 30) AS days_1_30,
       sum(amount_due) FILTER (WHERE CAST(:as_of AS date) - due_date BETWEEN 31 AND 60) AS days_31_60,
       sum(amount_due) FILTER (WHERE CAST(:as_of AS date) - due_date BETWEEN 61 AND 90) AS days_61_90,
       sum(amount_due) FILTER (WHERE CAST(:as_of AS date) - due_date > 90) AS days_90_plus,
       sum(amount_due) AS total
FROM invoices
WHERE merchant_id = :merchant_id AND status = ANY(:statuses) AND amount_due > 0
GROUP BY currency
"""


def _ms(values: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values), 1), "min": round(min(values), 1),
        "max": round(max(values), 1), "runs": [round(v, 1) for v in values],
    }  # fmt: skip


Call = Callable[[], Awaitable[Any]]


async def _timed(calls: dict[str, Call], runs: int) -> tuple[dict[str, list[float]], Any]:
    """`WARMUP` untimed rounds, then `runs` timed ones, each round one call of each kind in turn
    (so that the machine's ups and downs fall on every kind alike); the times and the last answer
    of the first kind."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    first = next(iter(calls))
    answer = None
    for round_ in range(WARMUP + runs):
        for name, call in calls.items():
            began = time.perf_counter()
            result = await call()
            if round_ >= WARMUP:
                times[name].append((time.perf_counter() - began) * 1000)
            if name == first:
                answer = result
    return times, answer


async def _merchant(http: httpx.AsyncClient, admin_key: str, name: str) -> dict[str, Any]:
    response = await http.post("/v1/merchants", json={"name": name},
                               headers={"Authorization": f"Bearer {admin_key}"})  # fmt: skip
    response.raise_for_status()
    return response.json()


async def _check(engine: AsyncEngine, book: Book, report: dict[str, Any]) -> dict[str, Any]:
    """The report's totals (and row count) against sums of amount_due over the same invoices."""
    async with engine.connect() as conn:
        rows = (await conn.execute(text(CHECK), {
            "as_of": book.as_of, "merchant_id": book.merchant_ids[0],
            "statuses": [str(status) for status in RECEIVABLE_STATUSES],
        })).mappings().all()  # fmt: skip
        merchant_invoices = (await conn.execute(
            text("SELECT count(*) FROM invoices WHERE merchant_id = :merchant_id"),
            {"merchant_id": book.merchant_ids[0]},
        )).scalar_one()  # fmt: skip
    names = (*BUCKETS, "total")
    expected = {row["currency"]: {name: int(row[name] or 0) for name in names} for row in rows}
    reported = {
        totals["currency"]: {name: to_minor(totals[name], totals["currency"], name) for name in names}
        for totals in report["totals"]
    }
    mismatches = [
        f"{currency} {name}: report {got} != sum {want}"
        for currency in sorted(expected.keys() | reported.keys())
        for name in names
        if (got := reported.get(currency, {}).get(name)) != (want := expected.get(currency, {}).get(name))
    ]
    rows_expected = sum(int(row["buyers"]) for row in rows)
    if len(report["buyers"]) != rows_expected:
        mismatches.append(f"report rows {len(report['buyers'])} != (buyer, currency) pairs {rows_expected}")
    return {
        "ok": not mismatches,
        "merchant_invoices": merchant_invoices,
        "receivable_invoices": sum(int(row["invoices"]) for row in rows),
        "sum_amount_due_minor": {currency: sums["total"] for currency, sums in sorted(expected.items())},
        "mismatches": mismatches[:10],
    }


async def _table_mb(engine: AsyncEngine) -> float:
    async with engine.connect() as conn:
        size = (await conn.execute(text("SELECT pg_total_relation_size('invoices')"))).scalar_one()
    return round(size / 2**20, 1)


async def _measure(engine: AsyncEngine, url: str, invoices: int, runs: int) -> dict[str, Any]:
    admin_key = secrets.token_urlsafe(24)
    app = create_app(Settings(database_url=url, admin_key=admin_key, log_level="WARNING"))
    sessions = create_sessionmaker(engine)
    app.state.sessions = sessions  # what the lifespan would set; the report needs no Temporal client
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://aging", timeout=120) as http:
        names = ["Aging Bench Wholesale", *(f"Aging Merchant {n}" for n in range(1, OTHER_MERCHANTS + 1))]
        merchants = [await _merchant(http, admin_key, name) for name in names]
        book = Book(invoices, datetime.now(UTC).date(), tuple(m["id"] for m in merchants))
        log.info("aging: generating %d invoices (about %d for the measured merchant, %d buyers)",
                 invoices, book.bench_invoices, book.bench_buyers)  # fmt: skip
        began = time.perf_counter()
        generated = await generate(engine, book)
        generated["total_s"] = round(time.perf_counter() - began, 1)
        key = {"Authorization": f"Bearer {merchants[0]['api_key']}"}
        params = {"as_of": book.as_of.isoformat()}

        async def get(accept: str) -> httpx.Response:
            response = await http.get(REPORT, params=params, headers={**key, "Accept": accept})
            response.raise_for_status()
            return response

        async def query() -> None:
            async with sessions() as session:
                await build_aging_report(session, book.merchant_ids[0], book.as_of)

        log.info("aging: %d timed rounds of JSON, CSV and the query alone", runs)
        times, answer = await _timed(
            {"json": lambda: get("application/json"), "csv": lambda: get("text/csv"), "query": query}, runs
        )
        plan = await explain(engine, query)
    report = answer.json()
    return {
        "ms": round(statistics.median(times["json"]), 1),
        "invoices": invoices,
        "merchant_buyers": book.bench_buyers,
        "report_rows": len(report["buyers"]),
        "as_of": book.as_of.isoformat(),
        "json_ms": _ms(times["json"]),
        "csv_ms": _ms(times["csv"]),
        "query_ms": _ms(times["query"]),
        "json_bytes": len(answer.content),
        "generate_s": generated,
        "invoices_table_mb": await _table_mb(engine),
        "plan": plan,
        "check": await _check(engine, book, report),
        "path": f"GET {REPORT} on the app in this process (httpx ASGITransport), median of {runs} "
        f"after {WARMUP} untimed; JSON, CSV and the query alone take turns",
    }


async def aging(invoices: int, runs: int) -> dict[str, Any]:
    """The report's time over `invoices` invoices; `ms` is None (with a note) without PostgreSQL."""
    if not await postgres_reachable():
        return {"ms": None, "invoices": invoices, "note": f"PostgreSQL at {POSTGRES_SERVER} is unreachable"}
    async with postgres_database("payinvoice_aging") as url:
        engine = create_engine(url)
        try:
            return await _measure(engine, url, invoices, runs)
        finally:
            await engine.dispose()
