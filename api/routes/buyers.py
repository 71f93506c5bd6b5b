"""Buyers and their credit lines."""

import re
import uuid

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.deps import CurrentMerchant, SessionDep
from api.errors import ApiError, not_found
from api.schemas import BuyerCreate, BuyerOut, BuyerUpdate, Credit
from payinvoice.db.models import Buyer
from payinvoice.domain.money import MoneyError, exponent, from_minor, to_minor
from payinvoice.domain.status import BuyerStatus

router = APIRouter(prefix="/v1/buyers", tags=["buyers"])

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ApiError(422, "invalid_email", f"{value!r} is not an email address")
    return value


def _credit_limit(value: str, currency: str) -> int:
    limit = to_minor(value, currency, "credit_limit")
    if limit < 0:
        raise MoneyError("invalid_amount", "credit_limit must not be negative")
    return limit


def buyer_out(buyer: Buyer) -> BuyerOut:
    money = lambda minor: from_minor(minor, buyer.currency)  # noqa: E731
    return BuyerOut(
        id=buyer.id, external_id=buyer.external_id, name=buyer.name, email=buyer.email,
        currency=buyer.currency, credit_limit=money(buyer.credit_limit),
        payment_terms_days=buyer.payment_terms_days, status=buyer.status,
        credit=Credit(
            limit=money(buyer.credit_limit), exposure=money(buyer.exposure),
            available=money(max(buyer.credit_limit - buyer.exposure, 0)), status=buyer.status,
        ),
        created_at=buyer.created_at,
    )


async def get_own_buyer(session: SessionDep, merchant: CurrentMerchant, buyer_id: str) -> Buyer:
    """The merchant's buyer; another merchant's buyer is reported missing, not forbidden."""
    buyer = await session.get(Buyer, buyer_id)
    if buyer is None or buyer.merchant_id != merchant.id:
        raise not_found("buyer")
    return buyer


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BuyerOut)
async def create_buyer(body: BuyerCreate, session: SessionDep, merchant: CurrentMerchant) -> BuyerOut:
    exponent(body.currency)
    buyer = Buyer(
        id=str(uuid.uuid4()), merchant_id=merchant.id, external_id=body.external_id,
        name=body.name, email=_email(body.email), currency=body.currency,
        credit_limit=_credit_limit(body.credit_limit, body.currency), exposure=0,
        payment_terms_days=body.payment_terms_days, status=BuyerStatus.ACTIVE,
    )
    existing = await session.scalar(
        select(Buyer.id).where(Buyer.merchant_id == merchant.id, Buyer.external_id == body.external_id)
    )
    if existing is None:
        session.add(buyer)
        try:
            await session.commit()
            return buyer_out(buyer)
        except IntegrityError:
            await session.rollback()  # a concurrent create of the same external_id won
    raise ApiError(409, "buyer_exists", f"a buyer with external_id {body.external_id!r} exists")


@router.get("/{buyer_id}", response_model=BuyerOut)
async def get_buyer(buyer_id: str, session: SessionDep, merchant: CurrentMerchant) -> BuyerOut:
    return buyer_out(await get_own_buyer(session, merchant, buyer_id))


@router.patch("/{buyer_id}", response_model=BuyerOut)
async def update_buyer(
    buyer_id: str, body: BuyerUpdate, session: SessionDep, merchant: CurrentMerchant
) -> BuyerOut:
    buyer = await get_own_buyer(session, merchant, buyer_id)
    # Only columns the merchant owns are written: exposure is the credit activities' alone.
    if body.credit_limit is not None:
        buyer.credit_limit = _credit_limit(body.credit_limit, buyer.currency)
    if body.email is not None:
        buyer.email = _email(body.email)
    if body.payment_terms_days is not None:
        buyer.payment_terms_days = body.payment_terms_days
    if body.status is not None and body.status != buyer.status:
        buyer.status = body.status
        buyer.suspended_reason = "manual" if body.status == BuyerStatus.SUSPENDED else None
    await session.commit()
    await session.refresh(buyer)
    return buyer_out(buyer)

