"""Buyers: their accounts, credit lines and payment records."""

import uuid
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts import to_document
from payinvoice.contracts.schemas import (
    BuyerCreate,
    BuyerOut,
    BuyerUpdate,
    CreditEventOut,
    CreditHistory,
    EarlyPaymentDiscountIO,
    ElectronicAddressIO,
    PostalAddressIO,
)
from payinvoice.db.models import Buyer, CreditEvent, Merchant, Settlement
from payinvoice.domain.discount import parse_discount
from payinvoice.domain.errors import ErrorType, Refusal, not_found
from payinvoice.domain.identifiers import checked_email, checked_iban
from payinvoice.domain.money import MoneyError, exponent, from_minor, to_minor
from payinvoice.domain.parties import (
    checked_address,
    checked_buyer_reference,
    checked_einvoice_format,
    checked_electronic_address,
    checked_vat_id,
)
from payinvoice.domain.policy import CreditPolicy, limit_from_history
from payinvoice.domain.status import BuyerStatus
from payinvoice.ladders import ladder_document, ladder_from_request
from payinvoice.views import buyer_out
from services.pages import decode_cursor, encode_cursor
from services.policies import policy_in_force

MANUAL, POLICY = "manual", "policy"


def discount_document(offer: EarlyPaymentDiscountIO | None, terms_days: int) -> dict[str, Any] | None:
    """The buyer's early-payment discount, checked against its terms (422 `invalid_discount`)."""
    if offer is None:
        return None
    return to_document(parse_discount(offer.percent, offer.days, terms_days))


def address_document(address: PostalAddressIO | None) -> dict[str, Any] | None:
    """The buyer's postal address (BG-8), checked by the core's rule (422 `invalid_address`)."""
    if address is None:
        return None
    return checked_address(**address.model_dump(), field="address").to_document()


def vat_id_of(value: str | None, address: dict[str, Any] | None) -> str | None:
    """The buyer's VAT id (BT-48), compact; a number without its prefix takes the address's."""
    return None if value is None else checked_vat_id(value, address["country"] if address else None)


def _reference(value: str | None) -> str | None:
    return None if value is None else checked_buyer_reference(value)


