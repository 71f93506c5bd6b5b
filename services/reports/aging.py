"""Accounts receivable aging: each buyer's unpaid invoices by how many days they are past due.

One aggregate query: the bucket boundaries are dates computed here, so the SQL is plain date
comparisons inside `SUM(CASE ...)` on SQLite and PostgreSQL alike, and is served by the partial
index of receivables (merchant_id, buyer_id, currency, due_date, amount_due), which holds every
column it reads in its group-by order.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.db.models import Buyer, Invoice
from payinvoice.domain.money import from_minor
from services.reports.csv_export import csv_text
from services.reports.receivables import RECEIVABLE_STATUSES, days_before

# The buckets, oldest last: not yet past due (due on as_of or later), then days past due
# (as_of - due_date) of 1-30, 31-60, 61-90 and more than 90.
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_90_plus")


class AgingBuyer(BaseModel):
    buyer_id: str
    external_id: str
    name: str
    currency: str
    current: str
    days_1_30: str
    days_31_60: str
    days_61_90: str
    days_90_plus: str
    total: str


class AgingTotals(BaseModel):
    currency: str
    current: str
    days_1_30: str
    days_31_60: str
    days_61_90: str
    days_90_plus: str
    total: str


class AgingReport(BaseModel):
    as_of: date
    buyers: list[AgingBuyer]
    totals: list[AgingTotals]


def bucket_conditions(as_of: date) -> dict[str, ColumnElement[bool]]:
    """Each bucket as a condition on due_date. They never overlap and together take every invoice:
    one without a due date (not issued, never the case for a receivable) counts as current."""
    d30, d60, d90 = (days_before(as_of, days) for days in (30, 60, 90))
    due = Invoice.due_date
    return {
        "current": or_(due >= as_of, due.is_(None)),
        "days_1_30": and_(due < as_of, due >= d30),
        "days_31_60": and_(due < d30, due >= d60),
        "days_61_90": and_(due < d60, due >= d90),
        "days_90_plus": due < d90,
    }


def _money(minor: dict[str, int], currency: str) -> dict[str, str]:
    return {name: from_minor(value, currency) for name, value in minor.items()}


async def build_aging_report(
    session: AsyncSession, merchant_id: str, as_of: date, currency: str | None = None
) -> AgingReport:
    """One row per (buyer, currency) with something owed, by name; totals per currency."""
    conditions = bucket_conditions(as_of)
    filters = [
        Invoice.merchant_id == merchant_id,
        Invoice.status.in_(RECEIVABLE_STATUSES),
        Invoice.amount_due > 0,
    ]
    if currency is not None:
        filters.append(Invoice.currency == currency)
    if session.bind.dialect.name == "postgresql":
        # An index-only scan of the receivables index answers in tens of milliseconds; compiling
        # the plan with JIT (which its row estimate triggers) costs more than running it.
        await session.execute(text("SET LOCAL jit = off"))
    # Aggregate the invoices first, then fetch the names of the (few) buyers that have any.
    sums = (
        select(
            Invoice.buyer_id,
            Invoice.currency,
            *(
                func.sum(case((cond, Invoice.amount_due), else_=0)).label(name)
                for name, cond in conditions.items()
            ),
            func.sum(Invoice.amount_due).label("total"),
        )
        .where(*filters)
        .group_by(Invoice.buyer_id, Invoice.currency)
        .subquery()
    )
    result = await session.execute(
        select(Buyer.id, Buyer.external_id, Buyer.name, sums).join(sums, sums.c.buyer_id == Buyer.id)
    )

    buyers: list[AgingBuyer] = []
    totals: dict[str, dict[str, int]] = {}
    for row in result.mappings():
        minor = {name: int(row[name]) for name in (*BUCKETS, "total")}
        code = row["currency"]
        buyers.append(AgingBuyer(
            buyer_id=row["id"], external_id=row["external_id"], name=row["name"], currency=code,
            **_money(minor, code),
        ))  # fmt: skip
        running = totals.setdefault(code, dict.fromkeys(minor, 0))
        for name, value in minor.items():
            running[name] += value

    buyers.sort(key=lambda b: (b.name.casefold(), b.name, b.buyer_id, b.currency))
    return AgingReport(
        as_of=as_of,
        buyers=buyers,
        totals=[AgingTotals(currency=code, **_money(minor, code)) for code, minor in sorted(totals.items())],
    )


CSV_HEADER = list(AgingBuyer.model_fields)
# Cells the merchant typed in: the only ones that can start with a formula character.
_TEXT_FIELDS = frozenset({"external_id", "name"})


def aging_report_csv(buyers: Iterable[AgingBuyer]) -> str:
    rows: Iterable[list[Any]] = ([getattr(row, f) for f in CSV_HEADER] for row in buyers)
    return csv_text(CSV_HEADER, rows, _TEXT_FIELDS)
