"""Early-payment discount (Skonto): "2/10 net 30" is 2 % off when paid within 10 days of issue.

A window is counted in the invoice's own day length from the instant of issue. Payments inside
the window that reach the discounted amount settle the invoice in full; what they leave unpaid is
recorded as the discount taken.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.lines import half_up
from payinvoice.domain.money import EXACT_PRECISION, MoneyError, parse_decimal
from payinvoice.domain.schedule import day_length

MAX_PERCENT_PLACES = 4


@dataclass(frozen=True)
class EarlyPaymentDiscount:
    """A validated discount: `percent` as a canonical decimal string, `days` after issue."""

    percent: str
    days: int


class DiscountError(Refusal, ValueError):
    """A discount that cannot be accepted; the message names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorType.INVALID_DISCOUNT, message)


def parse_discount(percent: str, days: int, terms_days: int) -> EarlyPaymentDiscount:
    """Validate a discount for an invoice with `terms_days` of payment terms: 0 < percent < 100
    with at most 4 decimals, and a window of 1 <= days < terms_days."""
    try:
        rate = parse_decimal(percent, "early_payment_discount.percent")
    except MoneyError as error:
        raise DiscountError(error.message) from None
    if not Decimal(0) < rate < Decimal(100):
        raise DiscountError("early_payment_discount.percent must be greater than 0 and less than 100")
    if rate != rate.quantize(Decimal(1).scaleb(-MAX_PERCENT_PLACES)):
        raise DiscountError(f"early_payment_discount.percent has at most {MAX_PERCENT_PLACES} decimals")
    if isinstance(days, bool) or not isinstance(days, int):
        raise DiscountError("early_payment_discount.days must be a whole number of days")
    if not 1 <= days < terms_days:
        raise DiscountError(
            f"early_payment_discount.days must be at least 1 and less than the payment terms"
            f" ({terms_days} days), not {days}"
        )
    return EarlyPaymentDiscount(percent=format(rate.normalize(), "f"), days=days)


def discount_amount(amount: int, discount: EarlyPaymentDiscount) -> int:
    """`discount.percent` of `amount` (minor units), rounded half-up; 0 for nothing due."""
    if amount <= 0:
        return 0
    with localcontext(prec=EXACT_PRECISION):  # exact product: the only rounding is half_up
        return half_up(Decimal(discount.percent) * amount / 100)


def discount_deadline(issued_at: datetime, discount: EarlyPaymentDiscount, day_seconds: float) -> datetime:
    """The end of the window: a payment received at or before this instant is inside it."""
    return issued_at + discount.days * day_length(day_seconds)


def settles_with_discount(amount_due: int, paid_in_window: int, discount: EarlyPaymentDiscount) -> int | None:
    """The discount to record when the payments inside the window settle the invoice, else None.

    `amount_due` is what was due before those payments. They settle it when they reach the
    discounted amount (amount_due - discount_amount) without paying it in full; the discount
    recorded is what they leave unpaid, so it is always > 0. None when they fall short, and when
    they pay in full (no discount to record: the invoice is simply paid).
    """
    if amount_due <= 0 or paid_in_window >= amount_due:
        return None
    if paid_in_window < amount_due - discount_amount(amount_due, discount):
        return None
    return amount_due - paid_in_window