def electronic_address_document(address: ElectronicAddressIO | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return checked_electronic_address(address.scheme, address.value).to_document()


def _credit_limit(value: str, currency: str) -> int:
    limit = to_minor(value, currency, "credit_limit")
    if limit < 0:
        raise MoneyError(ErrorType.INVALID_AMOUNT, "credit_limit must not be negative")
    return limit


def _policy_for(buyer_currency: str, policy: CreditPolicy) -> CreditPolicy:
    if policy.currency != buyer_currency:
        raise Refusal(ErrorType.CREDIT_LIMIT_REQUIRED,
            f"the credit policy is in {policy.currency}: give buyers in {buyer_currency} a credit_limit",
        )
    return policy


async def get_own_buyer(session: AsyncSession, merchant: Merchant, buyer_id: str) -> Buyer:
    """The merchant's buyer; another merchant's buyer is reported missing, not forbidden."""
    buyer = await session.get(Buyer, buyer_id)
    if buyer is None or buyer.merchant_id != merchant.id:
        raise not_found(ErrorType.BUYER_NOT_FOUND)
    return buyer


def _limit_event(buyer: Buyer, new_limit: int, kind: str, reason: str) -> CreditEvent:
    return CreditEvent(
        key=f"{kind}:{uuid.uuid4()}", buyer_id=buyer.id, kind=kind, reason=reason,
        old_limit=buyer.credit_limit if kind == "limit_changed" else None, new_limit=new_limit,
    )


async def create_buyer(session: AsyncSession, merchant: Merchant, body: BuyerCreate) -> BuyerOut:
    exponent(body.currency)
    buyer = Buyer(
        id=str(uuid.uuid4()), merchant_id=merchant.id, external_id=body.external_id,
        name=body.name, email=checked_email(body.email), currency=body.currency, exposure=0,
        payment_terms_days=body.payment_terms_days, status=BuyerStatus.ACTIVE,
        review_all=body.review_all, iban=checked_iban(body.iban), locale=body.locale,
        early_payment_discount=discount_document(body.early_payment_discount, body.payment_terms_days),
        address=address_document(body.address),
        buyer_reference=_reference(body.buyer_reference),
        electronic_address=electronic_address_document(body.electronic_address),
        einvoice_format=checked_einvoice_format(body.einvoice_format).value,
    )
    buyer.vat_id = vat_id_of(body.vat_id, buyer.address)
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
    raise Refusal(ErrorType.BUYER_EXISTS, f"a buyer with external_id {body.external_id!r} exists")


async def get_buyer(session: AsyncSession, merchant: Merchant, buyer_id: str) -> BuyerOut:
    return await buyer_out(session, await get_own_buyer(session, merchant, buyer_id))


async def update_buyer(
    session: AsyncSession, merchant: Merchant, buyer_id: str, body: BuyerUpdate
) -> BuyerOut:
    buyer = await get_own_buyer(session, merchant, buyer_id)
    if "dunning_ladder" in body.model_fields_set:  # null hands the buyer back to the merchant's
        own = body.dunning_ladder
        # Fees of a buyer's own ladder are in the buyer's currency, that of its invoices.
        ladder = None if own is None else ladder_from_request(own, buyer.currency)
        buyer.dunning_ladder = None if ladder is None else ladder_document(ladder)
    # Only columns the merchant owns are written: exposure is the credit activities' alone.
    if body.credit_limit is not None and body.limit_source == POLICY:
        raise Refusal(ErrorType.INVALID_REQUEST, "give either credit_limit or limit_source 'policy'")
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
        buyer.email = checked_email(body.email)
    if "iban" in body.model_fields_set:  # null forgets it
        buyer.iban = checked_iban(body.iban)
    if body.payment_terms_days is not None:
        buyer.payment_terms_days = body.payment_terms_days
    if body.review_all is not None:
        buyer.review_all = body.review_all
    if body.locale is not None:
        buyer.locale = body.locale
    if "early_payment_discount" in body.model_fields_set:  # null removes it
        offer = body.early_payment_discount
        buyer.early_payment_discount = discount_document(offer, buyer.payment_terms_days)
    _update_party(buyer, body)
    if body.status is not None and body.status != buyer.status:
        buyer.status = body.status
        buyer.suspended_reason = "manual" if body.status == BuyerStatus.SUSPENDED else None
    await session.commit()
    await session.refresh(buyer)
    return await buyer_out(session, buyer)


def _update_party(buyer: Buyer, body: BuyerUpdate) -> None:
    """What the buyer's e-invoices state of it; each field given is set, null forgets it."""
    given = body.model_fields_set
    if "address" in given:
        buyer.address = address_document(body.address)
    if "vat_id" in given:  # checked against the address in force, the new one if it is given too
        buyer.vat_id = vat_id_of(body.vat_id, buyer.address)
    if "buyer_reference" in given:
        buyer.buyer_reference = _reference(body.buyer_reference)
    if "electronic_address" in given:
        buyer.electronic_address = electronic_address_document(body.electronic_address)
    if body.einvoice_format is not None:
        buyer.einvoice_format = checked_einvoice_format(body.einvoice_format).value


async def credit_history(
    session: AsyncSession, merchant: Merchant, buyer_id: str, *, limit: int, cursor: str | None
) -> CreditHistory:
    """Every change to the buyer's credit line with its reason, newest first, a page at a time."""
    buyer = await get_own_buyer(session, merchant, buyer_id)
    query = select(CreditEvent).where(CreditEvent.buyer_id == buyer.id)
    if cursor:
        created, last_key = decode_cursor(cursor)
        query = query.where(
            or_(
                CreditEvent.created_at < created,
                and_(CreditEvent.created_at == created, CreditEvent.key < last_key),
            )
        )
    events = list(
        await session.scalars(
            query.order_by(CreditEvent.created_at.desc(), CreditEvent.key.desc()).limit(limit + 1)
        )
    )
    more = len(events) > limit
    events = events[:limit]

    def money(minor: int | None) -> str | None:
        return None if minor is None else from_minor(minor, buyer.currency)

    return CreditHistory(
        data=[
            CreditEventOut(
                kind=e.kind, old_limit=money(e.old_limit), new_limit=money(e.new_limit), reason=e.reason,
                invoice_id=e.invoice_id, created_at=e.created_at,
            )
            for e in events
        ],
        next_cursor=encode_cursor(events[-1].created_at, events[-1].key) if more else None,
    )
