"""The merchant's reminder ladder: which reminders go out when, and what they say."""

from fastapi import APIRouter

from api.deps import CurrentMerchant, SessionDep
from payinvoice.contracts.schemas import DunningLadderIO, DunningLadderOut
from services import dunning

router = APIRouter(prefix="/v1/settings/dunning", tags=["settings"])


@router.get("", response_model=DunningLadderOut)
async def get_dunning(session: SessionDep, merchant: CurrentMerchant) -> DunningLadderOut:
    """The ladder in force; version 0 is the default ladder."""
    return await dunning.get_dunning_ladder(session, merchant)


@router.put("", response_model=DunningLadderOut)
async def put_dunning(
    body: DunningLadderIO, session: SessionDep, merchant: CurrentMerchant
) -> DunningLadderOut:
    """Save a new version; invoices already issued keep the ladder they were issued with."""
    return await dunning.set_dunning_ladder(session, merchant, body)
