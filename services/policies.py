"""Credit policies as the API sees them: versions in the database, decimal strings on the wire."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.converter import value_to_type

from payinvoice.contracts import to_document
from payinvoice.contracts.schemas import CreditPolicyIn, CreditPolicyOut, GrowthIO, ReductionIO
from payinvoice.db.models import CreditPolicyVersion, Merchant
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.money import exponent, from_minor, parse_decimal, to_minor
from payinvoice.domain.policy import CreditPolicy, Growth, Reduction, default_policy


async def policy_in_force(session: AsyncSession, merchant: Merchant) -> CreditPolicy:
    """The newest version the merchant saved, or the documented default (version 0)."""
    document = await session.scalar(
        select(CreditPolicyVersion.document)
        .where(CreditPolicyVersion.merchant_id == merchant.id)
        .order_by(CreditPolicyVersion.version.desc())
        .limit(1)
    )
    if document is None:
        return default_policy(merchant.currency)
    return value_to_type(CreditPolicy, document)


def _invalid(field: str, message: str) -> Refusal:
    return Refusal(ErrorType.INVALID_POLICY, f"{field} {message}")


def _amount(value: str | None, currency: str, field: str) -> int | None:
    if value is None:
        return None
    minor = to_minor(value, currency, field)
    if minor < 0:
        raise _invalid(field, "must not be negative")
    return minor


def policy_from_request(body: CreditPolicyIn, merchant: Merchant, version: int) -> CreditPolicy:
    """Validate a policy; a bad one is refused with 422 naming the field."""
    currency = body.currency or merchant.currency
    exponent(currency)
    new_buyer_limit = _amount(body.new_buyer_limit, currency, "new_buyer_limit")
    max_limit = _amount(body.max_limit, currency, "max_limit")
    assert new_buyer_limit is not None and max_limit is not None
    if new_buyer_limit > max_limit:
        raise _invalid("new_buyer_limit", "must not exceed max_limit")
    growth = reduction = None
    if body.growth is not None:
        step = _amount(body.growth.step, currency, "growth.step")
        cap = _amount(body.growth.cap, currency, "growth.cap")
        assert step is not None and cap is not None
        if step == 0:
            raise _invalid("growth.step", "must be greater than 0")
        growth = Growth(body.growth.after_on_time_payments, step, cap)
    if body.reduction is not None:
        factor = parse_decimal(body.reduction.factor, "reduction.factor")
        if not 0 <= factor <= 1:
            raise _invalid("reduction.factor", "must be between 0 and 1")
        reduction = Reduction(body.reduction.on_days_late_over, format(factor, "f"))
    return CreditPolicy(
        currency=currency, new_buyer_limit=new_buyer_limit, max_limit=max_limit,
        auto_approve_up_to=_amount(body.auto_approve_up_to, currency, "auto_approve_up_to"),
        max_total_exposure=_amount(body.max_total_exposure, currency, "max_total_exposure"),
        growth=growth, reduction=reduction,
        suspend_after_days_overdue=body.suspend_after_days_overdue,
        review_days=body.review_days, version=version,
    )


def policy_out(policy: CreditPolicy) -> CreditPolicyOut:
    def money(minor: int | None) -> str | None:
        return None if minor is None else from_minor(minor, policy.currency)

    return CreditPolicyOut(
        version=policy.version, currency=policy.currency,
        new_buyer_limit=from_minor(policy.new_buyer_limit, policy.currency),
        max_limit=from_minor(policy.max_limit, policy.currency),
        auto_approve_up_to=money(policy.auto_approve_up_to),
        max_total_exposure=money(policy.max_total_exposure),
        growth=GrowthIO(
            after_on_time_payments=policy.growth.after_on_time_payments,
            step=from_minor(policy.growth.step, policy.currency),
            cap=from_minor(policy.growth.cap, policy.currency),
        ) if policy.growth else None,
        reduction=ReductionIO(
            on_days_late_over=policy.reduction.on_days_late_over, factor=policy.reduction.factor
        ) if policy.reduction else None,
        suspend_after_days_overdue=policy.suspend_after_days_overdue,
        review_days=policy.review_days,
    )


async def get_credit_policy(session: AsyncSession, merchant: Merchant) -> CreditPolicyOut:
    """The policy in force; version 0 is the documented default."""
    return policy_out(await policy_in_force(session, merchant))


async def set_credit_policy(
    session: AsyncSession, merchant: Merchant, body: CreditPolicyIn
) -> CreditPolicyOut:
    """Save a new version; decisions already made keep the version they were made under. Two
    saves racing for the same version: the second is refused (`conflict`)."""
    latest = await session.scalar(
        select(func.max(CreditPolicyVersion.version)).where(CreditPolicyVersion.merchant_id == merchant.id)
    )
    policy = policy_from_request(body, merchant, version=(latest or 0) + 1)
    session.add(
        CreditPolicyVersion(merchant_id=merchant.id, version=policy.version, document=to_document(policy))
    )
    try:
        await session.commit()
    except IntegrityError:
        raise Refusal(ErrorType.CONFLICT, "the policy changed meanwhile; read it and try again") from None
    return policy_out(policy)
