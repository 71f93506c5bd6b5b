"""Days sales outstanding: receivables at as_of over the credit sales of the `days` before it,
times `days`, per currency.

One aggregate query with two `SUM(CASE ...)`: the window's start is a date computed here, and the
two sides are served by the indexes (merchant_id, status, due_date) and (merchant_id, issue_date).
"""

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.db.models import Invoice
from payinvoice.domain.money import from_minor
from payinvoice.domain.status import InvoiceStatus
from services.reports.csv_export import csv_text
from services.reports.receivables import RECEIVABLE_STATUSES, days_before

DEFAULT_DAYS = 90
MAX_DAYS = 3650
# Issued invoices that are not sales: voided ones (declined ones are never issued).
NOT_SALES = (InvoiceStatus.DECLINED, InvoiceStatus.VOID)


class DsoCurrency(BaseModel):
    currency: str
    receivables: str
    credit_sales: str
    days: int
    # receivables / credit_sales x days, one decimal rounded half up; null without sales.
    dso: str | None


class DsoReport(BaseModel):
    as_of: date
    days: int
    currencies: list[DsoCurrency]


def dso_value(receivables: int, credit_sales: int, days: int) -> str | None:
    """receivables / credit_sales x days to one decimal, half up, computed exactly in integers."""
    if credit_sales <= 0:
        return None
    tenths = (20 * receivables * days + credit_sales) // (2 * credit_sales)
    return f"{tenths // 10}.{tenths % 10}"


async def build_dso_report(
    session: AsyncSession, merchant_id: str, as_of: date, days: int, currency: str | None = None
) -> DsoReport:
    """One row per currency with receivables or sales, by currency code."""
    window_start = days_before(as_of, days)  # excluded: the window is (as_of - days, as_of]
    receivable = Invoice.status.in_(RECEIVABLE_STATUSES)
    in_window = Invoice.issue_date > window_start
    filters = [
        Invoice.merchant_id == merchant_id,
        Invoice.issue_date <= as_of,
        # Only rows that count on one side or the other, so neither index has to read it all.
        or_(receivable, in_window),
    ]
    if currency is not None:
        filters.append(Invoice.currency == currency)
    result = await session.execute(
        select(
            Invoice.currency,
            func.sum(case((receivable, Invoice.amount_due), else_=0)),
            func.sum(case((and_(in_window, Invoice.status.not_in(NOT_SALES)), Invoice.total), else_=0)),
        )
        .where(*filters)
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    )
    rows = []
    for code, receivables, sales in result:
        receivables, sales = int(receivables), int(sales)
        if receivables == 0 and sales == 0:
            continue  # e.g. only voided invoices in the window
        rows.append(DsoCurrency(
            currency=code, receivables=from_minor(receivables, code), credit_sales=from_minor(sales, code),
            days=days, dso=dso_value(receivables, sales, days),
        ))  # fmt: skip
    return DsoReport(as_of=as_of, days=days, currencies=rows)


CSV_HEADER = list(DsoCurrency.model_fields)


def dso_report_csv(rows: Iterable[DsoCurrency]) -> str:
    return csv_text(CSV_HEADER, ([getattr(row, f) for f in CSV_HEADER] for row in rows), ())
