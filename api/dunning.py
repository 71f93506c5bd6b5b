"""Reminder ladders as the API sees them: the merchant's versions and a buyer's own ladder in the
database, decimal strings on the wire, and the ladder an invoice freezes at checkout."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.converter import value_to_type

from api.schemas import DunningLadderIO, DunningLadderOut, DunningStageIO, LateFeeIO
from payinvoice.contracts import to_document
from payinvoice.db.models import Buyer, DunningLadderVersion, Merchant
from payinvoice.domain.dunning import FeeSpec, StageSpec, parse_ladder
from payinvoice.domain.money import from_minor
from payinvoice.domain.schedule import DEFAULT_LADDER, LateFee, ReminderStage
from payinvoice.reminder_templates import check_ladder_templates

Ladder = tuple[ReminderStage, ...]


def ladder_from_request(body: DunningLadderIO, currency: str) -> Ladder:
    """Validate a ladder (rules, then templates rendered once against a sample invoice); a bad
    one raises LadderError, answered 422 `invalid_ladder` naming the stage."""
    specs = [
        StageSpec(
            name=stage.name, offset_days=stage.offset_days, subject=stage.subject, body=stage.body,
            late_fee=FeeSpec(**stage.late_fee.model_dump()) if stage.late_fee else None,
            suspend_credit=stage.suspend_credit, mark_uncollectible=stage.mark_uncollectible,
        )
        for stage in body.stages
    ]
    ladder = parse_ladder(specs, currency)
    check_ladder_templates(ladder)
    return ladder


def ladder_document(ladder: Sequence[ReminderStage]) -> dict[str, Any]:
    return to_document({"stages": list(ladder)})


def ladder_from_document(document: dict[str, Any]) -> Ladder:
    return tuple(value_to_type(list[ReminderStage], document["stages"]))


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


def _fee_io(fee: LateFee) -> LateFeeIO:
    money = lambda minor: None if minor is None else from_minor(minor, fee.currency)  # noqa: E731
    return LateFeeIO(fixed=money(fee.fixed), percent=fee.percent, cap=money(fee.cap))


def ladder_io(ladder: Sequence[ReminderStage]) -> DunningLadderIO:
    return DunningLadderIO(
        stages=[
            DunningStageIO(
                name=stage.name, offset_days=stage.offset_days, subject=stage.subject, body=stage.body,
                late_fee=_fee_io(stage.late_fee) if stage.late_fee else None,
                suspend_credit=stage.suspends_credit, mark_uncollectible=stage.marks_uncollectible,
            )
            for stage in ladder
        ]
    )


def ladder_out(version: int, ladder: Sequence[ReminderStage]) -> DunningLadderOut:
    return DunningLadderOut(version=version, stages=ladder_io(ladder).stages)


def buyer_ladder_io(buyer: Buyer) -> DunningLadderIO | None:
    if buyer.dunning_ladder is None:
        return None
    return ladder_io(ladder_from_document(buyer.dunning_ladder))
