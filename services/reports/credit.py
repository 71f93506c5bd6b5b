"""The credit report: every buyer's credit line, payment record and flags, with totals per currency."""

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Float, and_, case, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts.schemas import PaymentRecordOut
from payinvoice.db.models import Buyer, Invoice
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.money import from_minor
from payinvoice.domain.policy import PaymentRecord
from payinvoice.domain.status import BuyerStatus, InvoiceStatus
from services.pages import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor
from services.reports.csv_export import csv_text

# Thresholds of the report's flags: a buyer is `near_limit` from this share of its limit in use
# (percent), and a `late_payer` once it paid at least one invoice and pays this many days late on
# average, or once paid one invoice this many days late.
NEAR_LIMIT_PERCENT = 80
LATE_PAYER_AVERAGE_DAYS = 7
LATE_PAYER_WORST_DAYS = 30

# The invoice statuses whose amount due is the buyer's overdue amount.
OVERDUE_STATUSES = (InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE)

Flag = Literal["near_limit", "late_payer", "suspended", "overdue"]


class CreditReportBuyer(BaseModel):
    buyer_id: str
    external_id: str
    name: str
    currency: str
    limit: str
    exposure: str
    available: str
    # Exposure as a percentage of the limit, one decimal, rounded down (so "80.0" is really 80 %);
    # null when something is exposed on a limit of 0.
    utilisation: str | None
    status: str
    limit_source: str
    payment_record: PaymentRecordOut
    flags: list[Flag]


class CurrencyTotals(BaseModel):
    currency: str
    buyers: int
    limit: str
    exposure: str
    available: str
    overdue_amount: str


class CreditReport(BaseModel):
    """One page of the report's buyers (`next_cursor` fetches the next; null on the last page) and
    the totals per currency over every buyer."""

    data: list[CreditReportBuyer]
    next_cursor: str | None
    totals: list[CurrencyTotals]


def utilisation_ratio(limit: int, exposure: int) -> Fraction | None:
    """Exposure over limit; None (unbounded) when something is exposed on a limit of 0."""
    if limit == 0:
        return Fraction(0) if exposure <= 0 else None
    return Fraction(exposure, limit)


def utilisation_percent(ratio: Fraction | None) -> str | None:
    if ratio is None:
        return None
    percent = Decimal(ratio.numerator * 100) / Decimal(ratio.denominator)
    return str(percent.quantize(Decimal("0.1"), rounding=ROUND_FLOOR))


def credit_flags(
    limit: int, exposure: int, record: PaymentRecord, status: str, overdue_amount: int
) -> list[Flag]:
    """The report's flags for one buyer, always in the same order."""
    flags: list[Flag] = []
    ratio = utilisation_ratio(limit, exposure)
    if ratio is None or ratio * 100 >= NEAR_LIMIT_PERCENT:
        flags.append("near_limit")
    # The average as the report shows it (one decimal), so a shown "7.0" always carries the flag.
    if record.invoices_paid > 0 and (
        Decimal(record.average_days_late) >= LATE_PAYER_AVERAGE_DAYS
        or record.worst_days_late >= LATE_PAYER_WORST_DAYS
    ):
        flags.append("late_payer")
    if status == BuyerStatus.SUSPENDED:
        flags.append("suspended")
    if overdue_amount > 0:
        flags.append("overdue")
    return flags


def _buyer_row(buyer: Buyer, overdue: int) -> CreditReportBuyer:
    record = buyer.payment_record()
    available = max(buyer.credit_limit - buyer.exposure, 0)
    money = partial(from_minor, currency=buyer.currency)
    return CreditReportBuyer(
        buyer_id=buyer.id, external_id=buyer.external_id, name=buyer.name, currency=buyer.currency,
        limit=money(buyer.credit_limit), exposure=money(buyer.exposure), available=money(available),
        utilisation=utilisation_percent(utilisation_ratio(buyer.credit_limit, buyer.exposure)),
        status=buyer.status, limit_source=buyer.limit_source,
        payment_record=PaymentRecordOut(
            invoices_paid=record.invoices_paid, paid_on_time=record.paid_on_time,
            on_time_streak=record.on_time_streak, average_days_late=record.average_days_late,
            worst_days_late=record.worst_days_late, overdue_amount=money(overdue),
        ),
        flags=credit_flags(buyer.credit_limit, buyer.exposure, record, buyer.status, overdue),
    )  # fmt: skip


def _order(session: AsyncSession) -> tuple[ColumnElement[Any], ...]:
    """The report's order as SQL: an unbounded utilisation (something exposed on a limit of 0)
    first, then by utilisation descending, then by name (ASCII case folded, then as written, in
    byte order on both databases) and the id to settle ties."""
    unbounded = case((and_(Buyer.credit_limit == 0, Buyer.exposure > 0), 0), else_=1)
    ratio = case(
        (Buyer.credit_limit == 0, literal(0.0)), else_=cast(Buyer.exposure, Float) / Buyer.credit_limit
    )
    name: ColumnElement[str] = Buyer.name.expression
    if session.get_bind().dialect.name == "postgresql":
        name = name.collate("C")
    return unbounded, ratio, func.lower(name), name, Buyer.id.expression


