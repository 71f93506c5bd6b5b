"""Late-payment interest and recovery compensation (EU Directive 2011/7/EU).

A merchant's setting is one of three modes: `off` (the default), `fixed` (an annual rate of their
choosing) or `statutory_eu` (the reference rate plus a margin in percentage points, plus the
fixed recovery compensation, 40.00 EUR, once per late invoice).

Interest accrues from the day after the due date (day 0) on what is unpaid that day, day count
actual/365: each late day earns rate/100/365 of that day's unpaid amount. The days are summed
exactly and rounded half-up once. A payment counted on day n stops interest on the paid part from
day n on: an invoice paid in full on day n earns interest for days 1 to n-1.

Rates travel as decimal strings and money as integer minor units, so a `LateInterest` crosses
Temporal's JSON converter unchanged.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import StrEnum

from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.lines import half_up
from payinvoice.domain.money import EXACT_PRECISION, MoneyError, parse_decimal, to_minor

DAYS_PER_YEAR = 365
MAX_RATE_PLACES = 4
MIN_REFERENCE_RATE, MAX_RATE = Decimal(-10), Decimal(100)
# The Directive's fixed sum (Art. 6): 40 EUR. Other currencies have no default: the merchant
# states the amount (its equivalent, or 0).
STATUTORY_COMPENSATION = {"EUR": "40.00"}


class InterestMode(StrEnum):
    OFF = "off"
    FIXED = "fixed"
    STATUTORY_EU = "statutory_eu"


@dataclass(frozen=True)
class LateInterest:
    """A validated late-interest setting. `annual_rate` is the effective percent per year (in
    statutory mode reference_rate + margin_points); `compensation` in minor units, statutory only."""

    mode: str = InterestMode.OFF.value
    annual_rate: str = "0"
    reference_rate: str | None = None
    margin_points: str | None = None
    compensation: int = 0


class InterestError(Refusal, ValueError):
    """A late-interest setting that cannot be accepted; the message names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorType.INVALID_LATE_INTEREST, message)


def parse_late_interest(
    mode: str,
    currency: str,
    annual_rate: str | None = None,
    reference_rate: str | None = None,
    margin_points: str | None = None,
    compensation: str | None = None,
) -> LateInterest:
    """Validate a setting as the merchant sent it; money is read in the merchant's `currency`.

    Rates are plain decimals with at most 4 decimals: annual_rate and margin_points from 0 to 100,
    reference_rate from -10 to 100, and their sum (the effective rate) from 0 to 100. A field that
    does not belong to the mode is refused rather than ignored.
    """
    given = {
        "annual_rate": annual_rate, "reference_rate": reference_rate,
        "margin_points": margin_points, "compensation": compensation,
    }  # fmt: skip
    try:
        chosen = InterestMode(mode)
    except ValueError:
        choices = ", ".join(f'"{m.value}"' for m in InterestMode)
        raise InterestError(f"mode must be one of {choices}, not {mode!r}") from None
    allowed = {
        InterestMode.OFF: set(),
        InterestMode.FIXED: {"annual_rate"},
        InterestMode.STATUTORY_EU: {"reference_rate", "margin_points", "compensation"},
    }[chosen]
    for field, value in given.items():
        if value is not None and field not in allowed:
            raise InterestError(f'{field} does not go with mode "{chosen.value}"')
    if chosen is InterestMode.OFF:
        return LateInterest()
    if chosen is InterestMode.FIXED:
        rate = _rate(_required(annual_rate, "annual_rate", chosen), "annual_rate", Decimal(0))
        return LateInterest(mode=chosen.value, annual_rate=_plain(rate))
    reference = _rate(
        _required(reference_rate, "reference_rate", chosen), "reference_rate", MIN_REFERENCE_RATE
    )
    margin = _rate(_required(margin_points, "margin_points", chosen), "margin_points", Decimal(0))
    effective = reference + margin
    if not Decimal(0) <= effective <= MAX_RATE:
        raise InterestError(
            f"reference_rate + margin_points must be between 0 and {MAX_RATE}, not {_plain(effective)}"
        )
    return LateInterest(
        mode=chosen.value,
        annual_rate=_plain(effective),
        reference_rate=_plain(reference),
        margin_points=_plain(margin),
        compensation=_compensation(compensation, currency),
    )


def accrued_interest(unpaid_from_day: Sequence[tuple[int, int]], days_late: int, annual_rate: str) -> int:
    """Interest for days 1..days_late after the due date (day 0), in minor units.

    `unpaid_from_day` is a step function: (day, unpaid amount from that day on) pairs in order
    of day, e.g. [(0, 1_000_000), (15, 400_000)]. Days before the first pair count at the first
    pair's amount; of pairs on the same day the last one counts; a negative amount (overpaid)
    counts as 0. 0 when days_late <= 0, the rate is 0 or there are no pairs.
    """
    days = [day for day, _ in unpaid_from_day]
    if days != sorted(days):
        raise ValueError("unpaid_from_day must be in order of day")
    with localcontext(prec=EXACT_PRECISION):  # exact: the only rounding is half_up
        rate = parse_decimal(annual_rate, "annual_rate")
        if rate < 0:
            raise ValueError(f"annual_rate must not be negative, not {annual_rate!r}")
        # The sum over late days of each day's unpaid amount, one constant stretch at a time.
        amount_days = 0
        for index, (start, amount) in enumerate(unpaid_from_day):
            first = 1 if index == 0 else max(start, 1)
            last = days_late if index + 1 == len(unpaid_from_day) else min(days[index + 1] - 1, days_late)
            if last >= first:
                amount_days += (last - first + 1) * max(amount, 0)
        return half_up(rate * amount_days / 100 / DAYS_PER_YEAR)


def recovery_compensation(interest: LateInterest, days_late: int) -> int:
    """The fixed recovery compensation, once per invoice: due as soon as it is late
    (days_late >= 1) in statutory mode, else 0."""
    if interest.mode == InterestMode.STATUTORY_EU and days_late >= 1:
        return interest.compensation
    return 0


def _required(value: str | None, field: str, mode: InterestMode) -> str:
    if value is None:
        raise InterestError(f'{field} is required with mode "{mode.value}"')
    return value


def _rate(text: str, field: str, minimum: Decimal) -> Decimal:
    try:
        rate = parse_decimal(text, field)
    except MoneyError as error:
        raise InterestError(error.message) from None
    if not minimum <= rate <= MAX_RATE:
        raise InterestError(f"{field} must be between {minimum} and {MAX_RATE}")
    if rate != rate.quantize(Decimal(1).scaleb(-MAX_RATE_PLACES)):
        raise InterestError(f"{field} has at most {MAX_RATE_PLACES} decimals")
    return rate


def _compensation(text: str | None, currency: str) -> int:
    if text is None:
        text = STATUTORY_COMPENSATION.get(currency)
        if text is None:
            raise InterestError(
                f'compensation is required with mode "statutory_eu" in {currency}'
                " (the Directive's 40.00 EUR has no default in other currencies; 0 for none)"
            )
    try:
        minor = to_minor(text, currency, "compensation")
    except MoneyError as error:
        raise InterestError(error.message) from None
    if minor < 0:
        raise InterestError("compensation must not be negative")
    return minor


def _plain(value: Decimal) -> str:
    """Canonical text of a decimal without exponent notation ("8", "4.5", never "-0")."""
    return format(value.normalize() if value else Decimal(0), "f")
