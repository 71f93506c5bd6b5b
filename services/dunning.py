"""Reminder ladders: the merchant's versions (read and saved), a buyer's own, and the ladder an
invoice freezes at checkout."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts.schemas import DunningLadderIO, DunningLadderOut
from payinvoice.db.models import Buyer, DunningLadderVersion, Merchant
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.schedule import DEFAULT_LADDER
from payinvoice.ladders import Ladder, ladder_document, ladder_from_document, ladder_from_request, ladder_out


async def merchant_ladder(session: AsyncSession, merchant: Merchant) -> tuple[int, Ladder]:
    """The newest version the merchant saved, or the default ladder as version 0."""
    row = await session.scalar(
        select(DunningLadderVersion)
        .where(DunningLadderVersion.merchant_id == merchant.id)
        .order_by(DunningLadderVersion.version.desc())
        .limit(1)
    )
    if row is None:
        return 0, DEFAULT_LADDER
    return row.version, ladder_from_document(row.document)


async def ladder_in_force(session: AsyncSession, merchant: Merchant, buyer: Buyer) -> Ladder:
    """What a checkout for this buyer freezes: the buyer's own ladder, else the merchant's."""
    if buyer.dunning_ladder is not None:
        return ladder_from_document(buyer.dunning_ladder)
    return (await merchant_ladder(session, merchant))[1]


async def get_dunning_ladder(session: AsyncSession, merchant: Merchant) -> DunningLadderOut:
    """The ladder in force; version 0 is the default ladder."""
    return ladder_out(*await merchant_ladder(session, merchant))


async def set_dunning_ladder(
    session: AsyncSession, merchant: Merchant, body: DunningLadderIO
) -> DunningLadderOut:
    """Save a new version; invoices already issued keep the ladder they were issued with. Two
    saves racing for the same version: the second is refused (`conflict`)."""
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
        raise Refusal(ErrorType.CONFLICT, "the ladder changed meanwhile; read it and try again") from None
    return ladder_out(version, ladder)
