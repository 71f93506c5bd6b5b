"""Stripe events into invoices: verify the signature, find the invoice, apply through the one
payment path (services/payments.py) and remember the event, so that a redelivery applies nothing.

Every refusal after the signature is answered 200 and recorded with its reason: Stripe retries
any other answer for days, and an event that does not fit an invoice will not fit it tomorrow.
"""

from collections.abc import Awaitable
from dataclasses import dataclass, replace
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from payinvoice.contracts import InvoiceView, from_document
from payinvoice.contracts.schemas import RefundIn, StripeEventOut
from payinvoice.db.models import Invoice, Merchant, StripeEvent, StripeIntegration
from payinvoice.db.session import dialect_insert
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.money import from_minor
from payinvoice.stripe_events import INVOICE_ID_KEY, Movement, Skip, read_event
from services.corrections import apply_refund
from services.invoices import find_by_reference
from services.payments import apply_payment, payment_input

SIGNATURE_HEADER = "Stripe-Signature"
APPLIED = frozenset({"applied", "queued"})


def _invalid() -> Refusal:
    """One answer for every refusal, whatever failed (no secret, an unknown merchant, a bad or
    stale signature): the endpoint tells nobody which merchant ids exist."""
    return Refusal(ErrorType.INVALID_SIGNATURE, f"the {SIGNATURE_HEADER} header does not verify this event")


def verified_event(raw: bytes, header: str | None, secret: str | None) -> dict[str, Any]:
    """The event Stripe signed, checked with `stripe.Webhook.construct_event` (which refuses a
    timestamp older than its 300 s tolerance, so a captured event cannot be replayed later)."""
    try:
        event = stripe.Webhook.construct_event(raw, header, secret or "")
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        raise _invalid() from None
    except (ValueError, AttributeError, TypeError):  # signed, but not a JSON snapshot event
        raise Refusal(ErrorType.INVALID_PAYLOAD, "the event is not a Stripe event") from None
    found: dict[str, Any] = event.to_dict()
    event_id, kind = found.get("id"), found.get("type")
    usable = isinstance(event_id, str) and 0 < len(event_id) <= 255
    if not (usable and isinstance(kind, str) and len(kind) <= 100):
        raise Refusal(ErrorType.INVALID_PAYLOAD, "the event has no usable id or type")
    return found


@dataclass(frozen=True)
class Outcome:
    """What became of an event: "applied", "queued" (accepted durably, applied when a worker
    runs), "unmatched", "refused" or "ignored"."""

    outcome: str
    reason: str | None = None
    invoice_id: str | None = None

    @property
    def applied(self) -> bool:
        return self.outcome in APPLIED


async def _invoice(
    session: AsyncSession, merchant: Merchant, movement: Movement
) -> tuple[InvoiceView | None, str]:
    """The merchant's invoice the event names, or None and why. An invoice id given in the
    metadata is authoritative: when it is not the merchant's, no reference is tried. A refund
    also finds the invoice its payment intent was applied to."""
    if movement.invoice_id is None and movement.kind == "refund":
        paid = await session.scalar(
            select(StripeEvent.invoice_id).where(
                StripeEvent.merchant_id == merchant.id, StripeEvent.payment_id == movement.payment_id,
                StripeEvent.outcome.in_(APPLIED),
            ).limit(1)
        )
        movement = replace(movement, invoice_id=paid) if paid else movement
    if movement.invoice_id is not None:
        row = await session.get(Invoice, movement.invoice_id[:36])
        if row is None or row.merchant_id != merchant.id or row.id != movement.invoice_id:
            return None, f"metadata.{INVOICE_ID_KEY} names no invoice of this merchant"
        return from_document(row.document), ""
    for reference in movement.references:
        view = await find_by_reference(session, merchant, reference)
        if view is not None:
            return view, ""
    if movement.references:
        return None, f"no invoice of this merchant has the reference {', '.join(movement.references)[:300]}"
    return None, (
        f"the event names no invoice: no metadata.{INVOICE_ID_KEY}, metadata.payinvoice_reference "
        "or RF reference"
    )


