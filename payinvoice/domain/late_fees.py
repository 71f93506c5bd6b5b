"""The amount of a reminder stage's late fee (`schedule.LateFee`), given what the invoice owes.

A fixed fee is charged as is. A percent fee is that percentage of the amount due, rounded half-up
once; its optional `cap` limits the total of late fees on the invoice, so a stage charges at most
what is left under the cap, and never a negative amount.
"""

from decimal import Decimal, localcontext

from payinvoice.domain.lines import half_up
from payinvoice.domain.money import EXACT_PRECISION
from payinvoice.domain.schedule import LateFee


def late_fee_amount(fee: LateFee, amount_due: int, late_fees_so_far: int) -> int:
    """The fee this stage adds, in minor units of `fee.currency`.

    `amount_due` is what the invoice owes when the stage is reached (a percent fee of nothing
    due, or of a credit balance, is 0); `late_fees_so_far` is the total of late fees already
    charged on the invoice, which a percent fee's `cap` counts against.
    """
    if fee.fixed is not None:
        return fee.fixed
    if fee.percent is None:
        raise ValueError("a late fee is either fixed or a percent")
    if amount_due <= 0:
        return 0
    with localcontext(prec=EXACT_PRECISION):  # exact product: the only rounding is half_up
        amount = half_up(Decimal(fee.percent) * amount_due / 100)
    if fee.cap is None:
        return amount
    return max(0, min(amount, fee.cap - late_fees_so_far))
