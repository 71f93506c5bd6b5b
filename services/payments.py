"""Payments as the API applies them: one path for the merchant's payment call, processor
settlements and bank statements, so every source is validated and deduplicated alike."""

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from payinvoice.contracts import InvoiceView, RecordPaymentInput
from payinvoice.contracts.schemas import PaymentIn, SettlementIn
from payinvoice.db.models import Merchant, ProcessorSettlement
from payinvoice.db.session import dialect_insert
from payinvoice.domain.errors import ErrorType, Refusal, not_found
from payinvoice.domain.money import exponent, to_minor
from payinvoice.domain.status import FINAL
from payinvoice.rules import (
    check_payable,
    check_payment_request,
    check_reported_payment_id,
    payment_recorded,
    refuse,
    reported_paid_at,
)
from services.invoices import find_by_reference, live_invoice, stored_invoice
from services.temporal import payment_result, report_payment, start_payment


def payment_input(
    view: InvoiceView, *, payment_id: str, amount: Decimal | str, currency: str,
    paid_at: datetime | None, method: str, reported: bool = True,
) -> RecordPaymentInput:
    """Validate a payment against its invoice; bad input is refused before anything runs.
    `reported`: a merchant or a processor told us (not a bank statement): its id may not be one of
    payinvoice's own, and the early-payment discount goes by when we heard of it, if later."""
    exponent(currency)
    if paid_at is not None and paid_at.tzinfo is None:
        raise Refusal(ErrorType.INVALID_REQUEST, "paid_at must carry a timezone")
    if reported and not payment_recorded(view, payment_id):  # one recorded is answered as it stands
        check_reported_payment_id(payment_id)
    now = datetime.now(UTC)
    payment = RecordPaymentInput(
        payment_id=payment_id, amount=to_minor(amount, currency, "amount"), currency=currency,
        paid_at=reported_paid_at(view, paid_at.astimezone(UTC), now) if paid_at else None, method=method,
        received_at=now if reported else None,
    )
    check_payment_request(view, payment)
    return payment


@dataclass(frozen=True)
class Applied:
    """The invoice after the payment; `now` is False when no worker took it in time and it was
    accepted durably instead (the invoice as it stands; the payment follows when a worker runs)."""

    view: InvoiceView
    now: bool = True


async def apply_payment(
    client: Client, session: AsyncSession, merchant: Merchant, view: InvoiceView,
    payment: RecordPaymentInput, accept_timeout: float = 5.0,
) -> Applied:
    """Hand the payment to the invoice's workflow. The update id is the payment id, so a payment
    delivered twice at once is applied once; the same payment on a finished invoice answers the
    invoice as it stands. If no worker accepts the update within `accept_timeout` seconds, the
    payment goes as a signal, which Temporal keeps durably until a worker applies it (the
    workflow ignores whichever of the two comes second)."""
    if payment_recorded(view, payment.payment_id):
        # Reported again: the invoice as it stands now. (Temporal answers an update id it has
        # seen with that update's first result: the invoice as it was then, perhaps long ago.)
        return Applied(await live_invoice(client, view))
    if view.status not in FINAL:
        try:
            update = await start_payment(client, payment, view.invoice_id, accept_timeout)
            # Accepted means recorded in the history, so durable. A worker that dies before the
            # handler finishes leaves it waiting for its activities to time out (a minute): the
            # answer does not wait that long, it is the 202 of a payment accepted durably.
            try:
                return Applied(await asyncio.wait_for(payment_result(update), accept_timeout))
            except TimeoutError:
                return Applied(view, now=False)
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            await report_payment(client, view.invoice_id, payment)
            return Applied(view, now=False)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            view = await stored_invoice(session, merchant, view.invoice_id)  # it just finished
    if any(p.payment_id == payment.payment_id for p in view.payments):
        return Applied(view)
    refuse(check_payable, view)  # final


async def record_payment(
    client: Client, session: AsyncSession, merchant: Merchant, invoice_id: str, body: PaymentIn,
    accept_timeout: float,
) -> Applied:
    """A settlement a payment processor reports; the same payment_id twice counts once."""
    view = await stored_invoice(session, merchant, invoice_id)
    payment = payment_input(
        view, payment_id=body.payment_id, amount=body.amount, currency=body.currency,
        paid_at=body.paid_at, method=body.method,
    )
    await session.close()  # a burst of payments must not hold the pool while workers answer
    return await apply_payment(client, session, merchant, view, payment, accept_timeout)


