"""Reminder ladders as merchants write them: the rules a ladder must follow, and the tone each
reminder takes from its place on the ladder.

`parse_ladder` is the one definition of what a valid ladder is. It turns what the merchant sent
(`StageSpec`s, money as decimal strings) into the frozen `ReminderStage`s an invoice carries, or
raises `LadderError` naming the first offending stage.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.money import MoneyError, parse_decimal, to_minor
from payinvoice.domain.schedule import OVERDUE_STEP, SUSPENSION_STEP, LateFee, ReminderStage

# Stage names end up in headers (X-Reminder-Stage), Message-IDs, search attributes and timer
# summaries: short, lower-case identifiers only.
STAGE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
# Step keys the workflow uses for its own transitions on the same timeline.
RESERVED_NAMES = frozenset({OVERDUE_STEP, SUSPENSION_STEP})
MAX_STAGES = 20
MIN_OFFSET_DAYS, MAX_OFFSET_DAYS = -365, 3650
MAX_SUBJECT, MAX_BODY = 200, 5000
MAX_PERCENT_PLACES = 4
# Control characters other than newline and tab have no place in an email.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class LadderError(Refusal, ValueError):
    """A ladder that cannot be accepted; the message names the stage (`stages[2] "x": ...`)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorType.INVALID_LADDER, message)


@dataclass(frozen=True)
class FeeSpec:
    """A late fee as written: `{"fixed": "10.00"}` or `{"percent": "1.5", "cap": "50.00"}`."""

    fixed: str | None = None
    percent: str | None = None
    cap: str | None = None


@dataclass(frozen=True)
class StageSpec:
    """A stage as the merchant wrote it."""

    name: str
    offset_days: int
    subject: str | None = None
    body: str | None = None
    late_fee: FeeSpec | None = None
    suspend_credit: bool = False
    mark_uncollectible: bool = False


def stage_label(index: int, name: str) -> str:
    """How errors name a stage: its position and its name, quoted as JSON."""
    return f"stages[{index}] {json.dumps(name)}"


def parse_ladder(specs: Sequence[StageSpec], currency: str) -> tuple[ReminderStage, ...]:
    """Validate a ladder; money is read in `currency` (the one the ladder is saved in)."""
    if len(specs) > MAX_STAGES:
        raise LadderError(f"a ladder has at most {MAX_STAGES} stages, not {len(specs)}")
    stages: list[ReminderStage] = []
    for index, spec in enumerate(specs):
        problem = _stage_problem(index, spec, specs)
        if problem:
            raise LadderError(f"{stage_label(index, spec.name)}: {problem}")
        stages.append(
            ReminderStage(
                name=spec.name, offset_days=spec.offset_days, suspends_credit=spec.suspend_credit,
                marks_uncollectible=spec.mark_uncollectible, subject=spec.subject, body=spec.body,
                late_fee=_late_fee(index, spec, currency),
            )
        )
    return tuple(stages)


def _stage_problem(index: int, spec: StageSpec, specs: Sequence[StageSpec]) -> str | None:
    earlier = specs[:index]
    if not STAGE_NAME.fullmatch(spec.name):
        return (
            "name must be 1 to 40 lower-case letters, digits, '_' or '-', starting with a letter"
        )
    if spec.name in RESERVED_NAMES:
        return f"name {spec.name!r} is reserved"
    if any(other.name == spec.name for other in earlier):
        return "name is already used by an earlier stage"
    if not MIN_OFFSET_DAYS <= spec.offset_days <= MAX_OFFSET_DAYS:
        return f"offset_days must be between {MIN_OFFSET_DAYS} and {MAX_OFFSET_DAYS}"
    if earlier and spec.offset_days <= earlier[-1].offset_days:
        return "offset_days must be greater than the previous stage's"
    if spec.mark_uncollectible:
        if any(other.mark_uncollectible for other in earlier):
            return "only one stage may mark_uncollectible"
        if index != len(specs) - 1 and not any(s.mark_uncollectible for s in specs[index + 1 :]):
            return "a mark_uncollectible stage must be the last stage"
        if spec.subject is not None or spec.body is not None:
            return "a mark_uncollectible stage sends no email, so it takes no subject or body"
    return _text_problem(spec)


