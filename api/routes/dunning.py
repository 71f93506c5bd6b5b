"""The merchant's reminder ladder: which reminders go out when, and what they say."""

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api.deps import CurrentMerchant, SessionDep
from api.dunning import ladder_document, ladder_from_request, ladder_out, merchant_ladder
from api.errors import ApiError
from api.schemas import DunningLadderIO, DunningLadderOut
from payinvoice.db.models import DunningLadderVersion

router = APIRouter(prefix="/v1/settings/dunning", tags=["settings"])


@router.get("", response_model=DunningLadderOut)
async def get_dunning(session: SessionDep, merchant: CurrentMerchant) -> DunningLadderOut:
    """The ladder in force; version 0 is the default ladder."""
    return ladder_out(*await merchant_ladder(session, merchant))


@router.put("", response_model=DunningLadderOut)
async def put_dunning(
    body: DunningLadderIO, session: SessionDep, merchant: CurrentMerchant
) -> DunningLadderOut:
    """Save a new version; invoices already issued keep the ladder they were issued with."""
    ladder = ladder_from_request(body, merchant.currency)
    latest = await session.scalar(
        select(func.max(DunningLadderVersion.version)).where(DunningLadderVersion.merchant_id == merchant.id)
    )
    version = (latest or 0) + 1
    session.add(
        DunningLadderVersion(merchant_id=merchant.id, version=version, document=ladder_document(ladder))
    )
    try:
        await session.commit()
    except IntegrityError:
        raise ApiError(409, "conflict", "the ladder changed meanwhile; read it and try again") from None
    return ladder_out(version, ladder)
