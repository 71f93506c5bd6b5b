"""The credit report: every buyer's credit line, payment record and flags, with totals per currency."""

from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from functools import partial
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts.schemas import PaymentRecordOut
from payinvoice.db.models import Buyer, Invoice
from payinvoice.domain.money import from_minor
from payinvoice.domain.policy import PaymentRecord
from payinvoice.domain.status import BuyerStatus, InvoiceStatus
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
    buyers: list[CreditReportBuyer]
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


def _sort_key(entry: tuple[Fraction | None, CreditReportBuyer]) -> tuple[int, Fraction, str, str, str]:
    ratio, row = entry
    # Descending utilisation, an unbounded one first; then by name, and the id to settle ties.
    unbounded = ratio is None
    return (0 if unbounded else 1, -(ratio or Fraction(0)), row.name.casefold(), row.name, row.buyer_id)


async def build_credit_report(session: AsyncSession, merchant_id: str) -> CreditReport:
    """Two queries whatever the number of buyers: the buyers, and their overdue sums."""
    buyers = list(await session.scalars(select(Buyer).where(Buyer.merchant_id == merchant_id)))
    overdue_rows = await session.execute(
        select(Invoice.buyer_id, func.coalesce(func.sum(Invoice.amount_due), 0))
        .where(Invoice.merchant_id == merchant_id, Invoice.status.in_(OVERDUE_STATUSES))
        .group_by(Invoice.buyer_id)
    )
    overdue_by_buyer = {buyer_id: int(amount) for buyer_id, amount in overdue_rows}

    rows: list[tuple[Fraction | None, CreditReportBuyer]] = []
    sums: dict[str, list[int]] = {}  # currency -> [buyers, limit, exposure, available, overdue]
    for buyer in buyers:
        record = buyer.payment_record()
        overdue = overdue_by_buyer.get(buyer.id, 0)
        available = max(buyer.credit_limit - buyer.exposure, 0)
        ratio = utilisation_ratio(buyer.credit_limit, buyer.exposure)
        money = partial(from_minor, currency=buyer.currency)
        rows.append((ratio, CreditReportBuyer(
            buyer_id=buyer.id, external_id=buyer.external_id, name=buyer.name, currency=buyer.currency,
            limit=money(buyer.credit_limit), exposure=money(buyer.exposure), available=money(available),
            utilisation=utilisation_percent(ratio), status=buyer.status, limit_source=buyer.limit_source,
            payment_record=PaymentRecordOut(
                invoices_paid=record.invoices_paid, paid_on_time=record.paid_on_time,
                on_time_streak=record.on_time_streak, average_days_late=record.average_days_late,
                worst_days_late=record.worst_days_late, overdue_amount=money(overdue),
            ),
            flags=credit_flags(buyer.credit_limit, buyer.exposure, record, buyer.status, overdue),
        )))  # fmt: skip
        total = sums.setdefault(buyer.currency, [0, 0, 0, 0, 0])
        for i, value in enumerate((1, buyer.credit_limit, buyer.exposure, available, overdue)):
            total[i] += value

    return CreditReport(
        buyers=[row for _, row in sorted(rows, key=_sort_key)],
        totals=[
            CurrencyTotals(
                currency=currency, buyers=count, limit=from_minor(limit, currency),
                exposure=from_minor(exposure, currency), available=from_minor(available, currency),
                overdue_amount=from_minor(overdue, currency),
            )
            for currency, (count, limit, exposure, available, overdue) in sorted(sums.items())
        ],
    )


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
