"""Changing an open invoice's timeline: a later due date, a pause, a promise to pay.

Pure functions over the steps still ahead (`schedule.Step`), in the invoice's own day length.
Steps already taken are not in the list, so nothing here can take (send) a step twice. The
overdue transition is a fact about the due date, not a reminder: holds (pauses, promises) never
delay it, but a new due date re-anchors it like every other step.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from payinvoice.domain.instalments import LABEL_SEPARATOR
from payinvoice.domain.schedule import OVERDUE_AFTER_DAYS, OVERDUE_STEP, Step, day_length


class ResumePolicy(StrEnum):
    """What a resume does with the stages that fell due during the pause."""

    SEND_LATEST = "send_latest"  # the latest of them is taken at once, the others are skipped
    SKIP_MISSED = "skip_missed"  # none of them is taken


def ordered(steps: list[Step]) -> list[Step]:
    """In time order; at equal instants the status changes before the reminder that mentions it."""
    return sorted(steps, key=lambda step: (step.at, step.stage is not None))


def is_dunning(step: Step) -> bool:
    """A step a hold delays: a reminder stage or a credit suspension, not the overdue transition
    (of the invoice, or of one instalment of its plan: `overdue-i2`)."""
    return not (step.stage is None and step.key.partition(LABEL_SEPARATOR)[0] == OVERDUE_STEP)


def instant_of(day: date, issued_at: datetime, issue_date: date, day_seconds: float) -> datetime:
    """The instant a calendar date begins for an invoice: days count from the moment of issue."""
    return issued_at + (day - issue_date).days * day_length(day_seconds)


def day_of(at: datetime, issued_at: datetime, issue_date: date, day_seconds: float) -> date:
    """The calendar date an instant falls on for an invoice (`instant_of` the other way round)."""
    return issue_date + timedelta(days=(at - issued_at) // day_length(day_seconds))


def reanchor(
    pending: list[Step], due_at: datetime, day_seconds: float, overdue_again: bool = False
) -> list[Step]:
    """Every pending step at its offset from the new due instant. `overdue_again`: the invoice
    was overdue and goes back to open, so its overdue transition is ahead once more."""
    steps = [s for s in pending if s.key != OVERDUE_STEP or not overdue_again]
    if overdue_again:
        steps.append(Step(OVERDUE_STEP, due_at, None, OVERDUE_AFTER_DAYS))
    day = day_length(day_seconds)
    return ordered([replace(s, at=due_at + s.offset_days * day) for s in steps])


def postpone(steps: list[Step], by: timedelta) -> list[Step]:
    """The dunning steps later by `by`, the gaps between them kept (a promise that ran out:
    the ladder goes on from where it stood)."""
    return ordered([replace(s, at=s.at + by) if is_dunning(s) else s for s in steps])


@dataclass(frozen=True)
class Resumption:
    """The schedule after a pause: `steps` (the stages taken at once first), and the keys of
    the stages that fell due during the pause, taken at once or skipped."""

    steps: list[Step]
    taken: list[str]
    skipped: list[str]


def resume(steps: list[Step], paused_at: datetime, resumed_at: datetime, policy: ResumePolicy) -> Resumption:
    """Dunning steps due by `resumed_at` fell due during the pause: with `send_latest` the latest
    stage among them is taken at once (with any credit suspension that fell due), the others are
    skipped; with `skip_missed` all of them are. The later ones are shifted by the pause length."""
    missed = [s for s in steps if is_dunning(s) and s.at <= resumed_at]
    taken: list[Step] = []
    if policy == ResumePolicy.SEND_LATEST:
        latest = [s for s in missed if s.stage is not None][-1:]
        taken = [s for s in missed if s.stage is None or s in latest]
    later = postpone([s for s in steps if s not in missed], resumed_at - paused_at)
    now = [replace(s, at=resumed_at) for s in taken]
    return Resumption(
        steps=ordered(now + later),
        taken=[s.key for s in taken],
        skipped=[s.key for s in missed if s not in taken],
    )
