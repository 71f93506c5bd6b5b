"""The merchant's credit policy: new buyers' limits, how limits learn, review and caps."""

from fastapi import APIRouter

from api.deps import CurrentMerchant, SessionDep
from payinvoice.contracts.schemas import CreditPolicyIn, CreditPolicyOut
from services import policies

router = APIRouter(prefix="/v1/settings/credit-policy", tags=["settings"])


@router.get("", response_model=CreditPolicyOut)
async def get_credit_policy(session: SessionDep, merchant: CurrentMerchant) -> CreditPolicyOut:
    """The policy in force; version 0 is the documented default."""
    return await policies.get_credit_policy(session, merchant)


@router.put("", response_model=CreditPolicyOut)
async def put_credit_policy(
    body: CreditPolicyIn, session: SessionDep, merchant: CurrentMerchant
) -> CreditPolicyOut:
    """Save a new version; decisions already made keep the version they were made under."""
    return await policies.set_credit_policy(session, merchant, body)
