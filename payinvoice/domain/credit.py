"""The credit rules: may this buyer take on this amount, and who decides?"""

from dataclasses import dataclass
from enum import StrEnum

from payinvoice.domain.status import BuyerStatus, DeclineReason


class Outcome(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    REVIEW = "review"


class Rule(StrEnum):
    """The rule that decided; shown with every decision."""

    BUYER_SUSPENDED = "buyer_suspended"
    CURRENCY_MISMATCH = "currency_mismatch"
    CREDIT_LIMIT = "credit_limit"
    MERCHANT_EXPOSURE_CAP = "merchant_exposure_cap"
    EXTERNAL_CHECK = "external_check"
    REVIEW_ALL = "review_all"
    AUTO_APPROVE_UP_TO = "auto_approve_up_to"
    WITHIN_LIMIT = "within_limit"
    MANUAL_REVIEW = "manual_review"
    REVIEW_DEADLINE = "review_deadline"


@dataclass(frozen=True)
class Assessment:
    outcome: Outcome
    rule: Rule
    reason: DeclineReason | None = None


def decline(
    *, buyer_status: str, buyer_currency: str, credit_limit: int, exposure: int, currency: str,
    amount: int, merchant_exposure: int = 0, max_total_exposure: int | None = None,
) -> Assessment | None:
    """Why the amount is declined, or None if it fits.

    The credit activity enforces the limits atomically in conditional UPDATEs; this function
    names the reason when those updates matched nothing.
    """
    if buyer_status != BuyerStatus.ACTIVE:
        return Assessment(Outcome.DECLINED, Rule.BUYER_SUSPENDED, DeclineReason.BUYER_SUSPENDED)
    if buyer_currency != currency:
        return Assessment(Outcome.DECLINED, Rule.CURRENCY_MISMATCH, DeclineReason.CURRENCY_MISMATCH)
    if exposure + amount > credit_limit:
        return Assessment(Outcome.DECLINED, Rule.CREDIT_LIMIT, DeclineReason.CREDIT_LIMIT_EXCEEDED)
    if max_total_exposure is not None and merchant_exposure + amount > max_total_exposure:
        return Assessment(
            Outcome.DECLINED, Rule.MERCHANT_EXPOSURE_CAP, DeclineReason.MERCHANT_EXPOSURE_CAP
        )
    return None


def approval(
    *, amount: int, review_all: bool, auto_approve_up_to: int | None, external_review: bool
) -> Assessment:
    """For an amount that fits the limits: approve at once, or reserve and wait for a person."""
    if external_review:
        return Assessment(Outcome.REVIEW, Rule.EXTERNAL_CHECK)
    if review_all:
        return Assessment(Outcome.REVIEW, Rule.REVIEW_ALL)
    if auto_approve_up_to is not None and amount > auto_approve_up_to:
        return Assessment(Outcome.REVIEW, Rule.AUTO_APPROVE_UP_TO)
    return Assessment(Outcome.APPROVED, Rule.WITHIN_LIMIT)


def decline_reason(
    *, buyer_status: str, buyer_currency: str, credit_limit: int, exposure: int,
    currency: str, amount: int,
) -> DeclineReason | None:
    """The buyer-level reason alone (kept for callers that need no merchant cap)."""
    found = decline(
        buyer_status=buyer_status, buyer_currency=buyer_currency, credit_limit=credit_limit,
        exposure=exposure, currency=currency, amount=amount,
    )
    return found.reason if found else None
