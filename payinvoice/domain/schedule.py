"""Payment terms and reminder ladders, turned into one invoice's timeline.

A "day" is a length given by the caller (86400 s in production, a fraction of a second
in tests and demos), counted from the instant of issue.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# The invoice turns overdue once its due date itself has passed.
OVERDUE_AFTER_DAYS = 1
OVERDUE_STEP = "overdue"
SUSPENSION_STEP = "credit_suspension"


@dataclass(frozen=True)
class LateFee:
    """A stage's late fee, kept for the fee step (not applied yet): a `fixed` amount, or `percent`
    (a decimal, as text) of the amount due up to an optional `cap`; money in minor units of
    `currency`, the currency the ladder was saved in."""

    currency: str
    fixed: int | None = None
    percent: str | None = None
    cap: int | None = None


@dataclass(frozen=True)
class ReminderStage:
    """One rung of a reminder ladder, `offset_days` relative to the due date.

    Invoices freeze their ladder, so fields are only ever added with defaults: histories of
    invoices issued before a field existed still deserialize. `subject` and `body` are the
    merchant's own Jinja2 templates (see payinvoice.reminder_templates), None for the built-in
    wording.
    """

    name: str
    offset_days: int
    suspends_credit: bool = False
    marks_uncollectible: bool = False
    subject: str | None = None
    body: str | None = None
    late_fee: LateFee | None = None

    @property
    def sends_email(self) -> bool:
        return not self.marks_uncollectible


DEFAULT_LADDER: tuple[ReminderStage, ...] = (
    ReminderStage("upcoming", -3),
    ReminderStage("due", 0),
    ReminderStage("overdue_1", 7),
    ReminderStage("overdue_2", 14),
    ReminderStage("final_notice", 30, suspends_credit=True),
    ReminderStage("uncollectible", 45, marks_uncollectible=True),
)


@dataclass(frozen=True)
class Step:
    """A moment on an invoice's timeline: a ladder stage, or (stage None) the overdue transition
    or the policy's credit suspension."""

    key: str
    at: datetime
    stage: ReminderStage | None
    # Days after the due date (negative: before), which re-anchoring keeps.
    offset_days: int = field(default=0, compare=False)


def day_length(day_seconds: float) -> timedelta:
    return timedelta(seconds=day_seconds)


def due_date(issue_date: date, terms_days: int) -> date:
    """The contractual due date printed on the invoice."""
    return issue_date + timedelta(days=terms_days)


def due_at(issued_at: datetime, terms_days: int, day_seconds: float) -> datetime:
    """The instant the terms run out, in the invoice's own day length."""
    return issued_at + terms_days * day_length(day_seconds)


def timeline(
    issued_at: datetime, terms_days: int, ladder: list[ReminderStage] | tuple[ReminderStage, ...],
    day_seconds: float, suspend_after_days_overdue: int | None = None,
) -> list[Step]:
    """Every step still ahead at issue, in order; stages already past at issue are skipped."""
    anchor = due_at(issued_at, terms_days, day_seconds)
    day = day_length(day_seconds)
    overdue_at = anchor + OVERDUE_AFTER_DAYS * day
    steps = [Step(OVERDUE_STEP, overdue_at, None, OVERDUE_AFTER_DAYS)]
    if suspend_after_days_overdue is not None:
        after = OVERDUE_AFTER_DAYS + suspend_after_days_overdue
        steps.append(Step(SUSPENSION_STEP, overdue_at + suspend_after_days_overdue * day, None, after))
    steps += [Step(s.name, anchor + s.offset_days * day, s, s.offset_days) for s in ladder]
    # At equal instants the status changes before the reminder that mentions it goes out.
    ordered = sorted(steps, key=lambda step: (step.at, step.stage is not None))
    return [step for step in ordered if step.at >= issued_at]
