"""A merchant's credit policy and how a buyer's limit learns from its payments."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.policy import (
    CreditPolicy,
    Growth,
    LimitChange,
    PaymentRecord,
    Reduction,
    days_late,
    default_policy,
    limit_from_history,
    next_limit,
    record_settlement,
)

DUE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DAY = 86400.0
EUR = default_policy("EUR")


def record_of(history: list[int]) -> PaymentRecord:
    record = PaymentRecord()
    for late in history:
        record = record_settlement(record, late)
    return record


def streak(n: int) -> PaymentRecord:
    """The record right after the n-th on-time payment in a row."""
    return record_of([0] * n)


def plain_policy(**overrides: Any) -> CreditPolicy:
    values: dict[str, Any] = {"currency": "EUR", "new_buyer_limit": 100_000, "max_limit": 1_000_000}
    values.update(overrides)
    return CreditPolicy(**values)


# --- the default policy -----------------------------------------------------------------------


def test_default_eur_policy_starts_new_buyers_at_1000() -> None:
    assert EUR.new_buyer_limit == 100_000


def test_default_eur_policy_caps_limits_at_10000() -> None:
    assert EUR.max_limit == 1_000_000


def test_default_eur_policy_grows_by_500_after_3_on_time_payments_up_to_5000() -> None:
    assert EUR.growth == Growth(after_on_time_payments=3, step=50_000, cap=500_000)


def test_default_eur_policy_halves_the_limit_when_more_than_15_days_late() -> None:
    assert EUR.reduction == Reduction(on_days_late_over=15, factor="0.5")


def test_default_policy_keeps_its_currency() -> None:
    assert default_policy("EUR").currency == "EUR"


def test_default_jpy_policy_uses_whole_yen() -> None:
    jpy = default_policy("JPY")
    assert (jpy.new_buyer_limit, jpy.max_limit) == (1_000, 10_000)
    assert jpy.growth == Growth(after_on_time_payments=3, step=500, cap=5_000)


# --- days late --------------------------------------------------------------------------------


def test_paying_before_the_due_instant_is_not_late() -> None:
    assert days_late(DUE, DUE - timedelta(days=3), DAY) == 0


def test_paying_at_the_due_instant_is_not_late() -> None:
    assert days_late(DUE, DUE, DAY) == 0


def test_paying_within_the_due_day_is_not_late() -> None:
    assert days_late(DUE, DUE + timedelta(hours=23, minutes=59), DAY) == 0


def test_paying_exactly_one_day_after_due_is_one_day_late() -> None:
    assert days_late(DUE, DUE + timedelta(days=1), DAY) == 1


def test_days_late_counts_whole_days_only() -> None:
    assert days_late(DUE, DUE + timedelta(days=16, hours=20), DAY) == 16


def test_days_late_scales_with_the_day_length() -> None:
    assert days_late(DUE, DUE + timedelta(seconds=0.05), 0.1) == 0
    assert days_late(DUE, DUE + timedelta(seconds=0.1), 0.1) == 1
    assert days_late(DUE, DUE + timedelta(seconds=2.05), 0.1) == 20


def test_paying_exactly_ten_short_days_after_due_is_ten_days_late() -> None:
    assert days_late(DUE, DUE + timedelta(seconds=1), 0.1) == 10


@settings(max_examples=200)
@given(
    offset=st.floats(min_value=-1e7, max_value=1e7, allow_nan=False, allow_infinity=False),
    day_seconds=st.floats(min_value=0.001, max_value=86400.0, allow_nan=False, allow_infinity=False),
)
def test_days_late_is_never_negative(offset: float, day_seconds: float) -> None:
    assert days_late(DUE, DUE + timedelta(seconds=offset), day_seconds) >= 0


@settings(max_examples=200)
@given(days=st.integers(min_value=0, max_value=1000), seconds=st.integers(min_value=0, max_value=86399))
def test_days_late_with_real_days_is_the_whole_days_past_due(days: int, seconds: int) -> None:
    assert days_late(DUE, DUE + timedelta(days=days, seconds=seconds), DAY) == days


# --- the payment record -----------------------------------------------------------------------


def test_a_new_record_is_empty() -> None:
    record = PaymentRecord()
    assert (record.invoices_paid, record.paid_on_time, record.on_time_streak) == (0, 0, 0)
    assert (record.total_days_late, record.worst_days_late) == (0, 0)


def test_an_on_time_settlement_counts_as_paid_on_time_and_extends_the_streak() -> None:
    record = record_settlement(PaymentRecord(), 0)
    assert record == PaymentRecord(invoices_paid=1, paid_on_time=1, on_time_streak=1)


def test_a_late_settlement_counts_as_paid_but_not_on_time() -> None:
    record = record_settlement(streak(2), 4)
    assert (record.invoices_paid, record.paid_on_time) == (3, 2)


def test_a_late_settlement_resets_the_on_time_streak() -> None:
    assert record_settlement(streak(5), 1).on_time_streak == 0


def test_the_streak_starts_again_after_a_late_settlement() -> None:
    assert record_of([0, 0, 3, 0, 0]).on_time_streak == 2


def test_the_record_sums_days_late_and_keeps_the_worst() -> None:
    record = record_of([3, 0, 12, 5])
    assert (record.total_days_late, record.worst_days_late) == (20, 12)


def test_record_settlement_does_not_change_the_record_it_is_given() -> None:
    before = streak(2)
    record_settlement(before, 7)
    assert before == streak(2)


def test_average_days_late_with_no_invoices_is_zero() -> None:
    assert PaymentRecord().average_days_late == "0"


def test_average_days_late_has_one_decimal() -> None:
    assert record_of([0, 0]).average_days_late == "0.0"
    assert record_of([20, 0, 0]).average_days_late == "6.7"
    assert record_of([3, 4]).average_days_late == "3.5"


# --- next limit: growth -----------------------------------------------------------------------


def test_the_limit_grows_by_the_step_on_the_third_on_time_payment_in_a_row() -> None:
    change = next_limit(100_000, streak(3), 0, EUR)
    assert change.limit == 150_000
    assert change.reason is not None


@pytest.mark.parametrize("n", [1, 2, 4, 5, 7, 8])
def test_the_limit_does_not_grow_between_growth_points(n: int) -> None:
    assert next_limit(100_000, streak(n), 0, EUR) == LimitChange(100_000, None)


@pytest.mark.parametrize("n", [3, 6, 9, 30])
def test_the_limit_grows_on_every_multiple_of_after_on_time_payments(n: int) -> None:
    assert next_limit(100_000, streak(n), 0, EUR).limit == 150_000


def test_growth_every_single_on_time_payment() -> None:
    policy = plain_policy(growth=Growth(after_on_time_payments=1, step=10, cap=1_000))
    assert next_limit(500, streak(1), 0, policy).limit == 510
    assert next_limit(510, streak(2), 0, policy).limit == 520


def test_growth_stops_at_the_cap() -> None:
    assert next_limit(480_000, streak(3), 0, EUR).limit == 500_000


def test_the_limit_at_the_cap_does_not_grow_and_has_no_reason() -> None:
    assert next_limit(500_000, streak(3), 0, EUR) == LimitChange(500_000, None)


def test_growth_never_lifts_a_limit_above_the_cap() -> None:
    assert next_limit(700_000, streak(3), 0, EUR) == LimitChange(700_000, None)


def test_growth_never_goes_above_the_policy_max_limit() -> None:
    growth = Growth(after_on_time_payments=1, step=50_000, cap=900_000)
    policy = plain_policy(max_limit=120_000, growth=growth)
    assert next_limit(100_000, streak(1), 0, policy).limit == 120_000
    assert next_limit(120_000, streak(2), 0, policy) == LimitChange(120_000, None)


def test_a_late_payment_within_the_tolerance_neither_grows_nor_cuts() -> None:
    record = record_settlement(streak(2), 5)
    assert next_limit(100_000, record, 5, EUR) == LimitChange(100_000, None)


# --- next limit: reduction --------------------------------------------------------------------


def test_paying_more_than_15_days_late_halves_the_limit() -> None:
    change = next_limit(300_000, record_settlement(PaymentRecord(), 16), 16, EUR)
    assert change.limit == 150_000


def test_the_reason_for_a_cut_mentions_the_days_late() -> None:
    change = next_limit(300_000, record_settlement(PaymentRecord(), 23), 23, EUR)
    assert change.reason is not None
    assert "23" in change.reason


def test_paying_exactly_15_days_late_is_not_cut() -> None:
    assert next_limit(300_000, record_settlement(PaymentRecord(), 15), 15, EUR) == LimitChange(300_000, None)


def test_a_cut_is_floored_to_a_minor_unit() -> None:
    assert next_limit(100_001, record_settlement(PaymentRecord(), 20), 20, EUR).limit == 50_000


@pytest.mark.parametrize(
    ("factor", "limit", "expected"),
    [("0", 100_000, 0), ("0.25", 100_003, 25_000), ("0.9", 99_999, 89_999), ("0.25", 3, 0)],
)
def test_a_cut_multiplies_by_the_factor(factor: str, limit: int, expected: int) -> None:
    policy = plain_policy(reduction=Reduction(on_days_late_over=0, factor=factor))
    assert next_limit(limit, record_settlement(PaymentRecord(), 1), 1, policy).limit == expected


def test_a_cut_by_factor_one_leaves_the_limit_and_has_no_reason() -> None:
    policy = plain_policy(reduction=Reduction(on_days_late_over=0, factor="1"))
    assert next_limit(100_000, record_settlement(PaymentRecord(), 9), 9, policy) == LimitChange(100_000, None)


def test_a_cut_of_a_zero_limit_has_no_reason() -> None:
    assert next_limit(0, record_settlement(PaymentRecord(), 30), 30, EUR) == LimitChange(0, None)


def test_a_policy_without_growth_or_reduction_never_changes_the_limit() -> None:
    policy = plain_policy()
    assert next_limit(100_000, streak(3), 0, policy) == LimitChange(100_000, None)
    late = record_settlement(PaymentRecord(), 90)
    assert next_limit(100_000, late, 90, policy) == LimitChange(100_000, None)


# --- limit from history -----------------------------------------------------------------------


def test_a_new_buyer_starts_at_the_new_buyer_limit() -> None:
    learned = limit_from_history(EUR, [])
    assert (learned.limit, learned.record) == (100_000, PaymentRecord())


def test_a_new_buyer_limit_above_the_max_starts_at_the_max() -> None:
    assert limit_from_history(plain_policy(new_buyer_limit=5_000, max_limit=3_000), []).limit == 3_000


def test_worked_example_grows_twice_then_is_halved_by_a_20_day_late_payment() -> None:
    # 1000.00 -> 1500.00 (3rd on time) -> 2000.00 (6th on time) -> 1000.00 (20 days late, > 15)
    history = [0, 0, 0, 0, 0, 0, 20]
    limits = [limit_from_history(EUR, history[:n]).limit for n in (0, 2, 3, 5, 6, 7)]
    assert limits == [100_000, 100_000, 150_000, 150_000, 200_000, 100_000]
    learned = limit_from_history(EUR, history)
    assert learned.limit == 100_000
    assert learned.record == PaymentRecord(
        invoices_paid=7, paid_on_time=6, on_time_streak=0, total_days_late=20, worst_days_late=20
    )
    assert learned.record.average_days_late == "2.9"


def test_a_late_payment_restarts_the_count_towards_growth() -> None:
    assert limit_from_history(EUR, [0, 0, 1, 0, 0]).limit == 100_000
    assert limit_from_history(EUR, [0, 0, 1, 0, 0, 0]).limit == 150_000


def test_a_long_run_of_on_time_payments_stops_at_the_growth_cap() -> None:
    assert limit_from_history(EUR, [0] * 60).limit == 500_000


optional_growth = st.none() | st.builds(
    Growth,
    after_on_time_payments=st.integers(min_value=1, max_value=10),
    step=st.integers(min_value=1, max_value=10**6),
    cap=st.integers(min_value=0, max_value=10**8),
)
optional_reduction = st.none() | st.builds(
    Reduction,
    on_days_late_over=st.integers(min_value=0, max_value=60),
    factor=st.sampled_from(["0", "0.25", "0.5", "0.9", "1"]),
)
policies = st.builds(
    CreditPolicy,
    currency=st.just("EUR"),
    new_buyer_limit=st.integers(min_value=0, max_value=10**8),
    max_limit=st.integers(min_value=0, max_value=10**8),
    growth=optional_growth,
    reduction=optional_reduction,
)
histories = st.lists(st.integers(min_value=0, max_value=120), max_size=50)


@settings(max_examples=200)
@given(policy=policies, history=histories)
def test_the_learned_limit_stays_between_zero_and_the_max_limit(
    policy: CreditPolicy, history: list[int]
) -> None:
    for n in range(len(history) + 1):
        limit = limit_from_history(policy, history[:n]).limit
        assert 0 <= limit <= policy.max_limit


@settings(max_examples=200)
@given(policy=policies, history=histories)
def test_the_same_history_always_gives_the_same_limit(policy: CreditPolicy, history: list[int]) -> None:
    assert limit_from_history(policy, list(history)) == limit_from_history(policy, list(history))


@settings(max_examples=200)
@given(policy=policies, n=st.integers(min_value=0, max_value=50))
def test_on_time_payments_alone_never_lower_the_limit(policy: CreditPolicy, n: int) -> None:
    limits = [limit_from_history(policy, [0] * k).limit for k in range(n + 1)]
    assert limits == sorted(limits)
    assert limits[0] == min(policy.new_buyer_limit, policy.max_limit)


@settings(max_examples=200)
@given(policy=policies, history=histories)
def test_the_record_counts_every_settlement(policy: CreditPolicy, history: list[int]) -> None:
    record = limit_from_history(policy, history).record
    assert record.invoices_paid == len(history)
    assert record.paid_on_time == history.count(0)
    assert record.total_days_late == sum(history)
    assert record.worst_days_late == max(history, default=0)


@settings(max_examples=200)
@given(history=histories, new_buyer_limit=st.integers(min_value=0, max_value=10**8))
def test_a_policy_without_growth_or_reduction_keeps_the_new_buyer_limit(
    history: list[int], new_buyer_limit: int
) -> None:
    policy = plain_policy(new_buyer_limit=new_buyer_limit, max_limit=10**8)
    assert limit_from_history(policy, history).limit == new_buyer_limit


@settings(max_examples=200)
@given(policy=policies, history=histories)
def test_growth_never_lifts_the_limit_above_its_cap(policy: CreditPolicy, history: list[int]) -> None:
    start = min(policy.new_buyer_limit, policy.max_limit)
    cap = policy.growth.cap if policy.growth is not None else 0
    assert limit_from_history(policy, history).limit <= max(start, cap)


def test_days_late_counts_the_invoices_own_days_when_they_are_compressed() -> None:
    """A demo invoice's day (PAYINVOICE_DAY_SECONDS=10, frozen into it) is ten seconds: paid 45 s
    after its due instant it is 4 of its days late, not 0 calendar days; paid 3 hours late, 1,080."""
    assert days_late(DUE, DUE + timedelta(seconds=45), 10.0) == 4
    assert days_late(DUE, DUE + timedelta(hours=3), 10.0) == 1080
    assert days_late(DUE, DUE + timedelta(seconds=9.999), 10.0) == 0
