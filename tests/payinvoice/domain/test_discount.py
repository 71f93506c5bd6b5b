"""Early-payment discount (Skonto, "2/10 net 30"): validation, amount, window, settling in full."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.discount import (
    DiscountError,
    EarlyPaymentDiscount,
    discount_amount,
    discount_deadline,
    parse_discount,
    settles_with_discount,
)
from payinvoice.domain.money import MAX_MINOR

ISSUED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TWO_TEN = EarlyPaymentDiscount(percent="2", days=10)


def refused(percent: str = "2", days: int = 10, terms_days: int = 30) -> str:
    with pytest.raises(DiscountError) as error:
        parse_discount(percent, days, terms_days)
    assert error.value.code == "invalid_discount"
    return error.value.message


# parse_discount


def test_two_ten_net_thirty_parses() -> None:
    assert parse_discount("2", 10, 30) == TWO_TEN


def test_the_percent_is_kept_in_canonical_text() -> None:
    assert parse_discount("2.50", 10, 30).percent == "2.5"
    assert parse_discount("10.000", 10, 30).percent == "10"


def test_the_window_may_be_one_day_short_of_the_terms() -> None:
    assert parse_discount("3", 29, 30).days == 29


@pytest.mark.parametrize("percent", ["0", "0.0000", "-1", "100", "100.5"])
def test_a_percent_outside_0_to_100_exclusive_is_refused(percent: str) -> None:
    assert (
        refused(percent=percent) == "early_payment_discount.percent must be greater than 0 and less than 100"
    )


@pytest.mark.parametrize("percent", ["NaN", "2%", "1e1", "", "two"])
def test_a_percent_that_is_not_a_plain_decimal_is_refused(percent: str) -> None:
    assert refused(percent=percent).startswith("early_payment_discount.percent ")


def test_a_percent_with_more_than_four_decimals_is_refused() -> None:
    assert refused(percent="2.00001") == "early_payment_discount.percent has at most 4 decimals"


@pytest.mark.parametrize("days", [0, -1, 30, 31])
def test_a_window_outside_1_to_the_terms_is_refused(days: int) -> None:
    message = refused(days=days)

    assert message.startswith(
        "early_payment_discount.days must be at least 1 and less than the payment terms"
    )
    assert message.endswith(f"(30 days), not {days}")


def test_no_window_fits_terms_of_one_day() -> None:
    assert refused(days=1, terms_days=1).startswith("early_payment_discount.days must be at least 1")


@pytest.mark.parametrize("days", [True, 10.0, "10"])
def test_a_window_that_is_not_a_whole_number_is_refused(days: object) -> None:
    assert refused(days=days) == "early_payment_discount.days must be a whole number of days"  # type: ignore[arg-type]


# discount_amount: worked examples


def test_two_percent_of_1190_euro_is_23_80() -> None:
    # 1,190.00 EUR x 2 % = 23.80 EUR.
    assert discount_amount(119_000, TWO_TEN) == 2380


def test_the_discount_rounds_half_up() -> None:
    # 2 % of 0.25 EUR = 0.005 EUR, exactly half a cent -> 0.01 EUR.
    assert discount_amount(25, TWO_TEN) == 1
    # 2 % of 12.34 EUR = 0.2468 EUR -> 0.25 EUR.
    assert discount_amount(1234, TWO_TEN) == 25


def test_the_discount_in_a_currency_without_minor_units() -> None:
    # 3 % of 9,999 JPY = 299.97 JPY -> 300 JPY.
    assert discount_amount(9_999, EarlyPaymentDiscount("3", 14)) == 300


def test_no_discount_on_nothing_due() -> None:
    assert discount_amount(0, TWO_TEN) == 0
    assert discount_amount(-100, TWO_TEN) == 0


# discount_deadline


def test_the_window_ends_its_days_after_issue() -> None:
    assert discount_deadline(ISSUED, TWO_TEN, 86_400) == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_the_window_counts_in_the_invoices_own_day_length() -> None:
    # 10 days of 0.5 s = 5 s.
    assert discount_deadline(ISSUED, TWO_TEN, 0.5) == ISSUED + timedelta(seconds=5)


# settles_with_discount: worked examples


def test_paying_the_discounted_amount_in_the_window_settles_recording_the_discount() -> None:
    # 1,190.00 EUR due, 2 % = 23.80 EUR: 1,166.20 EUR paid settles, 23.80 EUR recorded as discount.
    assert settles_with_discount(119_000, 116_620, TWO_TEN) == 2380


def test_one_cent_short_of_the_discounted_amount_does_not_settle() -> None:
    assert settles_with_discount(119_000, 116_619, TWO_TEN) is None


def test_paying_between_the_discounted_and_the_full_amount_records_what_is_left() -> None:
    # 1,180.00 of 1,190.00 EUR paid: 10.00 EUR left, which is within the 23.80 EUR discount.
    assert settles_with_discount(119_000, 118_000, TWO_TEN) == 1000


def test_paying_in_full_needs_no_discount() -> None:
    assert settles_with_discount(119_000, 119_000, TWO_TEN) is None
    assert settles_with_discount(119_000, 120_000, TWO_TEN) is None


def test_nothing_due_needs_no_discount() -> None:
    assert settles_with_discount(0, 0, TWO_TEN) is None


def test_a_discount_that_rounds_to_nothing_never_settles_short() -> None:
    # 2 % of 0.20 EUR = 0.004 EUR -> 0.00 EUR: only the full 0.20 EUR settles, as an ordinary payment.
    assert settles_with_discount(20, 19, TWO_TEN) is None


# Properties

percents = st.integers(1, 999_999).map(lambda n: f"{n // 10**4}.{n % 10**4:04d}")
amounts = st.integers(1, MAX_MINOR)


@settings(max_examples=200)
@given(percent=percents, amount=amounts)
def test_the_discount_is_between_zero_and_the_amount(percent: str, amount: int) -> None:
    assert 0 <= discount_amount(amount, EarlyPaymentDiscount(percent, 10)) <= amount


@settings(max_examples=200)
@given(percent=percents, amount=amounts, paid=st.integers(0, MAX_MINOR))
def test_a_settling_discount_is_positive_at_most_the_discount_and_closes_the_balance(
    percent: str, amount: int, paid: int
) -> None:
    discount = EarlyPaymentDiscount(percent, 10)

    recorded = settles_with_discount(amount, paid, discount)

    if recorded is None:
        assert paid >= amount or paid < amount - discount_amount(amount, discount)
    else:
        assert 0 < recorded <= discount_amount(amount, discount)
        assert paid + recorded == amount


@settings(max_examples=200)
@given(
    percent=st.text(max_size=8) | st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,5})?", fullmatch=True),
    days=st.integers(-5, 40),
    terms=st.integers(0, 40),
)
def test_any_input_is_either_a_discount_or_a_discount_error(percent: str, days: int, terms: int) -> None:
    try:
        discount = parse_discount(percent, days, terms)
    except DiscountError as error:
        assert error.message.startswith("early_payment_discount.")
    else:
        assert 1 <= discount.days < terms
