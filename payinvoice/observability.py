"""Operations: Prometheus metrics, JSON logs with request ids, and redaction of secrets in logs.
(The API's middleware that sets the request id is in api/request_guard.py.)

Metric labels carry only bounded, non-personal values (statuses, currencies, reminder stages):
never an invoice, buyer, merchant or order id.
"""

import asyncio
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from payinvoice.contracts import EmailKind
from payinvoice.db.models import Invoice, SentEmail, WebhookDelivery
from payinvoice.domain.money import MoneyError, exponent
from payinvoice.domain.status import PAYABLE, InvoiceStatus

log = logging.getLogger("payinvoice.checkout")

# --- metrics ---------------------------------------------------------------------------------

# The process's own counters live in a registry of this module, not the global default one, so
# that any number of apps (as in the tests) share them without registering twice.
REGISTRY = CollectorRegistry(auto_describe=True)
DECISION_OUTCOMES = (
    InvoiceStatus.OPEN, InvoiceStatus.DECLINED, InvoiceStatus.PENDING_REVIEW, InvoiceStatus.PENDING
)
DECISIONS = Counter(
    "payinvoice_decisions", "Checkout decisions answered, by the invoice status answered.",
    ["outcome"], registry=REGISTRY,
)
DECISION_SECONDS = Histogram(
    "payinvoice_decision_seconds", "Time from starting a new checkout to its answer.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0), registry=REGISTRY,
)
for _outcome in DECISION_OUTCOMES:
    DECISIONS.labels(outcome=_outcome.value)

# Metrics responses use the classic text format, which every Prometheus version scrapes.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def record_decision(status: str, seconds: float, *, invoice_id: str, workflow_id: str) -> None:
    """Count the answer of a new checkout (not of a repeat) and how long it took."""
    DECISIONS.labels(outcome=str(status)).inc()
    DECISION_SECONDS.observe(seconds)
    log.info(
        "checkout answered %s in %.3f s", status, seconds,
        extra={"invoice_id": invoice_id, "workflow_id": workflow_id},
    )


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def _major_units(minor: int, currency: str) -> float:
    try:
        return minor / 10 ** exponent(currency)
    except MoneyError:
        return float(minor)


async def read_model_metrics(session: AsyncSession) -> list[Metric]:
    """Gauges of the read model at scrape time: two aggregate queries, nothing per invoice."""
    invoices = GaugeMetricFamily(
        "payinvoice_invoices", "Invoices in the read model by status.", labels=["status"]
    )
    outstanding = GaugeMetricFamily(
        "payinvoice_amount_outstanding",
        "Amount due on open, overdue and uncollectible invoices, in major units.",
        labels=["currency"],
    )
    reminders = CounterMetricFamily(
        "payinvoice_reminders_sent", "Reminder emails delivered, by ladder stage.", labels=["stage"]
    )
    deliveries = GaugeMetricFamily(
        "payinvoice_webhook_deliveries",
        "Webhook deliveries by result: pending, retrying, delivered, failed.",
        labels=["status"],
    )
    counts: dict[str, int] = {s.value: 0 for s in InvoiceStatus}
    due: dict[str, int] = {}
    rows = await session.execute(
        select(Invoice.status, Invoice.currency, func.count(), func.coalesce(func.sum(Invoice.amount_due), 0))
        .group_by(Invoice.status, Invoice.currency)
    )
    for status, currency, count, amount in rows:
        counts[status] = counts.get(status, 0) + int(count)
        if status in PAYABLE:
            due[currency] = due.get(currency, 0) + int(amount)
    for status, count in sorted(counts.items()):
        invoices.add_metric([status], count)
    for currency, amount in sorted(due.items()):
        outstanding.add_metric([currency], _major_units(amount, currency))
    sent = await session.execute(
        select(SentEmail.stage, func.count())
        .where(SentEmail.kind == EmailKind.REMINDER.value)
        .group_by(SentEmail.stage)
    )
    for stage, count in sent:
        reminders.add_metric([stage or "none"], int(count))
    by_status: dict[str, int] = dict.fromkeys(("pending", "retrying", "delivered", "failed"), 0)
    rows = await session.execute(
        select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    )
    for status, count in rows:
        by_status[status] = int(count)
    for status, count in sorted(by_status.items()):
        deliveries.add_metric([status], count)
    return [invoices, outstanding, reminders, deliveries]


