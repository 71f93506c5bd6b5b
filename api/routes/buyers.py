"""Buyers, their credit lines and payment records."""

import re
import uuid

from fastapi import APIRouter, status
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentMerchant, SessionDep
from api.errors import ApiError, not_found
from api.policies import policy_in_force
from api.schemas import (
    BuyerCreate,
    BuyerOut,
    BuyerUpdate,
    Credit,
    CreditEventOut,
    CreditHistory,
    PaymentRecordOut,
)
from payinvoice.db.models import Buyer, CreditEvent, Invoice, Merchant, Settlement
from payinvoice.domain.money import MoneyError, exponent, from_minor, to_minor
from payinvoice.domain.policy import CreditPolicy, limit_from_history
from payinvoice.domain.status import BuyerStatus, InvoiceStatus

router = APIRouter(prefix="/v1/buyers", tags=["buyers"])

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
MANUAL, POLICY = "manual", "policy"


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ApiError(422, "invalid_email", f"{value!r} is not an email address")
    return value


def _credit_limit(value: str, currency: str) -> int:
    limit = to_minor(value, currency, "credit_limit")
    if limit < 0:
        raise MoneyError("invalid_amount", "credit_limit must not be negative")
    return limit


def _policy_for(buyer_currency: str, policy: CreditPolicy) -> CreditPolicy:
    if policy.currency != buyer_currency:
        raise ApiError(
            422, "credit_limit_required",
            f"the credit policy is in {policy.currency}: give buyers in {buyer_currency} a credit_limit",
        )
    return policy


async def buyer_out(session: AsyncSession, buyer: Buyer) -> BuyerOut:
    def money(minor: int) -> str:
        return from_minor(minor, buyer.currency)

    overdue = await session.scalar(
        select(func.coalesce(func.sum(Invoice.amount_due), 0)).where(
            Invoice.buyer_id == buyer.id,
            Invoice.status.in_([InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE]),
        )
    )
    record = buyer.payment_record()
    return BuyerOut(
        id=buyer.id, external_id=buyer.external_id, name=buyer.name, email=buyer.email,
        currency=buyer.currency, credit_limit=money(buyer.credit_limit), limit_source=buyer.limit_source,
        review_all=buyer.review_all, payment_terms_days=buyer.payment_terms_days, status=buyer.status,
        credit=Credit(
            limit=money(buyer.credit_limit), exposure=money(buyer.exposure),
            available=money(max(buyer.credit_limit - buyer.exposure, 0)), status=buyer.status,
        ),
        payment_record=PaymentRecordOut(
            invoices_paid=record.invoices_paid, paid_on_time=record.paid_on_time,
            on_time_streak=record.on_time_streak, average_days_late=record.average_days_late,
            worst_days_late=record.worst_days_late, overdue_amount=money(int(overdue or 0)),
        ),
        created_at=buyer.created_at,
    )


async def get_own_buyer(session: AsyncSession, merchant: Merchant, buyer_id: str) -> Buyer:
    """The merchant's buyer; another merchant's buyer is reported missing, not forbidden."""
    buyer = await session.get(Buyer, buyer_id)
    if buyer is None or buyer.merchant_id != merchant.id:
        raise not_found("buyer")
    return buyer


def _limit_event(buyer: Buyer, new_limit: int, kind: str, reason: str) -> CreditEvent:
    return CreditEvent(
        key=f"{kind}:{uuid.uuid4()}", buyer_id=buyer.id, kind=kind, reason=reason,
        old_limit=buyer.credit_limit if kind == "limit_changed" else None, new_limit=new_limit,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BuyerOut)
