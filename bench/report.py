"""The targets, the printed table and the JSON files."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Row:
    """One line of the table: a measured value beside the floor of the same run."""

    name: str
    value: float | None
    floor: float | None = None
    target: str = ""
    meets: Callable[[float], bool] | None = None
    absolute: bool = False  # `meets` judges the value itself, not its ratio to a floor

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor:
            return None
        return round(self.value / self.floor, 2)

    @property
    def met(self) -> bool | None:
        judged = self.value if self.absolute else self.ratio
        if self.meets is None or judged is None:
            return None
        return self.meets(judged)


def _get(result: dict[str, Any], path: str) -> Any:
    value: Any = result
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def target_rows(result: dict[str, Any]) -> list[Row]:
    return [
        Row("decision c1 p50 ms", _get(result, "decision_ms.c1.p50"), _get(result, "floor_ms.c1.p50"),
            "<= 1.5x", lambda r: r <= 1.5),
        Row("decision c10 p99 ms", _get(result, "decision_ms.c10.p99"), _get(result, "floor_ms.c10.p99"),
            "<= 1.5x", lambda r: r <= 1.5),
        Row("invoices/s", _get(result, "throughput.invoices_per_s"), _get(result, "throughput.floor_per_s"),
            ">= 0.6x", lambda r: r >= 0.6),
        Row("aging report ms (1M, PostgreSQL)", _get(result, "aging_ms_1m"), None, "< 500 ms",
            lambda ms: ms < 500, absolute=True),
        Row("invoice PDF CPU ms (median, warm)", _get(result, "documents.pdf_cpu_ms"), None, "<= 10 ms",
            lambda ms: ms <= 10, absolute=True),
    ]  # fmt: skip


def info_rows(result: dict[str, Any]) -> list[Row]:
    rows = []
    for level in ("c1", "c10", "c50"):
        for pct in ("p50", "p95", "p99"):
            name = f"decision {level} {pct} ms"
            if (level, pct) not in (("c1", "p50"), ("c10", "p99")):
                rows.append(Row(name, _get(result, f"decision_ms.{level}.{pct}"),
                                _get(result, f"floor_ms.{level}.{pct}")))  # fmt: skip
    for cache in ("cold", "warm"):  # at 1 concurrent: beside the floor's c1
        for pct in ("p50", "p95", "p99"):
            rows.append(Row(f"decision external {cache} {pct} ms",
                            _get(result, f"decision_ms.external_{cache}.{pct}"),
                            _get(result, f"floor_ms.c1.{pct}")))  # fmt: skip
    rows += [
        Row("settlements/s", _get(result, "throughput.settlements_per_s"),
            _get(result, "throughput.floor_per_s")),
        Row("open invoices", _get(result, "scale.open_invoices")),
        Row("invoices opened/s (floor: bare sleepers)", _get(result, "scale.create_per_s"),
            _get(result, "scale.bare_create_per_s")),
        Row("worker RSS MB", _get(result, "scale.worker_rss_mb")),
        Row("server RSS MB", _get(result, "scale.server_rss_mb")),
        Row("reminder lateness p50 s", _get(result, "scale.reminder_lateness_p50_s")),
        Row("reminder lateness p99 s", _get(result, "scale.reminder_lateness_p99_s")),
    ]  # fmt: skip
    cache = _get(result, "scale.cache.worker_rss_mb_by_cache_size") or {}
    for size_key, mb in cache.items():
        rows.append(Row(f"worker RSS MB, cache {int(size_key):,}", mb))
    size = _get(result, "aging.invoices")
    if size is not None and size != 1_000_000:
        rows.append(Row(f"aging report ms ({size:,})", _get(result, "aging.ms")))
    rows += [
        Row("aging report CSV ms", _get(result, "aging.csv_ms.median")),
        Row("aging query alone ms", _get(result, "aging.query_ms.median")),
        Row("invoice PDF CPU ms p95 (warm)", _get(result, "documents.pdf_cpu_ms_p95")),
        Row("invoice PDF CPU ms: its data (Python)", _get(result, "documents.pdf_python_cpu_ms")),
        Row("invoice PDF CPU ms: Typst alone", _get(result, "documents.pdf_typst_cpu_ms")),
        Row("invoice PDF CPU ms (cold: a fresh process's first)", _get(result, "documents.pdf_cpu_ms_cold")),
        # What the PDF's CPU costs at scale: the invoice emails still printing after the burst.
        Row("invoice emails still printing after the burst", _get(result, "scale.invoice_emails_waiting")),
    ]  # fmt: skip
    return rows


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": row.name, "value": row.value, "floor": row.floor, "ratio": row.ratio,
         "target": row.target, "met": row.met}
        for row in target_rows(result)
    ]  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def table(result: dict[str, Any]) -> str:
    header = ("metric", "measured", "floor", "ratio", "target", "met")
    rows = [
        (row.name, _cell(row.value), _cell(row.floor),
         f"{row.ratio:.2f}x" if row.ratio is not None else "-", row.target or "-", _cell(row.met))
        for row in [*target_rows(result), *info_rows(result)]
    ]  # fmt: skip
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]

    def render(line: tuple[str, ...]) -> str:
        first, *rest = line
        cells = (cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True))
        return "  ".join([first.ljust(widths[0]), *cells])

    rule = "-" * len(render(header))
    title = (
        f"payinvoice benchmark: {result['mode']}, {result['db']}, commit {result['commit']}, "
        f"{result['machine']['cores']} cores, {result['started_at']}"
    )
    split = len(target_rows(result))
    lines = [
        title, rule, render(header), rule, *map(render, rows[:split]), rule, *map(render, rows[split:]), rule,
    ]  # fmt: skip
    return "\n".join([*lines, *notes(result)])


def notes(result: dict[str, Any]) -> list[str]:
    """What the table leaves out: answers that were not decisions, and where the time goes."""
    lines = []
    for level, outcomes in (result.get("decision_outcomes") or {}).items():
        others = {label: n for label, n in outcomes.items() if label not in ("open", "declined")}
        if others:
            lines.append(f"decision {level}: {outcomes} (only open/declined answers are in the percentiles)")
    breakdown = result.get("decision_breakdown_ms") or {}
    for name, parts in breakdown.items():
        if parts:
            lines.append(
                f"{name} medians: request {parts['request_ms']} ms = history start to update done "
                f"{parts['server_total_ms']} (to first task {parts['start_to_first_task_ms']}, in the "
                f"worker {parts['first_task_to_update_done_ms']}: {parts['workflow_tasks']:.0f} workflow "
                f"task(s), {parts['local_activities']:.0f} local activities) + outside the workflow "
                f"{parts['outside_workflow_ms']} (HTTP, the API's own work, gRPC)"
            )
    external = result.get("external_check")
    if external:
        lines.append(
            f"external check: scoring server delay {external['scoring_delay_ms']} ms; requests it got: "
            f"{external['scoring_requests']['cold']} for {external['buyers']} cold decisions, "
            f"{external['scoring_requests']['warm']} for as many warm ones"
        )
    if result.get("aging_ms_1m_note"):
        lines.append(f"aging: {result['aging_ms_1m_note']}")
    aging = result.get("aging") or {}
    if aging.get("note") and aging["note"] != result.get("aging_ms_1m_note"):
        lines.append(f"aging: {aging['note']}")
    if aging.get("check"):
        check = aging["check"]
        lines.append(
            f"aging: {aging['invoices']:,} invoices, {check['merchant_invoices']:,} of the measured merchant "
            f"({check['receivable_invoices']:,} unpaid, {aging['report_rows']:,} report rows); "
            f"totals equal the sums of amount_due: {_cell(check['ok'])}"
            + (f" {check['mismatches']}" if check["mismatches"] else "")
        )
    return lines


def write(result: dict[str, Any], out: Path | None = None, latest: bool = True) -> list[Path]:
    """bench/results/latest.json (unless `latest` is false) and
    bench/results/<utc timestamp>-<mode>-<db>.json; or only `out`."""
    if out is not None:
        out.write_text(json.dumps(result, indent=2) + "\n")
        return [out.resolve()]
    RESULTS.mkdir(exist_ok=True)
    stamp = result["started_at"].replace(":", "").replace("-", "").split(".")[0]
    paths = [RESULTS / f"{stamp}-{result['mode']}-{result['db']}.json"]
    if latest:
        paths.insert(0, RESULTS / "latest.json")
    text = json.dumps(result, indent=2) + "\n"
    for path in paths:
        path.write_text(text)
    return paths