def _text_problem(spec: StageSpec) -> str | None:
    if spec.subject is not None:
        if not spec.subject.strip():
            return "subject must not be empty"
        if "\n" in spec.subject or "\r" in spec.subject or _CONTROL.search(spec.subject):
            return "subject must be one line without control characters"
        if len(spec.subject) > MAX_SUBJECT:
            return f"subject has at most {MAX_SUBJECT} characters"
    if spec.body is not None:
        if not spec.body.strip():
            return "body must not be empty"
        if _CONTROL.search(spec.body):
            return "body must not contain control characters"
        if len(spec.body) > MAX_BODY:
            return f"body has at most {MAX_BODY} characters"
    return None


def _late_fee(index: int, spec: StageSpec, currency: str) -> LateFee | None:
    fee = spec.late_fee
    if fee is None:
        return None

    def invalid(message: str) -> LadderError:
        return LadderError(f"{stage_label(index, spec.name)}: {message}")

    def amount(text: str, field: str) -> int:
        try:
            minor = to_minor(text, currency, f"late_fee.{field}")
        except MoneyError as error:
            raise invalid(error.message) from None
        if minor <= 0:
            raise invalid(f"late_fee.{field} must be greater than 0")
        return minor

    if (fee.fixed is None) == (fee.percent is None):
        raise invalid('late_fee is either {"fixed": amount} or {"percent": rate, "cap"?: amount}')
    if fee.fixed is not None:
        if fee.cap is not None:
            raise invalid("late_fee.cap goes with a percent fee, not a fixed one")
        return LateFee(currency=currency, fixed=amount(fee.fixed, "fixed"))
    assert fee.percent is not None
    try:
        percent = parse_decimal(fee.percent, "late_fee.percent")
    except MoneyError as error:
        raise invalid(error.message) from None
    if not Decimal(0) < percent <= Decimal(100):
        raise invalid("late_fee.percent must be greater than 0 and at most 100")
    if percent != percent.quantize(Decimal(1).scaleb(-MAX_PERCENT_PLACES)):
        raise invalid(f"late_fee.percent has at most {MAX_PERCENT_PLACES} decimals")
    cap = amount(fee.cap, "cap") if fee.cap is not None else None
    return LateFee(currency=currency, percent=format(percent.normalize(), "f"), cap=cap)


class Tone(StrEnum):
    """How firmly a reminder speaks, mildest first; the built-in templates have one wording each."""

    UPCOMING = "upcoming"  # before the due date: a friendly heads-up
    DUE = "due"  # on the due date
    FIRST_OVERDUE = "overdue_1"  # the first reminder after the due date: polite
    OVERDUE = "overdue_2"  # later reminders: firm
    FINAL = "final_notice"  # the credit line is (or was) suspended, or the last of 3+ reminders


def tone_of(ladder: Sequence[ReminderStage], name: str) -> Tone | None:
    """The tone of the stage called `name`, from its place among the ladder's emails.

    Tones never soften along a ladder: once a stage suspends the credit line, every later
    reminder is a final notice too. None for a stage not on the ladder.
    """
    emails = [stage for stage in ladder if stage.sends_email]
    overdue = [stage for stage in emails if stage.offset_days > 0]
    for position, stage in enumerate(emails):
        if stage.name != name:
            continue
        if stage.offset_days < 0:
            return Tone.UPCOMING
        if stage.offset_days == 0:
            return Tone.DUE
        rank = [s.name for s in overdue].index(name)
        if any(s.suspends_credit for s in emails[: position + 1]):
            return Tone.FINAL
        if len(overdue) >= 3 and rank == len(overdue) - 1:
            return Tone.FINAL
        return Tone.FIRST_OVERDUE if rank == 0 else Tone.OVERDUE
    return None
