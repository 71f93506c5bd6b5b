"""Late-payment interest (EU Directive 2011/7/EU): settings, actual/365 accrual, recovery compensation."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.late_interest import (
    InterestError,
    InterestMode,
    LateInterest,
    accrued_interest,
    parse_late_interest,
    recovery_compensation,
)

EUR_10000 = 1_000_000  # 10,000.00 EUR in cents


def refused(mode: str, currency: str = "EUR", **fields: str) -> str:
    with pytest.raises(InterestError) as error:
        parse_late_interest(mode, currency, **fields)
    assert error.value.code == "invalid_late_interest"
    return error.value.message


def statutory(**fields: str) -> LateInterest:
    return parse_late_interest(
        "statutory_eu", "EUR", **({"reference_rate": "4.00", "margin_points": "8"} | fields)
    )


# Settings: the three modes


def test_off_is_the_default_setting() -> None:
    assert parse_late_interest("off", "EUR") == LateInterest() == LateInterest(mode="off", annual_rate="0")


def test_a_fixed_rate_is_kept_in_canonical_text() -> None:
    assert parse_late_interest("fixed", "EUR", annual_rate="9.50") == LateInterest(
        mode="fixed", annual_rate="9.5"
    )


def test_a_fixed_rate_may_be_zero_or_one_hundred() -> None:
    assert parse_late_interest("fixed", "EUR", annual_rate="0").annual_rate == "0"
    assert parse_late_interest("fixed", "EUR", annual_rate="100.0000").annual_rate == "100"


def test_statutory_eu_adds_the_margin_to_the_reference_rate() -> None:
    # 4.00 % reference rate + 8 points = 12 % a year.
    assert statutory() == LateInterest(
        mode="statutory_eu", annual_rate="12", reference_rate="4", margin_points="8", compensation=4000
    )


def test_statutory_eu_in_euro_defaults_to_the_directives_40_euro_compensation() -> None:
    assert statutory().compensation == 4000


def test_statutory_eu_takes_a_stated_compensation() -> None:
    assert statutory(compensation="70.00").compensation == 7000


def test_statutory_eu_accepts_a_zero_compensation() -> None:
    assert statutory(compensation="0").compensation == 0


def test_statutory_eu_outside_the_euro_needs_the_compensation_stated() -> None:
    message = refused("statutory_eu", "SEK", reference_rate="4", margin_points="8")

    assert message.startswith('compensation is required with mode "statutory_eu" in SEK')


def test_statutory_eu_reads_the_compensation_in_the_merchants_currency() -> None:
    interest = parse_late_interest(
        "statutory_eu", "JPY", reference_rate="0.5", margin_points="8", compensation="6000"
    )

    assert interest.compensation == 6000
    assert interest.annual_rate == "8.5"


def test_statutory_eu_accepts_a_negative_reference_rate_if_the_sum_is_not() -> None:
    # -0.5 % (as the ECB's deposit rate was) + 8 points = 7.5 %.
    assert statutory(reference_rate="-0.50").annual_rate == "7.5"


def test_the_setting_is_made_of_wire_safe_fields_only() -> None:
    interest = statutory()

    assert {type(value) for value in vars(interest).values()} <= {str, int, type(None)}
    assert type(interest.mode) is str


def test_interest_mode_values_are_the_wire_names() -> None:
    assert [m.value for m in InterestMode] == ["off", "fixed", "statutory_eu"]


# Settings: refusals


def test_an_unknown_mode_is_refused_listing_the_modes() -> None:
    assert refused("monthly") == 'mode must be one of "off", "fixed", "statutory_eu", not \'monthly\''


def test_fixed_without_an_annual_rate_is_refused() -> None:
    assert refused("fixed") == 'annual_rate is required with mode "fixed"'


@pytest.mark.parametrize("missing", ["reference_rate", "margin_points"])
def test_statutory_eu_without_its_rates_is_refused_naming_the_missing_one(missing: str) -> None:
    fields = {"reference_rate": "4", "margin_points": "8"}
    del fields[missing]

    assert refused("statutory_eu", **fields) == f'{missing} is required with mode "statutory_eu"'


@pytest.mark.parametrize(
    ("mode", "field"),
    [
        ("off", "annual_rate"), ("off", "reference_rate"), ("off", "margin_points"), ("off", "compensation"),
        ("fixed", "reference_rate"), ("fixed", "margin_points"), ("fixed", "compensation"),
        ("statutory_eu", "annual_rate"),
    ],
)  # fmt: skip
def test_a_field_that_does_not_belong_to_the_mode_is_refused_by_name(mode: str, field: str) -> None:
    fields = {"annual_rate": "5", "reference_rate": "4", "margin_points": "8"} | {field: "1"}

    message = refused(mode, **{k: v for k, v in fields.items() if k == field or _belongs(mode, k)})

    assert message == f'{field} does not go with mode "{mode}"'


def _belongs(mode: str, field: str) -> bool:
    return (mode, field) in {("fixed", "annual_rate"), ("statutory_eu", "reference_rate"),
                             ("statutory_eu", "margin_points")}  # fmt: skip


@pytest.mark.parametrize("rate", ["-0.01", "100.01", "1000"])
def test_a_fixed_rate_outside_0_to_100_is_refused(rate: str) -> None:
    assert refused("fixed", annual_rate=rate) == "annual_rate must be between 0 and 100"


@pytest.mark.parametrize("rate", ["NaN", "1e2", "", "12 %", "Infinity"])
def test_a_rate_that_is_not_a_plain_decimal_is_refused(rate: str) -> None:
    assert refused("fixed", annual_rate=rate).startswith("annual_rate ")


def test_a_rate_with_more_than_four_decimals_is_refused() -> None:
    assert refused("fixed", annual_rate="1.00001") == "annual_rate has at most 4 decimals"


def test_a_reference_rate_below_minus_10_is_refused() -> None:
    message = refused("statutory_eu", reference_rate="-10.01", margin_points="20")

    assert message == "reference_rate must be between -10 and 100"


def test_a_negative_margin_is_refused() -> None:
    assert (
        refused("statutory_eu", reference_rate="4", margin_points="-1")
        == "margin_points must be between 0 and 100"
    )


def test_a_negative_effective_rate_is_refused() -> None:
    message = refused("statutory_eu", reference_rate="-3", margin_points="2")

    assert message == "reference_rate + margin_points must be between 0 and 100, not -1"


def test_an_effective_rate_above_100_is_refused() -> None:
    message = refused("statutory_eu", reference_rate="60", margin_points="50")

    assert message == "reference_rate + margin_points must be between 0 and 100, not 110"


def test_a_compensation_finer_than_the_currency_is_refused() -> None:
    message = refused("statutory_eu", "JPY", reference_rate="0", margin_points="8", compensation="40.50")

    assert message == "compensation '40.50' has more than 0 decimals for JPY"


def test_a_negative_compensation_is_refused() -> None:
    assert refused("statutory_eu", reference_rate="4", margin_points="8", compensation="-40") == (
        "compensation must not be negative"
    )


# Accrual: worked examples, checked by hand


def test_interest_on_an_invoice_paid_29_days_after_its_due_date() -> None:
    # 10,000.00 EUR due 2026-01-31, paid in full on 2026-03-02, statutory 4.00 + 8 = 12 % a year.
    # The payment day is day 30 after the due date (Feb has 28 days in 2026); it stops interest,
    # so interest runs on days 1..29 (2026-02-01 .. 2026-03-01):
    #   10,000.00 x 0.12 x 29/365 = 348,000 / 365 = 95.3424... EUR -> 95.34 EUR = 9534 cents.
    paid_on_day = (date(2026, 3, 2) - date(2026, 1, 31)).days
    assert paid_on_day == 30

    interest = accrued_interest([(0, EUR_10000), (paid_on_day, 0)], paid_on_day, statutory().annual_rate)

    assert interest == 9534


def test_interest_shown_up_to_today_counts_today() -> None:
    # Same invoice still unpaid on 2026-03-01, day 29: days 1..29 -> the same 95.34 EUR.
    assert accrued_interest([(0, EUR_10000)], 29, "12") == 9534


def test_interest_after_a_partial_payment_runs_on_the_rest() -> None:
    # 10,000.00 EUR at 12 %; 6,000.00 EUR paid on day 15, the remaining 4,000.00 EUR on day 30.
    #   days 1..14 on 10,000.00: 14 x 1,000,000 = 14,000,000 cent-days
    #   days 15..29 on 4,000.00: 15 x   400,000 =  6,000,000 cent-days
    #   20,000,000 x 0.12 / 365 = 2,400,000 / 365 = 6575.342... cents -> 65.75 EUR.
    assert accrued_interest([(0, EUR_10000), (15, 400_000), (30, 0)], 30, "12") == 6575


def test_interest_in_a_currency_without_minor_units() -> None:
    # 1,000,000 JPY at a fixed 10 %, 45 days late:
    #   1,000,000 x 0.10 x 45/365 = 4,500,000 / 365 = 12,328.767... JPY -> 12,329 JPY.
    assert accrued_interest([(0, 1_000_000)], 45, "10") == 12_329


def test_interest_rounds_half_up() -> None:
    # 182.50 EUR at 1 % for 1 day: 18,250 x 0.01 / 365 = 0.5 cents exactly -> 1 cent.
    assert accrued_interest([(0, 18_250)], 1, "1") == 1


def test_interest_is_rounded_once_on_the_sum_not_per_day() -> None:
    # 146.00 EUR at 1 %: 14,600 x 0.01 / 365 = 0.4 cents a day; 3 days = 1.2 cents -> 1 cent
    # (rounding each day first would give 0).
    assert accrued_interest([(0, 14_600)], 3, "1") == 1


def test_interest_accrues_from_the_day_after_the_due_date() -> None:
    # Day 0 is the due date itself: nothing yet. Day 1 at 36.5 % on 100.00 EUR = 0.10 EUR.
    assert accrued_interest([(0, 10_000)], 0, "36.5") == 0
    assert accrued_interest([(0, 10_000)], 1, "36.5") == 10


def test_no_interest_before_the_due_date() -> None:
    assert accrued_interest([(0, EUR_10000)], -5, "12") == 0


def test_no_interest_at_a_zero_rate() -> None:
    assert accrued_interest([(0, EUR_10000)], 400, "0") == 0


def test_no_interest_without_an_unpaid_amount() -> None:
    assert accrued_interest([], 30, "12") == 0


def test_days_before_the_first_step_count_at_its_amount() -> None:
    # 100.00 EUR from day 5 on means 100.00 EUR on days 1..4 too: 10 days at 36.5 % = 1.00 EUR.
    assert accrued_interest([(5, 10_000)], 10, "36.5") == accrued_interest([(0, 10_000)], 10, "36.5") == 100


def test_of_two_steps_on_the_same_day_the_last_counts() -> None:
    # Two payments on day 3: 100.00 -> 60.00 -> 20.00 EUR. 36.5 % = 0.1 % a day:
    #   days 1..2 at 10,000 + days 3..10 at 2,000 = 20,000 + 16,000 = 36,000 cent-days -> 36 cents.
    assert accrued_interest([(0, 10_000), (3, 6_000), (3, 2_000)], 10, "36.5") == 36


def test_an_overpaid_day_earns_no_interest() -> None:
    assert accrued_interest([(0, 10_000), (2, -500)], 10, "36.5") == 10


def test_steps_out_of_order_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="in order of day"):
        accrued_interest([(5, 100), (2, 50)], 10, "12")


def test_a_negative_rate_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        accrued_interest([(0, 100)], 10, "-1")


# Recovery compensation


def test_statutory_compensation_is_due_from_the_first_late_day() -> None:
    assert recovery_compensation(statutory(), 1) == 4000
    assert recovery_compensation(statutory(), 90) == 4000


def test_no_compensation_on_or_before_the_due_date() -> None:
    assert recovery_compensation(statutory(), 0) == 0
    assert recovery_compensation(statutory(), -3) == 0


@pytest.mark.parametrize("interest", [LateInterest(), LateInterest(mode="fixed", annual_rate="9")])
def test_no_compensation_outside_statutory_mode(interest: LateInterest) -> None:
    assert recovery_compensation(interest, 30) == 0


# Properties

# Rates from 0 to 100 with four decimals, as text: "12.3400".
rates = st.integers(0, 1_000_000).map(lambda n: f"{n // 10**4}.{n % 10**4:04d}")
principals = st.integers(0, 10**12)
days = st.integers(-5, 3650)


@st.composite
def schedules(draw: st.DrawFn) -> list[tuple[int, int]]:
    """A step function of unpaid amounts: days in order (repeats allowed), any amounts >= 0."""
    starts = sorted(draw(st.lists(st.integers(0, 400), min_size=1, max_size=6)))
    return [(start, draw(principals)) for start in starts]


@settings(max_examples=200)
@given(schedule=schedules(), shorter=days, extra=st.integers(0, 400), rate=rates)
def test_interest_never_decreases_as_days_go_by(
    schedule: list[tuple[int, int]], shorter: int, extra: int, rate: str
) -> None:
    assert accrued_interest(schedule, shorter, rate) <= accrued_interest(schedule, shorter + extra, rate)


@settings(max_examples=200)
@given(
    schedule=schedules(), more=st.lists(st.integers(0, 10**12), min_size=6, max_size=6), late=days, rate=rates
)
def test_interest_never_decreases_as_unpaid_amounts_grow(
    schedule: list[tuple[int, int]], more: list[int], late: int, rate: str
) -> None:
    larger = [(day, amount + extra) for (day, amount), extra in zip(schedule, more, strict=False)]

    assert accrued_interest(schedule, late, rate) <= accrued_interest(larger, late, rate)


@settings(max_examples=200)
@given(
    starts=st.lists(st.integers(0, 400), min_size=1, max_size=6).map(sorted),
    parts=st.lists(st.lists(principals, min_size=6, max_size=6), min_size=1, max_size=4),
    late=days, rate=rates,
)  # fmt: skip
def test_interest_is_additive_over_a_split_principal_up_to_a_minor_unit_per_part(
    starts: list[int], parts: list[list[int]], late: int, rate: str
) -> None:
    whole = [(day, sum(part[i] for part in parts)) for i, day in enumerate(starts)]
    split = [accrued_interest(list(zip(starts, part, strict=False)), late, rate) for part in parts]

    assert abs(accrued_interest(whole, late, rate) - sum(split)) <= len(parts)


@settings(max_examples=200)
@given(schedule=schedules(), late=days)
def test_interest_is_zero_at_a_zero_rate(schedule: list[tuple[int, int]], late: int) -> None:
    assert accrued_interest(schedule, late, "0") == 0


@settings(max_examples=200)
@given(principal=principals, late=st.integers(1, 3650), rate=rates)
def test_interest_on_a_constant_amount_is_within_half_a_minor_unit_of_the_formula(
    principal: int, late: int, rate: str
) -> None:
    interest = accrued_interest([(0, principal)], late, rate)

    # Exact in integers, with rate = units / 10^4: |interest - principal x rate/100 x late/365| <= 1/2.
    units = int(rate.replace(".", ""))
    scale = 100 * 10**4 * 365
    assert abs(2 * (interest * scale - principal * units * late)) <= scale


@settings(max_examples=200)
@given(
    mode=st.text(max_size=14) | st.sampled_from([m.value for m in InterestMode]),
    fields=st.dictionaries(
        st.sampled_from(["annual_rate", "reference_rate", "margin_points", "compensation"]),
        st.text(max_size=8) | st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,5})?", fullmatch=True),
    ),
)
def test_any_input_is_either_a_setting_or_an_interest_error(mode: str, fields: dict[str, str]) -> None:
    try:
        interest = parse_late_interest(mode, "EUR", **fields)
    except InterestError as error:
        assert error.message
    else:
        assert interest.mode == mode
        assert 0 <= float(interest.annual_rate) <= 100
