"""Money as integer minor units of an ISO 4217 currency; Decimal only at the edges."""

import re
from decimal import Decimal, localcontext

from payinvoice.domain.errors import ErrorType, Refusal

# ISO 4217 minor-unit exponents of the currencies we accept.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
    "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
    "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "NOK": 2,
    "NZD": 2, "OMR": 3, "PLN": 2, "RON": 2, "SEK": 2, "SGD": 2, "TND": 3, "TRY": 2,
    "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip

# Largest amount we accept anywhere (10^15 minor units): keeps sums far from any integer limit.
MAX_MINOR = 10**15
# A plain ASCII decimal: no exponents, separators, NaN, infinities or other scripts' digits.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?")
# Enough digits that arithmetic on accepted inputs is always exact before we round on purpose.
EXACT_PRECISION = 80


class MoneyError(Refusal, ValueError):
    """An amount or currency that cannot be accepted (`invalid_amount`, `invalid_line`, ...)."""


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise MoneyError(ErrorType.UNSUPPORTED_CURRENCY, f"currency {currency!r} is not supported") from None


def parse_decimal(text: str, what: str = "value") -> Decimal:
    """Parse a plain decimal string strictly: digits, an optional sign and decimal point."""
    if not isinstance(text, str):
        raise MoneyError(ErrorType.INVALID_AMOUNT, f"{what} must be a decimal string")
    if not _PLAIN_DECIMAL.fullmatch(text.strip()):
        raise MoneyError(ErrorType.INVALID_AMOUNT, f"{what} {text!r} is not a plain decimal number")
    return Decimal(text.strip())


def to_minor(text: str, currency: str, what: str = "amount") -> int:
    """Parse "1234.50" into minor units, refusing more decimals than the currency has."""
    value = parse_decimal(text, what)
    places = exponent(currency)
    with localcontext(prec=EXACT_PRECISION):
        scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise MoneyError(
            ErrorType.INVALID_AMOUNT, f"{what} {text!r} has more than {places} decimals for {currency}"
        )
    minor = int(scaled)
    if abs(minor) > MAX_MINOR:
        raise MoneyError(ErrorType.INVALID_AMOUNT, f"{what} {text!r} is too large")
    return minor


def from_minor(minor: int, currency: str) -> str:
    """Format minor units as a decimal string with exactly the currency's exponent."""
    places = exponent(currency)
    return str(Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places)))

