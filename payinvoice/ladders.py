"""Reminder ladders on the wire (decimal strings) and as stored documents: a merchant's versions
and a buyer's own ladder read and write these; the database queries live in services/dunning.py."""

from collections.abc import Sequence
from typing import Any

from temporalio.converter import value_to_type

from payinvoice.contracts import to_document
from payinvoice.contracts.schemas import DunningLadderIO, DunningLadderOut, DunningStageIO, LateFeeIO
from payinvoice.db.models import Buyer
from payinvoice.domain.dunning import FeeSpec, StageSpec, parse_ladder
from payinvoice.domain.money import from_minor
from payinvoice.domain.schedule import LateFee, ReminderStage
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
