"""Invoice lines and totals: each line rounded half-up once, totals are exact sums."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from payinvoice.domain.errors import ErrorType
from payinvoice.domain.money import EXACT_PRECISION, MAX_MINOR, MoneyError, parse_decimal, to_minor

MAX_QUANTITY_DECIMALS = 4
MAX_TAX_RATE_DECIMALS = 4


@dataclass(frozen=True)
class Line:
    """One validated line; money in minor units, quantity and tax rate as decimal strings."""

    description: str
    quantity: str
    unit_price: int
    tax_rate: str


@dataclass(frozen=True)
class PricedLine:
    line: Line
    line_total: int
    tax_amount: int


@dataclass(frozen=True)
class Totals:
    lines: tuple[PricedLine, ...]
    subtotal: int
    tax_total: int
    total: int


def parse_line(
    description: str, quantity: str, unit_price: str, tax_rate: str, currency: str, index: int
) -> Line:
    where = f"lines[{index}]"
    if not description.strip():
        raise MoneyError(ErrorType.INVALID_LINE, f"{where}.description must not be empty")
    qty = parse_decimal(quantity, f"{where}.quantity")
    if qty <= 0:
        raise MoneyError(ErrorType.INVALID_LINE, f"{where}.quantity must be greater than 0")
    if _decimals(qty) > MAX_QUANTITY_DECIMALS:
        message = f"{where}.quantity has more than {MAX_QUANTITY_DECIMALS} decimals"
        raise MoneyError(ErrorType.INVALID_LINE, message)
    if qty > 10**9:
        raise MoneyError(ErrorType.INVALID_LINE, f"{where}.quantity is too large")
    price = to_minor(unit_price, currency, f"{where}.unit_price")
    if price < 0:
        raise MoneyError(ErrorType.INVALID_LINE, f"{where}.unit_price must not be negative")
    rate = parse_decimal(tax_rate, f"{where}.tax_rate")
    if not Decimal(0) <= rate <= Decimal(100):
        raise MoneyError(ErrorType.INVALID_LINE, f"{where}.tax_rate must be between 0 and 100")
    if _decimals(rate) > MAX_TAX_RATE_DECIMALS:
        message = f"{where}.tax_rate has more than {MAX_TAX_RATE_DECIMALS} decimals"
        raise MoneyError(ErrorType.INVALID_LINE, message)
    return Line(description.strip(), _plain(qty), price, _plain(rate))


def half_up(value: Decimal) -> int:
    """Round a Decimal amount of minor units half-up to a whole minor unit."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price_lines(lines: tuple[Line, ...] | list[Line], currency: str) -> Totals:
    """Line total = quantity x unit price, tax = line total x rate; each rounded half-up once."""
    priced = []
    with localcontext(prec=EXACT_PRECISION):  # exact products: the only rounding is half_up
        for line in lines:
            line_total = half_up(Decimal(line.quantity) * line.unit_price)
            tax_amount = half_up(line_total * Decimal(line.tax_rate) / 100)
            priced.append(PricedLine(line, line_total, tax_amount))
    subtotal = sum(p.line_total for p in priced)
    tax_total = sum(p.tax_amount for p in priced)
    total = subtotal + tax_total
    if total > MAX_MINOR:
        raise MoneyError(ErrorType.INVALID_AMOUNT, f"invoice total is too large for {currency}")
    return Totals(tuple(priced), subtotal, tax_total, total)


def _decimals(value: Decimal) -> int:
    return max(-int(value.as_tuple().exponent), 0)


def _plain(value: Decimal) -> str:
    """Canonical text of a decimal without exponent notation ("100", "7.5", never "-0")."""
    return format(value.normalize() if value else Decimal(0), "f")
