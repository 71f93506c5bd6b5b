"""A merchant's credit policy and how a buyer's limit learns from its payments.

Money is in minor units of the policy's currency. Every function is pure: the same policy and
the same payment history always give the same limit.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from payinvoice.domain.money import exponent


@dataclass(frozen=True)
class Growth:
    """After `after_on_time_payments` on-time payments in a row, raise the limit by `step`,
    never above `cap`."""

    after_on_time_payments: int
    step: int
    cap: int


@dataclass(frozen=True)
class Reduction:
    """A payment more than `on_days_late_over` days late multiplies the limit by `factor`."""

    on_days_late_over: int
    factor: str  # a decimal in [0, 1], as text


@dataclass(frozen=True)
class CreditPolicy:
    currency: str
    new_buyer_limit: int
    max_limit: int
    auto_approve_up_to: int | None = None
    max_total_exposure: int | None = None
    growth: Growth | None = None
    reduction: Reduction | None = None
    suspend_after_days_overdue: int | None = None
    # Days of review before an order waiting for a person is declined as review_expired.
    review_days: int = 2
    version: int = 0


def default_policy(currency: str) -> CreditPolicy:
    """What a merchant gets before setting a policy: modest limits that grow with good payers."""
    unit = 10 ** exponent(currency)
    return CreditPolicy(
        currency=currency,
        new_buyer_limit=1_000 * unit,
        max_limit=10_000 * unit,
        growth=Growth(after_on_time_payments=3, step=500 * unit, cap=5_000 * unit),
        reduction=Reduction(on_days_late_over=15, factor="0.5"),
    )


@dataclass(frozen=True)
class PaymentRecord:
    """What a buyer's settled invoices say about it."""

    invoices_paid: int = 0
    paid_on_time: int = 0
    on_time_streak: int = 0
    total_days_late: int = 0
    worst_days_late: int = 0

    @property
    def average_days_late(self) -> str:
        if self.invoices_paid == 0:
            return "0"
        average = Decimal(self.total_days_late) / self.invoices_paid
        return str(average.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class LimitChange:
    limit: int
    reason: str | None  # None: unchanged


def days_late(due_at: datetime, paid_at: datetime, day_seconds: float) -> int:
    """Whole days between the due instant and the payment; paying within the due day is on time."""
    # timedelta // timedelta divides whole microseconds: exact where float seconds are not.
    return max((paid_at - due_at) // timedelta(seconds=day_seconds), 0)


def record_settlement(record: PaymentRecord, late_days: int) -> PaymentRecord:
    on_time = late_days == 0
    return replace(
        record,
        invoices_paid=record.invoices_paid + 1,
        paid_on_time=record.paid_on_time + on_time,
        on_time_streak=record.on_time_streak + 1 if on_time else 0,
        total_days_late=record.total_days_late + late_days,
        worst_days_late=max(record.worst_days_late, late_days),
    )


def next_limit(limit: int, record: PaymentRecord, late_days: int, policy: CreditPolicy) -> LimitChange:
    """The limit after one more settled invoice; `record` already includes that settlement."""
    reduction, growth = policy.reduction, policy.growth
    if reduction is not None and late_days > reduction.on_days_late_over:
        cut = Decimal(limit) * Decimal(reduction.factor)
        new = int(cut.to_integral_value(rounding=ROUND_FLOOR))
        return _clamped(limit, new, policy, f"paid {late_days} days late")
    if (
        growth is not None
        and late_days == 0
        and record.on_time_streak > 0
        and record.on_time_streak % growth.after_on_time_payments == 0
        and limit < min(growth.cap, policy.max_limit)
    ):
        new = min(limit + growth.step, growth.cap)
        return _clamped(limit, new, policy, f"{record.on_time_streak} on-time payments in a row")
    return LimitChange(limit, None)


def _clamped(old: int, new: int, policy: CreditPolicy, reason: str) -> LimitChange:
    new = min(max(new, 0), policy.max_limit)
    return LimitChange(new, reason if new != old else None)


@dataclass(frozen=True)
class LearnedLimit:
    limit: int
    record: PaymentRecord = field(default_factory=PaymentRecord)


def limit_from_history(policy: CreditPolicy, history: list[int]) -> LearnedLimit:
    """Replay a buyer's settlements (days late of each, oldest first) from a new buyer's limit."""
    learned = LearnedLimit(min(policy.new_buyer_limit, policy.max_limit))
    for late in history:
        record = record_settlement(learned.record, late)
        learned = LearnedLimit(next_limit(learned.limit, record, late, policy).limit, record)
    return learned