async def _pay(
    client: Client, session: AsyncSession, merchant: Merchant, view: InvoiceView, movement: Movement,
    accept_timeout: float,
) -> Outcome:
    async def pay() -> str:
        payment = payment_input(
            view, payment_id=movement.payment_id, amount=from_minor(movement.amount, movement.currency),
            currency=movement.currency, paid_at=movement.paid_at, method=movement.method,
        )
        applied = await apply_payment(client, session, merchant, view, payment, accept_timeout)
        return "applied" if applied.now else "queued"

    return await _guarded(pay(), view)


async def _guarded(step: Awaitable[object], view: InvoiceView, outcome: str | None = None) -> Outcome:
    """Run `step`; what any other caller would get as a 4xx is permanent: "refused", with why.
    `outcome` is what success means, else the step's own answer."""
    try:
        done = await step
    except Refusal as error:  # the workflow's refusals arrive as Refusal too (services.temporal)
        return Outcome("refused", f"{error.code}: {error.message}", view.invoice_id)
    return Outcome(outcome or str(done), None, view.invoice_id)


async def _refund(
    client: Client, session: AsyncSession, merchant: Merchant, view: InvoiceView, movement: Movement,
    event_id: str,
) -> Outcome:
    """Through the refunds endpoint's own path (`apply_refund`); the refund id is the event's, so
    the same refund event counts once there too."""
    if movement.currency != view.currency:
        reason = f"currency_mismatch: refund in {movement.currency}, invoice in {view.currency}"
        return Outcome("refused", reason, view.invoice_id)
    body = RefundIn(
        payment_id=movement.payment_id, amount=from_minor(movement.amount, movement.currency),
        refund_id=f"stripe:{event_id}", reason="Stripe charge.refunded",
    )
    return await _guarded(apply_refund(client, session, merchant, view.invoice_id, body), view, "applied")


async def handle_event(
    client: Client, session: AsyncSession, merchant: Merchant, event: dict[str, Any], accept_timeout: float
) -> Outcome:
    """Apply a verified event once it is known to be new; raises only for what a retry may cure
    (the invoice engine unreachable), so that Stripe delivers the event again."""
    movement = read_event(event)
    if isinstance(movement, Skip):
        return Outcome(movement.outcome, movement.reason)
    view, why = await _invoice(session, merchant, movement)
    if view is None:
        return Outcome("unmatched", why)
    if movement.kind == "refund":
        return await _refund(client, session, merchant, view, movement, event["id"])
    return await _pay(client, session, merchant, view, movement, accept_timeout)


async def record_event(
    session: AsyncSession, merchant: Merchant, event: dict[str, Any], outcome: Outcome
) -> None:
    """Remember the event and its outcome (a concurrent delivery that got here first wins)."""
    movement = read_event(event)
    money = movement if isinstance(movement, Movement) else None
    await session.execute(
        dialect_insert(session, StripeEvent)
        .values(
            merchant_id=merchant.id, event_id=event["id"], type=event["type"],
            outcome=outcome.outcome, reason=outcome.reason[:500] if outcome.reason else None,
            invoice_id=outcome.invoice_id, payment_id=money.payment_id[:255] if money else None,
            amount=money.amount if money else None, currency=money.currency if money else None,
        )
        .on_conflict_do_nothing()
    )
    await session.commit()


async def receive_event(
    client: Client, session: AsyncSession, merchant_id: str, raw: bytes, signature: str | None,
    accept_timeout: float,
) -> StripeEventOut:
    """An event Stripe posted to the merchant's URL: the signature over the raw body is the only
    authentication. A redelivered event answers what became of it the first time."""
    integration = await session.get(StripeIntegration, merchant_id)
    event = verified_event(raw, signature, integration.webhook_secret if integration else None)
    merchant = await session.get(Merchant, merchant_id)
    assert merchant is not None  # the integration row's foreign key
    seen = await session.get(StripeEvent, (merchant.id, event["id"]))
    if seen is not None:
        return StripeEventOut(
            event_id=seen.event_id, type=seen.type, duplicate=True, applied=seen.outcome in APPLIED,
            outcome=seen.outcome, reason=seen.reason, invoice_id=seen.invoice_id,
        )
    outcome = await handle_event(client, session, merchant, event, accept_timeout)
    await record_event(session, merchant, event, outcome)
    return StripeEventOut(
        event_id=event["id"], type=event["type"], duplicate=False, applied=outcome.applied,
        outcome=outcome.outcome, reason=outcome.reason, invoice_id=outcome.invoice_id,
    )