def _after(order: tuple[ColumnElement[Any], ...], last: Sequence[Any]) -> ColumnElement[bool]:
    """Rows after `last` (the values of `order` of the previous page's last row)."""
    unbounded, ratio, folded, name, buyer_id = order
    u0, r0, f0, n0, id0 = last
    return or_(
        unbounded > u0,
        and_(unbounded == u0, or_(
            ratio < r0,
            and_(ratio == r0, or_(
                folded > f0,
                and_(folded == f0, or_(name > n0, and_(name == n0, buyer_id > id0))),
            )),
        )),
    )  # fmt: skip


async def build_credit_report(
    session: AsyncSession, merchant_id: str, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> CreditReport:
    """One page of buyers, most used credit first, and the totals over every buyer: the same
    handful of queries whatever the number of buyers (the page, its overdue sums, the totals). The
    cursor names the previous page's last buyer; the next page starts after that buyer as it
    stands now."""
    order = _order(session)
    query = select(Buyer).where(Buyer.merchant_id == merchant_id)
    if cursor:
        _, last_id = decode_cursor(cursor)
        last = (
            await session.execute(select(*order).where(Buyer.merchant_id == merchant_id, Buyer.id == last_id))
        ).first()
        if last is None:
            raise Refusal(ErrorType.INVALID_CURSOR, "cursor is not one this API returned")
        query = query.where(_after(order, last))
    buyers = list(
        await session.scalars(
            query.order_by(order[0], order[1].desc(), *order[2:]).limit(limit + 1)
        )
    )
    more = len(buyers) > limit
    buyers = buyers[:limit]
    overdue_by_buyer: dict[str, int] = {}
    if buyers:
        overdue_rows = await session.execute(
            select(Invoice.buyer_id, func.coalesce(func.sum(Invoice.amount_due), 0))
            .where(
                Invoice.merchant_id == merchant_id, Invoice.status.in_(OVERDUE_STATUSES),
                Invoice.buyer_id.in_([b.id for b in buyers]),
            )
            .group_by(Invoice.buyer_id)
        )
        overdue_by_buyer = {buyer_id: int(amount) for buyer_id, amount in overdue_rows}
    return CreditReport(
        data=[_buyer_row(buyer, overdue_by_buyer.get(buyer.id, 0)) for buyer in buyers],
        next_cursor=encode_cursor(datetime.now(UTC), buyers[-1].id) if more else None,
        totals=await _totals(session, merchant_id),
    )


async def _totals(session: AsyncSession, merchant_id: str) -> list[CurrencyTotals]:
    """Per currency, over every buyer: two aggregate queries."""
    available = case((Buyer.credit_limit > Buyer.exposure, Buyer.credit_limit - Buyer.exposure), else_=0)
    sums = await session.execute(
        select(
            Buyer.currency, func.count(), func.sum(Buyer.credit_limit), func.sum(Buyer.exposure),
            func.sum(available),
        )
        .where(Buyer.merchant_id == merchant_id)
        .group_by(Buyer.currency)
    )
    overdue_rows = await session.execute(
        select(Buyer.currency, func.coalesce(func.sum(Invoice.amount_due), 0))
        .join(Buyer, Buyer.id == Invoice.buyer_id)
        .where(Invoice.merchant_id == merchant_id, Invoice.status.in_(OVERDUE_STATUSES))
        .group_by(Buyer.currency)
    )
    overdue = {currency: int(amount) for currency, amount in overdue_rows}
    return [
        CurrencyTotals(
            currency=currency, buyers=int(count), limit=from_minor(int(limit), currency),
            exposure=from_minor(int(exposure), currency), available=from_minor(int(free), currency),
            overdue_amount=from_minor(overdue.get(currency, 0), currency),
        )
        for currency, count, limit, exposure, free in sorted(sums, key=lambda row: row[0])
    ]


async def every_buyer(session: AsyncSession, merchant_id: str) -> AsyncIterator[CreditReportBuyer]:
    """The whole report's rows, a page of `MAX_LIMIT` at a time (for the CSV export)."""
    cursor: str | None = None
    while True:
        page = await build_credit_report(session, merchant_id, limit=MAX_LIMIT, cursor=cursor)
        for row in page.data:
            yield row
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


# Flat fields, then the payment record's with a `record_` prefix, then the flags.
_FLAT_FIELDS = [f for f in CreditReportBuyer.model_fields if f not in ("payment_record", "flags")]
_RECORD_FIELDS = list(PaymentRecordOut.model_fields)
CSV_HEADER = [*_FLAT_FIELDS, *(f"record_{f}" for f in _RECORD_FIELDS), "flags"]
# Cells the merchant typed in: the only ones that can start with a formula character.
_TEXT_FIELDS = frozenset({"external_id", "name"})


def credit_report_csv(buyers: Iterable[CreditReportBuyer]) -> str:
    return csv_text(
        CSV_HEADER,
        (
            [
                *(getattr(row, f) for f in _FLAT_FIELDS),
                *(getattr(row.payment_record, f) for f in _RECORD_FIELDS),
                ";".join(row.flags),
            ]
            for row in buyers
        ),
        _TEXT_FIELDS,
    )


async def credit_report_csv_whole(session: AsyncSession, merchant_id: str) -> str:
    """The CSV export: every buyer, not one page, read a page at a time."""
    return credit_report_csv([row async for row in every_buyer(session, merchant_id)])
