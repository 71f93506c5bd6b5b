"""Reports over a merchant's book, as JSON or, with `Accept: text/csv`, as CSV: the credit report,
receivables aging and days sales outstanding. The reports themselves live in `services.reports`."""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BeforeValidator

from api.deps import CurrentMerchant, SessionDep
from api.paging import PageCursor, PageLimit
from api.responses import csv_openapi, csv_response, wants_csv
from payinvoice.contracts.schemas import OPTIONAL_CURRENCIES
from payinvoice.domain.money import exponent
from services.pages import DEFAULT_LIMIT
from services.reports.aging import AgingReport, aging_report_csv, build_aging_report
from services.reports.credit import CreditReport, build_credit_report, credit_report_csv_whole
from services.reports.dso import DEFAULT_DAYS, MAX_DAYS, DsoReport, build_dso_report, dso_report_csv

router = APIRouter(prefix="/v1/reports", tags=["reports"])

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_only(value: Any) -> Any:
    # Pydantic alone would also take a Unix time or a midnight datetime for a date.
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


AsOf = Annotated[
    date | None,
    BeforeValidator(_iso_date_only),
    Query(description="The day the report is for, YYYY-MM-DD; today (UTC) by default."),
]
Currency = Annotated[
    str | None,
    Query(description="Only this currency (ISO 4217), e.g. EUR.", json_schema_extra=OPTIONAL_CURRENCIES),
]
Accept = Annotated[str | None, Header()]


def _as_of(value: date | None) -> date:
    return value if value is not None else datetime.now(UTC).date()


def _currency(value: str | None) -> str | None:
    if value is not None:
        exponent(value)  # 422 unsupported_currency
    return value


@router.get(
    "/credit",
    response_model=CreditReport,
    responses=csv_openapi("The report; as CSV, one row per buyer, with `Accept: text/csv`."),
)
async def credit_report(
    session: SessionDep, merchant: CurrentMerchant, accept: Accept = None,
    limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None,
) -> CreditReport | Response:
    """Every buyer's credit line, payment record and flags, most used credit first, a page at a
    time (`{data, next_cursor, totals}`), with totals per currency over every buyer. The CSV
    export (`Accept: text/csv`) is the whole report, whatever `limit` says."""
    if wants_csv(accept):
        return csv_response(await credit_report_csv_whole(session, merchant.id), "credit-report.csv")
    return await build_credit_report(session, merchant.id, limit=limit, cursor=cursor)


@router.get(
    "/aging",
    response_model=AgingReport,
    responses=csv_openapi("The report; as CSV, one row per buyer and currency, with `Accept: text/csv`."),
)
async def aging_report(
    session: SessionDep, merchant: CurrentMerchant, as_of: AsOf = None, currency: Currency = None,
    accept: Accept = None,
) -> AgingReport | Response:
    """Accounts receivable aging: what each buyer owes on open, overdue and uncollectible invoices,
    by days past due at `as_of` (current, 1-30, 31-60, 61-90, over 90), one row per buyer and
    currency, by name, with totals per currency."""
    report = await build_aging_report(session, merchant.id, _as_of(as_of), _currency(currency))
    if wants_csv(accept):
        return csv_response(aging_report_csv(report.buyers), f"aging-report-{report.as_of}.csv")
    return report


@router.get(
    "/dso",
    response_model=DsoReport,
    responses=csv_openapi("The report; as CSV, one row per currency, with `Accept: text/csv`."),
)
async def dso_report(
    session: SessionDep, merchant: CurrentMerchant, as_of: AsOf = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="Length of the sales window.")] = DEFAULT_DAYS,
    currency: Currency = None, accept: Accept = None,
) -> DsoReport | Response:
    """Days sales outstanding per currency: receivables at `as_of` (amount due on open, overdue and
    uncollectible invoices issued on or before it) over the credit sales of the `days` up to it
    (totals of the invoices issued in (as_of - days, as_of], voided ones excepted), times `days`."""
    report = await build_dso_report(session, merchant.id, _as_of(as_of), days, _currency(currency))
    if wants_csv(accept):
        return csv_response(dso_report_csv(report.currencies), f"dso-report-{report.as_of}.csv")
    return report