@dataclass(frozen=True)
class Settled:
    """A processor's settlement: `duplicate` when its id was reported before (nothing changed)."""

    applied: Applied
    duplicate: bool


async def report_settlement(
    client: Client, session: AsyncSession, merchant: Merchant, body: SettlementIn, accept_timeout: float
) -> Settled:
    """Apply a settlement a processor reported, once: the same settlement_id again answers the
    invoice as it stands; with another body it is refused. The settlement id is the payment id:
    the same money reported again, here or through the payments endpoint, is applied once.

    The id is claimed before anything is applied (`_claim`: insert, then read back), so of two
    bodies under one id arriving at once exactly one is applied and the other is a 409, and the
    same body twice at once is one payment (the second finds the claim and hands the workflow the
    same payment id, which it applies once). A claim says "this id means this body", not "this
    was applied": a replay with the same body therefore drives the payment again, which is a no-op
    when it was applied and completes it when the first attempt died between claim and apply. A
    settlement refused (by the use case or by the workflow) gives its claim back, so a corrected
    body under the same id is applied rather than swallowed as a conflict."""
    body_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    view = await _settled_invoice(session, merchant, body)  # an unknown invoice claims nothing
    claimed = await _claim(session, merchant, body.settlement_id, body_hash, view.invoice_id)
    if claimed.invoice_id != view.invoice_id:  # replayed after its reference moved: the claim's
        view = await stored_invoice(session, merchant, claimed.invoice_id)
    if payment_recorded(view, body.settlement_id):
        return Settled(Applied(await live_invoice(client, view)), duplicate=True)
    try:
        payment = payment_input(
            view, payment_id=body.settlement_id, amount=body.amount, currency=body.currency,
            paid_at=body.paid_at, method=body.method,
        )
        await session.close()  # a processor's burst must not hold the pool while workers answer
        applied = await apply_payment(client, session, merchant, view, payment, accept_timeout)
    except (Refusal, WorkflowUpdateFailedError):
        await _release(session, merchant, body.settlement_id, body_hash)
        raise
    return Settled(applied, duplicate=not claimed.new)


@dataclass(frozen=True)
class _Claim:
    invoice_id: str
    new: bool  # this request inserted it


async def _claim(
    session: AsyncSession, merchant: Merchant, settlement_id: str, body_hash: str, invoice_id: str
) -> _Claim:
    """Insert the settlement's row (or find the one there) and commit at once: another body under
    the same id is refused, whichever request inserted first."""
    inserted = await session.execute(
        dialect_insert(session, ProcessorSettlement)
        .values(
            merchant_id=merchant.id, settlement_id=settlement_id, invoice_id=invoice_id, body_hash=body_hash
        )
        .on_conflict_do_nothing()
        .returning(ProcessorSettlement.settlement_id)
    )
    new = inserted.first() is not None
    await session.commit()  # short: a concurrent insert of the same id waits for this commit only
    if new:
        return _Claim(invoice_id, new=True)
    seen = (
        await session.execute(
            select(ProcessorSettlement.body_hash, ProcessorSettlement.invoice_id).where(
                ProcessorSettlement.merchant_id == merchant.id,
                ProcessorSettlement.settlement_id == settlement_id,
            )
        )
    ).first()
    if seen is None:  # claimed and given back (refused) between our insert and this read
        return await _claim(session, merchant, settlement_id, body_hash, invoice_id)
    if seen.body_hash != body_hash:
        raise Refusal(ErrorType.SETTLEMENT_CONFLICT, "this settlement_id was reported with another body")
    return _Claim(seen.invoice_id, new=False)


async def _release(session: AsyncSession, merchant: Merchant, settlement_id: str, body_hash: str) -> None:
    """Give back the claim of a refused settlement (its payment was not recorded)."""
    await session.rollback()
    await session.execute(
        delete(ProcessorSettlement).where(
            ProcessorSettlement.merchant_id == merchant.id,
            ProcessorSettlement.settlement_id == settlement_id,
            ProcessorSettlement.body_hash == body_hash,
        )
    )
    await session.commit()


async def _settled_invoice(session: AsyncSession, merchant: Merchant, body: SettlementIn) -> InvoiceView:
    if body.invoice_id is not None:
        return await stored_invoice(session, merchant, body.invoice_id)
    assert body.payment_reference is not None
    view = await find_by_reference(session, merchant, body.payment_reference)
    if view is None:
        raise not_found(ErrorType.INVOICE_NOT_FOUND)
    return view
