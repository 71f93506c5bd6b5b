"""Instalment plans: validation of the dated parts, and payments filling them oldest first."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.instalments import (
    Instalment,
    InstalmentError,
    allocate,
    next_unpaid,
    parse_plan,
)

TODAY = date(2026, 3, 1)
# 1,000.00 EUR in three parts.
THREE = [("2026-03-15", "300.00"), ("2026-04-15", "300.00"), ("2026-05-15", "400.00")]
PLAN = (
    Instalment(1, "2026-03-15", 30_000),
    Instalment(2, "2026-04-15", 30_000),
    Instalment(3, "2026-05-15", 40_000),
)


def refused(items: list[tuple[str, str]], amount_due: int = 100_000, currency: str = "EUR", **kw: int) -> str:
    with pytest.raises(InstalmentError) as error:
        parse_plan(items, currency, amount_due, TODAY, **kw)
    assert error.value.code == "invalid_instalments"
    return error.value.message


def with_item(index: int, due: str | None = None, amount: str | None = None) -> list[tuple[str, str]]:
    items = list(THREE)
    items[index] = (items[index][0] if due is None else due, items[index][1] if amount is None else amount)
    return items


# parse_plan: valid plans


def test_a_plan_is_numbered_from_one_in_minor_units() -> None:
    assert parse_plan(THREE, "EUR", 100_000, TODAY) == PLAN


def test_the_first_instalment_may_be_due_today() -> None:
    plan = parse_plan([("2026-03-01", "1"), ("2026-03-02", "1")], "EUR", 200, TODAY)

    assert plan[0].due_date == "2026-03-01"


def test_a_plan_in_a_currency_without_minor_units() -> None:
    plan = parse_plan([("2026-04-01", "5000"), ("2026-05-01", "5001")], "JPY", 10_001, TODAY)

    assert [i.amount for i in plan] == [5000, 5001]


def test_a_plan_may_have_up_to_the_maximum_instalments() -> None:
    items = [(f"2026-{month:02d}-10", "1.00") for month in range(3, 13)]

    assert len(parse_plan(items, "EUR", 1000, TODAY, max_instalments=10)) == 10


# parse_plan: refusals


@pytest.mark.parametrize("count", [0, 1])
def test_a_plan_of_fewer_than_two_instalments_is_refused(count: int) -> None:
    assert refused(THREE[:count]) == f"instalments: a plan has 2 to 24 instalments, not {count}"


def test_a_plan_of_more_than_the_maximum_is_refused() -> None:
    assert refused(THREE, max_instalments=2) == "instalments: a plan has 2 to 2 instalments, not 3"


@pytest.mark.parametrize("due", ["2026-02-30", "15.03.2026", "2026-3-15", "20260315", "", "2026-03-15T00:00"])
def test_a_due_date_that_is_not_an_iso_date_is_refused_by_index(due: str) -> None:
    assert refused(with_item(1, due=due)) == f"instalments[1].due_date {due!r} is not a date (YYYY-MM-DD)"


def test_a_first_due_date_before_today_is_refused() -> None:
    assert (
        refused(with_item(0, due="2026-02-28"))
        == "instalments[0].due_date 2026-02-28 is before today (2026-03-01)"
    )


@pytest.mark.parametrize("due", ["2026-03-15", "2026-03-01"])
def test_a_due_date_not_after_the_previous_one_is_refused(due: str) -> None:
    assert refused(with_item(1, due=due)) == (
        f"instalments[1].due_date {due} must be after the previous instalment's (2026-03-15)"
    )


@pytest.mark.parametrize("amount", ["0", "0.00", "-300.00"])
def test_an_amount_that_is_not_positive_is_refused_by_index(amount: str) -> None:
    assert refused(with_item(2, amount=amount)) == "instalments[2].amount must be greater than 0"


def test_an_amount_finer_than_the_currency_is_refused() -> None:
    assert (
        refused(with_item(2, amount="400.001"))
        == "instalments[2].amount '400.001' has more than 2 decimals for EUR"
    )


def test_an_amount_that_is_not_a_plain_decimal_is_refused() -> None:
    assert refused(with_item(0, amount="3e2")).startswith("instalments[0].amount ")


def test_amounts_that_do_not_add_up_to_the_amount_due_are_refused_showing_both() -> None:
    # 300.00 + 300.00 + 399.99 = 999.99 EUR, one cent short of 1,000.00 EUR.
    assert refused(with_item(2, amount="399.99")) == (
        "instalments: the amounts add up to 999.99 EUR, not the amount due of 1000.00 EUR"
    )


def test_amounts_above_the_amount_due_are_refused() -> None:
    assert "add up to 1000.00 EUR, not the amount due of 900.00 EUR" in refused(THREE, amount_due=90_000)


# allocate and next_unpaid


def test_nothing_paid_allocates_nothing_and_the_first_is_next() -> None:
    assert allocate(PLAN, 0) == [0, 0, 0]
    assert next_unpaid(PLAN, 0) == PLAN[0]


def test_a_payment_fills_the_oldest_instalment_first() -> None:
    # 450.00 EUR paid: 300.00 to the first, 150.00 to the second, nothing to the third.
    assert allocate(PLAN, 45_000) == [30_000, 15_000, 0]
    assert next_unpaid(PLAN, 45_000) == PLAN[1]


def test_an_exactly_paid_instalment_is_not_next() -> None:
    assert next_unpaid(PLAN, 30_000) == PLAN[1]


def test_a_fully_paid_plan_has_no_next_instalment() -> None:
    assert allocate(PLAN, 100_000) == [30_000, 30_000, 40_000]
    assert next_unpaid(PLAN, 100_000) is None


def test_overpayment_beyond_the_plan_is_left_out() -> None:
    assert allocate(PLAN, 150_000) == [30_000, 30_000, 40_000]


def test_a_negative_total_paid_allocates_nothing() -> None:
    assert allocate(PLAN, -500) == [0, 0, 0]


# Properties


@st.composite
def plans(draw: st.DrawFn) -> tuple[Instalment, ...]:
    amounts = draw(st.lists(st.integers(1, 10**9), min_size=2, max_size=24))
    days = sorted(draw(st.sets(st.integers(0, 3000), min_size=len(amounts), max_size=len(amounts))))
    items = [
        (date.fromordinal(TODAY.toordinal() + day).isoformat(), f"{amount // 100}.{amount % 100:02d}")
        for day, amount in zip(days, amounts, strict=True)
    ]
    return parse_plan(items, "EUR", sum(amounts), TODAY)


@settings(max_examples=200)
@given(plan=plans(), paid=st.integers(-(10**6), 3 * 10**10))
def test_allocation_fills_instalments_in_order_up_to_what_was_paid(
    plan: tuple[Instalment, ...], paid: int
) -> None:
    shares = allocate(plan, paid)

    assert sum(shares) == min(max(paid, 0), sum(i.amount for i in plan))
    assert all(0 <= share <= i.amount for share, i in zip(shares, plan, strict=True))
    # Oldest first: only after a fully paid instalment does the next one get anything.
    for earlier, later, share in zip(plan, plan[1:], shares[1:], strict=False):
        assert share == 0 or shares[earlier.number - 1] == earlier.amount
        assert later.number == earlier.number + 1


@settings(max_examples=200)
@given(plan=plans(), paid=st.integers(0, 3 * 10**10))
def test_the_plan_is_paid_exactly_when_the_amount_due_is(plan: tuple[Instalment, ...], paid: int) -> None:
    assert (next_unpaid(plan, paid) is None) == (paid >= sum(i.amount for i in plan))


@settings(max_examples=200)
@given(
    items=st.lists(
        st.tuples(
            st.text(max_size=10) | st.dates().map(date.isoformat),
            st.text(max_size=6) | st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True),
        ),
        max_size=5,
    ),
    amount_due=st.integers(0, 10**6),
)
def test_any_input_is_either_a_plan_or_an_instalment_error(
    items: list[tuple[str, str]], amount_due: int
) -> None:
    try:
        plan = parse_plan(items, "EUR", amount_due, TODAY)
    except InstalmentError as error:
        assert error.message.startswith("instalments")
    else:
        assert sum(i.amount for i in plan) == amount_due
        assert [i.due_date for i in plan] == sorted({i.due_date for i in plan})
        assert plan[0].due_date >= TODAY.isoformat()
