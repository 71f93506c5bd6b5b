"""Money: integer minor units of an ISO 4217 currency, parsed strictly from decimal strings."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.money import (
    CURRENCY_EXPONENTS,
    MAX_MINOR,
    MoneyError,
    exponent,
    from_minor,
    parse_decimal,
    to_minor,
)


def _code(excinfo: pytest.ExceptionInfo[MoneyError]) -> str:
    return excinfo.value.code


@pytest.mark.parametrize(("currency", "places"), [("EUR", 2), ("JPY", 0), ("KWD", 3)])
def test_exponent_is_the_iso_4217_minor_unit(currency: str, places: int) -> None:
    assert exponent(currency) == places


def test_exponent_refuses_an_unsupported_currency() -> None:
    with pytest.raises(MoneyError) as excinfo:
        exponent("XXX")
    assert _code(excinfo) == "unsupported_currency"


def test_currency_codes_are_case_sensitive() -> None:
    with pytest.raises(MoneyError) as excinfo:
        to_minor("1", "eur")
    assert _code(excinfo) == "unsupported_currency"


def test_money_error_is_a_refusal_and_a_value_error_with_code_and_message() -> None:
    error = MoneyError(ErrorType.INVALID_AMOUNT, "nope")
    assert isinstance(error, Refusal) and isinstance(error, ValueError)
    assert (error.code, error.message, str(error)) == ("invalid_amount", "nope", "nope")


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.50", "EUR", 123450),
        ("1234.5", "EUR", 123450),
        ("0.01", "EUR", 1),
        ("5", "EUR", 500),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("0", "EUR", 0),
        ("-2.50", "EUR", -250),
    ],
)
def test_to_minor_scales_by_the_currency_exponent(text: str, currency: str, minor: int) -> None:
    assert to_minor(text, currency) == minor


def test_to_minor_ignores_surrounding_whitespace() -> None:
    assert to_minor("  5.00 ", "EUR") == 500


def test_to_minor_accepts_trailing_zeros_beyond_the_exponent() -> None:
    assert to_minor("5.000", "EUR") == 500


@pytest.mark.parametrize(("text", "currency"), [("1.001", "EUR"), ("1.5", "JPY"), ("0.0001", "KWD")])
def test_to_minor_refuses_more_decimals_than_the_currency_has(text: str, currency: str) -> None:
    with pytest.raises(MoneyError) as excinfo:
        to_minor(text, currency)
    assert _code(excinfo) == "invalid_amount"


def test_to_minor_refuses_excess_decimals_beyond_decimal_context_precision() -> None:
    with pytest.raises(MoneyError):
        to_minor("1.000000000000000000000000000001", "EUR")


@pytest.mark.parametrize("text", ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf"])
def test_to_minor_refuses_nan_and_infinity(text: str) -> None:
    with pytest.raises(MoneyError) as excinfo:
        to_minor(text, "EUR")
    assert _code(excinfo) == "invalid_amount"


@pytest.mark.parametrize("text", ["1e3", "1E3", "1.5e0", "1e-2"])
def test_to_minor_refuses_exponent_notation(text: str) -> None:
    with pytest.raises(MoneyError) as excinfo:
        to_minor(text, "EUR")
    assert _code(excinfo) == "invalid_amount"


@pytest.mark.parametrize("value", [5.0, 5, None, b"5"])
def test_to_minor_refuses_values_that_are_not_strings(value: object) -> None:
    with pytest.raises(MoneyError) as excinfo:
        to_minor(value, "EUR")  # type: ignore[arg-type]
    assert _code(excinfo) == "invalid_amount"


@pytest.mark.parametrize("text", ["", "   ", "abc", "1,50", "1.2.3", "€5", "5 EUR", "--1", "0x10"])
def test_to_minor_refuses_garbage(text: str) -> None:
    with pytest.raises(MoneyError) as excinfo:
        to_minor(text, "EUR")
    assert _code(excinfo) == "invalid_amount"


@pytest.mark.parametrize(
    "text",
    [
        "1_000",
        "\u0661\u0662\u0663",
    ],
)
def test_to_minor_refuses_anything_but_ascii_plain_decimal_syntax(text: str) -> None:
    with pytest.raises(MoneyError):
        to_minor(text, "EUR")


def test_to_minor_accepts_exactly_max_minor() -> None:
    assert to_minor(from_minor(MAX_MINOR, "EUR"), "EUR") == MAX_MINOR
    assert to_minor(from_minor(-MAX_MINOR, "EUR"), "EUR") == -MAX_MINOR


@pytest.mark.parametrize("minor", [MAX_MINOR + 1, -(MAX_MINOR + 1), 10**30])
def test_to_minor_refuses_amounts_beyond_max_minor(minor: int) -> None:
    with pytest.raises(MoneyError) as excinfo:
        to_minor(str(minor), "JPY")
    assert _code(excinfo) == "invalid_amount"


def test_to_minor_refuses_an_unsupported_currency() -> None:
    with pytest.raises(MoneyError) as excinfo:
        to_minor("1.00", "ABC")
    assert _code(excinfo) == "unsupported_currency"


def test_to_minor_names_the_field_in_its_message() -> None:
    with pytest.raises(MoneyError, match=r"^unit_price 'x'"):
        to_minor("x", "EUR", "unit_price")


def test_parse_decimal_refuses_exponent_notation_even_when_finite() -> None:
    with pytest.raises(MoneyError) as excinfo:
        parse_decimal("2E2")
    assert _code(excinfo) == "invalid_amount"


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (500, "EUR", "5.00"),
        (5, "JPY", "5"),
        (5000, "KWD", "5.000"),
        (0, "EUR", "0.00"),
        (1, "EUR", "0.01"),
        (-5, "EUR", "-0.05"),
        (123450, "EUR", "1234.50"),
        (MAX_MINOR, "KWD", "1000000000000.000"),
    ],
)
def test_from_minor_prints_exactly_the_currency_exponent_decimals(
    minor: int, currency: str, text: str
) -> None:
    assert from_minor(minor, currency) == text


def test_from_minor_never_uses_exponent_notation() -> None:
    assert from_minor(MAX_MINOR, "JPY") == "1000000000000000"
    assert from_minor(0, "JPY") == "0"


def test_from_minor_refuses_an_unsupported_currency() -> None:
    with pytest.raises(MoneyError) as excinfo:
        from_minor(1, "XYZ")
    assert _code(excinfo) == "unsupported_currency"


currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
minors = st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR)


@settings(max_examples=200)
@given(minor=minors, currency=currencies)
def test_to_minor_inverts_from_minor_for_every_currency(minor: int, currency: str) -> None:
    assert to_minor(from_minor(minor, currency), currency) == minor


@settings(max_examples=200)
@given(minor=minors, currency=currencies)
def test_from_minor_always_has_exactly_exponent_decimals(minor: int, currency: str) -> None:
    text = from_minor(minor, currency)
    places = CURRENCY_EXPONENTS[currency]
    if places == 0:
        assert "." not in text
    else:
        assert len(text.split(".")[1]) == places
    assert "E" not in text.upper()