async def create_buyer(body: BuyerCreate, session: SessionDep, merchant: CurrentMerchant) -> BuyerOut:
    exponent(body.currency)
    buyer = Buyer(
        id=str(uuid.uuid4()), merchant_id=merchant.id, external_id=body.external_id,
        name=body.name, email=_email(body.email), currency=body.currency, exposure=0,
        payment_terms_days=body.payment_terms_days, status=BuyerStatus.ACTIVE,
        review_all=body.review_all,
    )
    if body.credit_limit is not None:
        buyer.credit_limit, buyer.limit_source = _credit_limit(body.credit_limit, body.currency), MANUAL
        reason = "set by the merchant"
    else:
        policy = _policy_for(body.currency, await policy_in_force(session, merchant))
        buyer.credit_limit = min(policy.new_buyer_limit, policy.max_limit)
        buyer.limit_source, reason = POLICY, f"new buyer limit of credit policy v{policy.version}"
    existing = await session.scalar(
        select(Buyer.id).where(Buyer.merchant_id == merchant.id, Buyer.external_id == body.external_id)
    )
    if existing is None:
        session.add(buyer)
        await session.flush()
        session.add(_limit_event(buyer, buyer.credit_limit, "limit_set", reason))
        try:
            await session.commit()
            return await buyer_out(session, buyer)
        except IntegrityError:
            await session.rollback()  # a concurrent create of the same external_id won
    raise ApiError(409, "buyer_exists", f"a buyer with external_id {body.external_id!r} exists")


@router.get("/{buyer_id}", response_model=BuyerOut)
async def get_buyer(buyer_id: str, session: SessionDep, merchant: CurrentMerchant) -> BuyerOut:
    return await buyer_out(session, await get_own_buyer(session, merchant, buyer_id))


@router.patch("/{buyer_id}", response_model=BuyerOut)
async def update_buyer(
    buyer_id: str, body: BuyerUpdate, session: SessionDep, merchant: CurrentMerchant
) -> BuyerOut:
    buyer = await get_own_buyer(session, merchant, buyer_id)
    # Only columns the merchant owns are written: exposure is the credit activities' alone.
    if body.credit_limit is not None and body.limit_source == POLICY:
        raise ApiError(422, "invalid_request", "give either credit_limit or limit_source 'policy'")
    new_limit: tuple[int, str] | None = None
    if body.credit_limit is not None:
        buyer.limit_source = MANUAL
        new_limit = _credit_limit(body.credit_limit, buyer.currency), "set by the merchant"
    elif body.limit_source == POLICY and buyer.limit_source != POLICY:
        policy = _policy_for(buyer.currency, await policy_in_force(session, merchant))
        history = await session.scalars(
            select(Settlement.days_late)
            .where(Settlement.buyer_id == buyer.id)
            .order_by(Settlement.settled_at)
        )
        buyer.limit_source = POLICY
        learned = limit_from_history(policy, list(history))
        new_limit = learned.limit, f"back on credit policy v{policy.version}"
    elif body.limit_source == MANUAL:
        buyer.limit_source = MANUAL
    if new_limit is not None and new_limit[0] != buyer.credit_limit:
        session.add(_limit_event(buyer, new_limit[0], "limit_changed", new_limit[1]))
        buyer.credit_limit = new_limit[0]
    if body.email is not None:
        buyer.email = _email(body.email)
    if body.payment_terms_days is not None:
        buyer.payment_terms_days = body.payment_terms_days
    if body.review_all is not None:
        buyer.review_all = body.review_all
    if body.status is not None and body.status != buyer.status:
        buyer.status = body.status
        buyer.suspended_reason = "manual" if body.status == BuyerStatus.SUSPENDED else None
    await session.commit()
    await session.refresh(buyer)
    return await buyer_out(session, buyer)


@router.get("/{buyer_id}/credit/history", response_model=CreditHistory)
async def credit_history(buyer_id: str, session: SessionDep, merchant: CurrentMerchant) -> CreditHistory:
    """Every change to the buyer's credit line with its reason, newest first."""
    buyer = await get_own_buyer(session, merchant, buyer_id)
    events = await session.scalars(
        select(CreditEvent)
        .where(CreditEvent.buyer_id == buyer.id)
        .order_by(CreditEvent.created_at.desc(), CreditEvent.key.desc())
    )

    def money(minor: int | None) -> str | None:
        return None if minor is None else from_minor(minor, buyer.currency)

    return CreditHistory(
        data=[
            CreditEventOut(
                kind=e.kind, old_limit=money(e.old_limit), new_limit=money(e.new_limit), reason=e.reason,
                invoice_id=e.invoice_id, created_at=e.created_at,
            )
            for e in events
        ]
    )
