"""The credit rule: may this buyer take on this amount?"""

from payinvoice.domain.status import BuyerStatus, DeclineReason


def decline_reason(
    *, buyer_status: str, buyer_currency: str, credit_limit: int, exposure: int,
    currency: str, amount: int,
) -> DeclineReason | None:
    """Why the amount is declined, or None if it fits.

    The credit activity enforces the same rule atomically in one conditional UPDATE; this
    function names the reason when that update matched nothing.
    """
    if buyer_status != BuyerStatus.ACTIVE:
        return DeclineReason.BUYER_SUSPENDED
    if buyer_currency != currency:
        return DeclineReason.CURRENCY_MISMATCH
    if exposure + amount > credit_limit:
        return DeclineReason.CREDIT_LIMIT_EXCEEDED
    return None
