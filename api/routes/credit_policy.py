"""The merchant's credit policy: new buyers' limits, how limits learn, review and caps."""

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api.deps import CurrentMerchant, SessionDep
from api.errors import ApiError
from api.policies import policy_from_request, policy_in_force, policy_out
from api.schemas import CreditPolicyIn, CreditPolicyOut
from payinvoice.contracts import to_document
from payinvoice.db.models import CreditPolicyVersion

router = APIRouter(prefix="/v1/settings/credit-policy", tags=["settings"])


@router.get("", response_model=CreditPolicyOut)
async def get_credit_policy(session: SessionDep, merchant: CurrentMerchant) -> CreditPolicyOut:
    """The policy in force; version 0 is the documented default."""
    return policy_out(await policy_in_force(session, merchant))


@router.put("", response_model=CreditPolicyOut)
async def put_credit_policy(
    body: CreditPolicyIn, session: SessionDep, merchant: CurrentMerchant
) -> CreditPolicyOut:
    """Save a new version; decisions already made keep the version they were made under."""
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
        raise ApiError(409, "conflict", "the policy changed meanwhile; read it and try again") from None
    return policy_out(policy)
