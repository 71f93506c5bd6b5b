"""Invoice statuses, decline reasons, and the basic status sets the others build on.

What each request may do in which status (void, refund, extend, ...) is payinvoice/rules.py.
"""

from enum import StrEnum


class InvoiceStatus(StrEnum):
    PENDING = "pending"
    PENDING_REVIEW = "pending_review"
    DECLINED = "declined"
    OPEN = "open"
    OVERDUE = "overdue"
    UNCOLLECTIBLE = "uncollectible"
    PAID = "paid"
    VOID = "void"


class DeclineReason(StrEnum):
    CREDIT_LIMIT_EXCEEDED = "credit_limit_exceeded"
    BUYER_SUSPENDED = "buyer_suspended"
    CURRENCY_MISMATCH = "currency_mismatch"
    MERCHANT_EXPOSURE_CAP = "merchant_exposure_cap"
    REVIEW_DECLINED = "review_declined"
    REVIEW_EXPIRED = "review_expired"
    EXTERNAL_CHECK_DECLINED = "external_check_declined"


class BuyerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


# Statuses in which a payment can still be applied.
PAYABLE = frozenset({InvoiceStatus.OPEN, InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE})
# Statuses whose amount due counts against the buyer's credit line.
EXPOSED = frozenset(
    {InvoiceStatus.PENDING, InvoiceStatus.PENDING_REVIEW, InvoiceStatus.OPEN, InvoiceStatus.OVERDUE}
)
# Statuses after which the workflow has nothing left to do.
FINAL = frozenset({InvoiceStatus.DECLINED, InvoiceStatus.PAID, InvoiceStatus.VOID})


def amount_due(total: int, amount_paid: int) -> int:
    return max(total - amount_paid, 0)


def overpaid_amount(total: int, amount_paid: int) -> int:
    return max(amount_paid - total, 0)
