"""Late fees per reminder stage: fixed as is, a percent of the amount due half-up, capped per invoice."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.dunning import FeeSpec, StageSpec, parse_ladder
from payinvoice.domain.late_fees import late_fee_amount
from payinvoice.domain.money import MAX_MINOR
from payinvoice.domain.schedule import LateFee


def percent(rate: str, cap: int | None = None, currency: str = "EUR") -> LateFee:
    return LateFee(currency=currency, percent=rate, cap=cap)


# Fixed fees


def test_a_fixed_fee_is_charged_as_is() -> None:
    assert late_fee_amount(LateFee("EUR", fixed=1000), 50_000, 0) == 1000


def test_a_fixed_fee_does_not_depend_on_the_amount_due_or_earlier_fees() -> None:
    fee = LateFee("EUR", fixed=500)

    assert late_fee_amount(fee, 1, 10_000) == late_fee_amount(fee, 10**9, 0) == 500


# Percent fees


def test_a_percent_fee_is_that_percent_of_the_amount_due() -> None:
    # 1.5 % of 1,234.56 EUR = 18.5184 EUR -> 18.52 EUR (1852 minor units).
    assert late_fee_amount(percent("1.5"), 123_456, 0) == 1852


def test_a_percent_fee_rounds_half_up() -> None:
    # 5 % of 0.10 EUR = 0.005 EUR: exactly half a cent, rounded up to 0.01 EUR.
    assert late_fee_amount(percent("5"), 10, 0) == 1


def test_a_percent_fee_rounds_below_half_down() -> None:
    # 5 % of 0.09 EUR = 0.0045 EUR -> 0.00 EUR.
    assert late_fee_amount(percent("5"), 9, 0) == 0


def test_a_percent_fee_in_a_currency_without_minor_units_rounds_to_whole_units() -> None:
    # 2.5 % of 12,345 JPY = 308.625 JPY -> 309 JPY.
    assert late_fee_amount(percent("2.5", currency="JPY"), 12_345, 0) == 309


def test_a_percent_fee_of_nothing_due_is_zero() -> None:
    assert late_fee_amount(percent("10"), 0, 0) == 0


def test_a_percent_fee_of_a_credit_balance_is_zero() -> None:
    assert late_fee_amount(percent("10"), -5_000, 0) == 0


# The cap


def test_a_percent_fee_under_its_cap_is_charged_in_full() -> None:
    # 2 % of 1,000.00 EUR = 20.00 EUR, cap 50.00 EUR, nothing charged yet.
    assert late_fee_amount(percent("2", cap=5000), 100_000, 0) == 2000


def test_a_percent_fee_is_cut_to_what_is_left_under_the_cap() -> None:
    # 2 % of 1,000.00 EUR = 20.00 EUR, but 40.00 of the 50.00 EUR cap is used: 10.00 EUR left.
    assert late_fee_amount(percent("2", cap=5000), 100_000, 4000) == 1000


def test_a_percent_fee_is_zero_once_the_cap_is_reached() -> None:
    assert late_fee_amount(percent("2", cap=5000), 100_000, 5000) == 0


def test_a_percent_fee_is_never_negative_when_earlier_fees_exceed_the_cap() -> None:
    assert late_fee_amount(percent("2", cap=5000), 100_000, 7000) == 0


def test_a_percent_fee_without_a_cap_ignores_earlier_fees() -> None:
    assert late_fee_amount(percent("2"), 100_000, 10**9) == 2000


def test_a_fee_that_is_neither_fixed_nor_percent_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="either fixed or a percent"):
        late_fee_amount(LateFee("EUR"), 100, 0)


def test_a_fee_as_parsed_from_a_ladder_is_charged_as_written() -> None:
    [stage] = parse_ladder([StageSpec("late", 7, late_fee=FeeSpec(percent="1.50", cap="25.00"))], "EUR")
    assert stage.late_fee is not None

    # 1.5 % of 2,000.00 EUR = 30.00 EUR, capped at 25.00 EUR.
    assert late_fee_amount(stage.late_fee, 200_000, 0) == 2500


# Properties

# Percentages from 0.0001 to 100 with four decimals, as text: "12.3400".
rates = st.integers(1, 1_000_000).map(lambda n: f"{n // 10**4}.{n % 10**4:04d}")
amounts = st.integers(0, MAX_MINOR)


@settings(max_examples=200)
@given(rate=rates, amount=amounts, cap=st.integers(1, MAX_MINOR), so_far=st.integers(0, MAX_MINOR))
def test_a_capped_fee_is_between_zero_and_what_is_left_under_the_cap(
    rate: str, amount: int, cap: int, so_far: int
) -> None:
    fee = late_fee_amount(percent(rate, cap=cap), amount, so_far)

    assert 0 <= fee <= max(0, cap - so_far)
    assert fee <= late_fee_amount(percent(rate), amount, so_far)


@settings(max_examples=200)
@given(rate=rates, amount=amounts)
def test_a_percent_fee_is_within_half_a_minor_unit_of_the_exact_percentage(rate: str, amount: int) -> None:
    fee = late_fee_amount(percent(rate), amount, 0)

    # Exact in integers: |fee - amount * rate / 100| <= 1/2, with rate = units / 10^4.
    units = int(rate.replace(".", ""))
    assert abs(2 * (fee * 100 * 10**4 - amount * units)) <= 100 * 10**4


@settings(max_examples=200)
@given(rate=rates, smaller=amounts, extra=amounts)
def test_a_percent_fee_grows_with_the_amount_due(rate: str, smaller: int, extra: int) -> None:
    assert late_fee_amount(percent(rate), smaller, 0) <= late_fee_amount(percent(rate), smaller + extra, 0)
