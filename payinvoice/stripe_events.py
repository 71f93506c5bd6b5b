"""Stripe events as payinvoice reads them, pure: which events carry money for an invoice, how
much (Stripe's minor units turned into the currency's ISO 4217 ones), and how they name the
invoice. No I/O; `api/stripe_events.py` verifies, matches, applies and records.

- `payment_intent.succeeded`: a payment of `amount_received`, its id the payment intent's.
- `customer_cash_balance_transaction.created` of type `funded`: a bank transfer into the
  customer's cash balance, its id the transaction's.
- `charge.refunded`: a refund of what this event refunded, its payment the charge's payment
  intent.
Anything else is skipped with a reason.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from payinvoice.domain.money import MoneyError, exponent

PAYMENT_SUCCEEDED = "payment_intent.succeeded"
CASH_BALANCE_FUNDED = "customer_cash_balance_transaction.created"
CHARGE_REFUNDED = "charge.refunded"
HANDLED_TYPES = (PAYMENT_SUCCEEDED, CASH_BALANCE_FUNDED, CHARGE_REFUNDED)

INVOICE_ID_KEY = "payinvoice_invoice_id"
REFERENCE_KEY = "payinvoice_reference"

# Stripe writes a few currencies with more minor units than ISO 4217 gives them: ISK amounts
# are "two-decimal" in its API (5 ISK is 500). Stripe units per ISO minor unit.
_STRIPE_SCALE = {"ISK": 100}

# An RF creditor reference written as one token in free text (checked afterwards).
_RF_TOKEN = re.compile(r"\bRF[0-9]{2}[0-9A-Z]{1,21}\b", re.IGNORECASE)


@dataclass(frozen=True)
class Skip:
    """An event that moves no money we apply, and why: `outcome` "ignored" (not money for an
    invoice) or "refused" (money we cannot take: an unsupported currency, a broken amount)."""

    reason: str
    outcome: str = "ignored"


@dataclass(frozen=True)
class Movement:
    """Money an event moves for one invoice. `amount` is in ISO minor units of `currency`
    (upper case). The invoice is named by `invoice_id` (authoritative when given), else by the
    first of `references` that is one of the merchant's."""

    kind: str  # "payment" or "refund"
    payment_id: str
    amount: int
    currency: str
    paid_at: datetime | None
    method: str
    invoice_id: str | None
    references: tuple[str, ...]


def _object(event: Mapping[str, Any]) -> Mapping[str, Any]:
    data = event.get("data")
    found = data.get("object") if isinstance(data, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**33:
        return datetime.fromtimestamp(value, UTC)
    return None


def iso_minor(stripe_amount: Any, stripe_currency: Any) -> tuple[int, str] | Skip:
    """Stripe's (amount in its minor units, lower-case currency) as (ISO minor units, ISO code)."""
    if not isinstance(stripe_currency, str):
        return Skip("the event has no currency", "refused")
    currency = stripe_currency.upper()
    try:
        exponent(currency)
    except MoneyError as error:
        return Skip(error.message, "refused")
    if not isinstance(stripe_amount, int) or isinstance(stripe_amount, bool) or stripe_amount <= 0:
        return Skip("the event has no positive amount", "refused")
    scale = _STRIPE_SCALE.get(currency, 1)
    if stripe_amount % scale:
        return Skip(f"{stripe_amount} is not a whole amount of {currency} minor units", "refused")
    return stripe_amount // scale, currency


def rf_references(*texts: str | None) -> tuple[str, ...]:
    """The RF-shaped tokens of free text, upper case, in order."""
    return tuple(m.group(0).upper() for text in texts if text for m in _RF_TOKEN.finditer(text))


def _names(obj: Mapping[str, Any], *free_text: str | None) -> tuple[str | None, tuple[str, ...]]:
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    explicit = _text(metadata.get(REFERENCE_KEY))
    return _text(metadata.get(INVOICE_ID_KEY)), ((explicit,) if explicit else ()) + rf_references(*free_text)


def _method(payment_intent: Mapping[str, Any]) -> str:
    types = payment_intent.get("payment_method_types")
    if isinstance(types, list) and len(types) == 1 and isinstance(types[0], str) and types[0]:
        return types[0][:50]
    return "card"


def _payment_succeeded(event: Mapping[str, Any], obj: Mapping[str, Any]) -> Movement | Skip:
    if obj.get("payment_method_types") == ["customer_balance"]:
        # Paid from the cash balance: that money was counted when a bank transfer funded it.
        return Skip("paid from the customer's cash balance, counted when the bank transfer funded it")
    money = iso_minor(obj.get("amount_received"), obj.get("currency"))
    payment_id = _text(obj.get("id"))
    if isinstance(money, Skip) or payment_id is None:
        return money if isinstance(money, Skip) else Skip("the payment intent has no id", "refused")
    invoice_id, references = _names(obj, _text(obj.get("description")))
    paid_at = _instant(event.get("created")) or _instant(obj.get("created"))
    return Movement("payment", payment_id, *money, paid_at, _method(obj), invoice_id, references)


def _cash_balance_funded(event: Mapping[str, Any], obj: Mapping[str, Any]) -> Movement | Skip:
    if obj.get("type") != "funded":
        return Skip("ignored")
    funded = obj.get("funded")
    transfer = funded.get("bank_transfer") if isinstance(funded, Mapping) else None
    reference = _text(transfer.get("reference")) if isinstance(transfer, Mapping) else None
    money = iso_minor(obj.get("net_amount"), obj.get("currency"))
    payment_id = _text(obj.get("id"))
    if isinstance(money, Skip) or payment_id is None:
        return money if isinstance(money, Skip) else Skip("the transaction has no id", "refused")
    invoice_id, references = _names(obj, reference)
    paid_at = _instant(obj.get("created")) or _instant(event.get("created"))
    return Movement("payment", payment_id, *money, paid_at, "bank_transfer", invoice_id, references)


def _charge_refunded(event: Mapping[str, Any], obj: Mapping[str, Any]) -> Movement | Skip:
    refunded = obj.get("amount_refunded")
    data = event.get("data")
    previous = data.get("previous_attributes") if isinstance(data, Mapping) else None
    before = previous.get("amount_refunded") if isinstance(previous, Mapping) else 0
    if isinstance(refunded, int) and isinstance(before, int):
        refunded -= before  # this event's refund: amount_refunded is the charge's running total
    money = iso_minor(refunded, obj.get("currency"))
    payment_id = _text(obj.get("payment_intent"))
    if isinstance(money, Skip) or payment_id is None:
        return money if isinstance(money, Skip) else Skip("the charge has no payment intent", "refused")
    invoice_id, references = _names(obj, _text(obj.get("description")))
    paid_at = _instant(event.get("created"))
    return Movement("refund", payment_id, *money, paid_at, "card", invoice_id, references)


def read_event(event: Mapping[str, Any]) -> Movement | Skip:
    """What a (verified) Stripe event means for an invoice."""
    kind = event.get("type")
    obj = _object(event)
    if kind == PAYMENT_SUCCEEDED:
        return _payment_succeeded(event, obj)
    if kind == CASH_BALANCE_FUNDED:
        return _cash_balance_funded(event, obj)
    if kind == CHARGE_REFUNDED:
        return _charge_refunded(event, obj)
    return Skip("ignored")