class ReadModelGauges:
    """The read-model gauges, read at most once per `max_age` seconds however often they are
    scraped: scrapes within the interval (and scrapes that arrive while a read runs, which wait for
    it) are served the last reading. One per app (`create_app` keeps it on `app.state`)."""

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.reads = 0  # how many times the queries ran: for the tests and for curiosity
        self._clock = clock
        self._families: list[Metric] | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    def _fresh(self) -> list[Metric] | None:
        if self._families is not None and self._clock() - self._read_at < self.max_age:
            return self._families
        return None

    async def get(self, session: AsyncSession) -> list[Metric]:
        if (families := self._fresh()) is not None:
            return families
        async with self._lock:
            if (families := self._fresh()) is not None:
                return families
            families = await read_model_metrics(session)
            self.reads += 1
            self._families, self._read_at = families, self._clock()
            return families


async def render_metrics(gauges: ReadModelGauges, session: AsyncSession) -> bytes:
    """The process-wide counters followed by the read-model gauges, in the text format."""
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Families(await gauges.get(session)))
    return generate_latest(REGISTRY) + generate_latest(snapshot)


def worker_runtime(metrics_port: int) -> Runtime | None:
    """A Temporal runtime exporting the SDK's metrics for Prometheus on `metrics_port` (0: none)."""
    if metrics_port <= 0:
        return None
    prometheus = PrometheusConfig(bind_address=f"0.0.0.0:{metrics_port}")
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


# --- request ids -----------------------------------------------------------------------------

request_id_var: ContextVar[str | None] = ContextVar("payinvoice_request_id", default=None)


# --- logs ------------------------------------------------------------------------------------

_REDACTED = "[REDACTED]"
_SECRETS = (
    # An Authorization header's value, however it is printed: "Authorization: Bearer x",
    # {'authorization': 'Basic x'}, (b'authorization', b'Bearer x').
    (
        re.compile(r"""(?i)(authorization(?:['"]\s*[:,]|\s*[:=])\s*b?['"]?)[^'"\r\n,}\])]+"""),
        rf"\g<1>{_REDACTED}",
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\g<1> {_REDACTED}"),
    (re.compile(r"(?<![A-Za-z0-9_-])pi_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"), _REDACTED),
    (re.compile(r"whsec_[A-Za-z0-9+/=_-]+"), _REDACTED),
    # Processors' signing secrets (payinvoice/keys.py).
    (re.compile(r"(?<![A-Za-z0-9_-])pss_[A-Za-z0-9_-]+"), _REDACTED),
)


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Removes Authorization values, API keys (`pi_…`), webhook secrets (`whsec_…`) and signing
    secrets (`pss_…`) from messages. Installed on the handler, so it sees records of every logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


CONTEXT_FIELDS = ("invoice_id", "workflow_id", "request_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, and the context fields present."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if "request_id" not in entry and (request_id := request_id_var.get()) is not None:
            entry["request_id"] = request_id
        if "workflow_id" not in entry:
            # The Temporal SDK's workflow and activity loggers attach their context as a dict.
            temporal = getattr(record, "temporal_workflow", None) or getattr(
                record, "temporal_activity", None
            )
            if isinstance(temporal, dict) and temporal.get("workflow_id"):
                entry["workflow_id"] = temporal["workflow_id"]
        if record.exc_info:
            entry["exc_info"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack_info"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, default=str)


class JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler writing JSON lines, secrets redacted."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream if stream is not None else sys.stderr)
        self.setFormatter(JsonFormatter())
        self.addFilter(RedactingFilter())


def configure_logging(level: int | str = logging.INFO) -> None:
    """Log JSON lines to stderr from the root logger. Other handlers (pytest's) are left alone;
    calling it again replaces only the handler it installed before."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, JsonHandler):
            root.removeHandler(handler)
    root.addHandler(JsonHandler())
    root.setLevel(level.upper() if isinstance(level, str) else level)
