"""Invoice lines and totals: each line rounded half-up once, totals are exact sums; each line's
VAT category (EN 16931 BT-151) and the combinations of categories an invoice may hold."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from payinvoice.domain.errors import ErrorType
from payinvoice.domain.money import EXACT_PRECISION, MAX_MINOR, MoneyError, parse_decimal, to_minor

MAX_QUANTITY_DECIMALS = 4
MAX_TAX_RATE_DECIMALS = 4
MAX_EXEMPTION_REASON = 200


class TaxCategory(StrEnum):
    """The VAT categories of EN 16931 (UNTDID 5305) a line may name."""

    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    OUTSIDE_SCOPE = "O"


# BR-AE-10, BR-IC-10, BR-G-10, BR-O-10: these categories state an exemption reason; one the
# merchant gives, else this. An exempt line (E, BR-E-10) has no default: only the merchant knows
# which exemption applies.
DEFAULT_EXEMPTION_REASONS: dict[TaxCategory, str] = {
    TaxCategory.REVERSE_CHARGE: "Reverse charge",
    TaxCategory.INTRA_COMMUNITY: "Intra-community supply",
    TaxCategory.EXPORT: "Export outside the EU",
    TaxCategory.OUTSIDE_SCOPE: "Not subject to VAT",
}
# The categories that charge no VAT (BR-Z-5, BR-E-5, BR-AE-5, BR-IC-5, BR-G-5, BR-O-5).
_ZERO_RATE = frozenset(TaxCategory) - {TaxCategory.STANDARD}
# The categories that carry an exemption reason (BR-S-10 and BR-Z-10 forbid one).
_WITH_REASON = frozenset(DEFAULT_EXEMPTION_REASONS) | {TaxCategory.EXEMPT}
# The categories whose buyer must have a VAT identifier (BR-AE-2, BR-IC-2).
BUYER_VAT_ID_REQUIRED = frozenset({TaxCategory.REVERSE_CHARGE, TaxCategory.INTRA_COMMUNITY})


@dataclass(frozen=True)
class Line:
    """One validated line; money in minor units, quantity and tax rate as decimal strings.

    It travels in workflow payloads and recorded histories: fields added later have defaults and
    come last, so the lines of invoices started before them still decode (as standard rated)."""

    description: str
    quantity: str
    unit_price: int
    tax_rate: str
    tax_category: str = TaxCategory.STANDARD.value
    exemption_reason: str | None = None


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
    description: str,
    quantity: str,
    unit_price: str,
    tax_rate: str,
    currency: str,
    index: int,
    tax_category: str | None = None,
    exemption_reason: str | None = None,
) -> Line:
    """A line of a request, checked. A line that names no `tax_category` is standard rated, at
    whatever rate it states, 0 % included, as before categories existed (an e-invoice then refuses a
    0 % line without its category); a line that names one states the rate EN 16931 allows it."""
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
    category, reason = _category(tax_category, exemption_reason, rate, where)
    return Line(description.strip(), _plain(qty), price, _plain(rate), category, reason)


def _category(
    tax_category: str | None, exemption_reason: str | None, rate: Decimal, where: str
) -> tuple[str, str | None]:
    """The line's category and exemption reason, checked against its rate (BR-S-5, BR-Z-5, ...)."""
    reason = exemption_reason.strip() if exemption_reason is not None else None
    if tax_category is None and reason is None:
        return TaxCategory.STANDARD.value, None
    try:
        category = TaxCategory(tax_category if tax_category is not None else TaxCategory.STANDARD)
    except ValueError:
        names = ", ".join(c.value for c in TaxCategory)
        message = f"{where}.tax_category {tax_category!r} is not one of {names}"
        raise MoneyError(ErrorType.INVALID_TAX_CATEGORY, message) from None
    if category is TaxCategory.STANDARD and rate == 0:
        message = f"{where}.tax_category S (standard rated) needs a tax_rate greater than 0"
        raise MoneyError(ErrorType.INVALID_TAX_CATEGORY, message)
    if category in _ZERO_RATE and rate != 0:
        message = f"{where}.tax_category {category.value} charges no VAT: its tax_rate must be 0"
        raise MoneyError(ErrorType.INVALID_TAX_CATEGORY, message)
    if category not in _WITH_REASON:
        if reason is not None:
            message = f"{where}.exemption_reason is only for tax categories {', '.join(sorted(_WITH_REASON))}"
            raise MoneyError(ErrorType.INVALID_TAX_CATEGORY, message)
        return category.value, None
    if reason is not None and len(reason) > MAX_EXEMPTION_REASON:
        message = f"{where}.exemption_reason is longer than {MAX_EXEMPTION_REASON} characters"
        raise MoneyError(ErrorType.INVALID_TAX_CATEGORY, message)
    reason = reason or DEFAULT_EXEMPTION_REASONS.get(category)
    if reason is None:
        message = f"{where}.exemption_reason is needed for tax category E (exempt): which exemption applies"
        raise MoneyError(ErrorType.INVALID_TAX_CATEGORY, message)
    return category.value, reason


def check_tax_categories(lines: Iterable[Line], buyer_vat_id: str | None) -> None:
    """The categories one invoice's lines may combine, for this buyer: reverse charge (AE) and
    intra-community supplies (K) need the buyer's VAT identifier (BR-AE-2, BR-IC-2), and a line
    outside the scope of VAT (O) cannot share an invoice with taxed ones (BR-O-11..14)."""
    categories = [line.tax_category for line in lines]
    for index, category in enumerate(categories):
        if category in BUYER_VAT_ID_REQUIRED and not buyer_vat_id:
            message = (
                f"lines[{index}].tax_category {category} needs the buyer's VAT identifier:"
                " set the buyer's vat_id first"
            )
            raise MoneyError(ErrorType.INVALID_TAX_CATEGORY, message)
    if TaxCategory.OUTSIDE_SCOPE in categories and len(set(categories)) > 1:
        index = next(i for i, c in enumerate(categories) if c != TaxCategory.OUTSIDE_SCOPE)
        message = (
            f"lines[{index}].tax_category {categories[index]} cannot share an invoice with lines"
            " outside the scope of VAT (O)"
        )
        raise MoneyError(ErrorType.INVALID_TAX_CATEGORY, message)


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
