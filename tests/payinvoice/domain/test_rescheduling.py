"""Changing an invoice's timeline: re-anchoring to a new due date, pauses and promises."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from payinvoice.domain.rescheduling import (
    ResumePolicy,
    instant_of,
    postpone,
    reanchor,
    resume,
)
from payinvoice.domain.schedule import (
    DEFAULT_LADDER,
    OVERDUE_STEP,
    SUSPENSION_STEP,
    Step,
    due_at,
    timeline,
)

ISSUED = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
DAY = 86400.0
D = timedelta(days=1)


def keys(steps: list[Step]) -> list[str]:
    return [step.key for step in steps]


def default_timeline(terms: int = 14) -> list[Step]:
    return timeline(ISSUED, terms, DEFAULT_LADDER, DAY, suspend_after_days_overdue=10)


def test_a_date_begins_whole_invoice_days_after_the_issue() -> None:
    assert instant_of(date(2024, 1, 15), ISSUED, date(2024, 1, 10), 60.0) == ISSUED + timedelta(minutes=5)


def test_reanchoring_puts_every_pending_step_at_its_offset_from_the_new_due_date() -> None:
    new_due = due_at(ISSUED, 20, DAY)

    moved = reanchor(default_timeline(), new_due, DAY)

    at = {step.key: step.at for step in moved}
    assert at["upcoming"] == new_due - 3 * D
    assert at["due"] == new_due
    assert at[OVERDUE_STEP] == new_due + D
    assert at[SUSPENSION_STEP] == new_due + 11 * D
    assert at["uncollectible"] == new_due + 45 * D


def test_reanchoring_an_overdue_invoice_puts_its_overdue_transition_ahead_again() -> None:
    pending = [s for s in default_timeline() if s.key not in ("upcoming", "due", OVERDUE_STEP)]
    new_due = due_at(ISSUED, 30, DAY)

    moved = reanchor(pending, new_due, DAY, overdue_again=True)

    assert keys(moved)[0] == OVERDUE_STEP
    assert moved[0].at == new_due + D
    assert "due" not in keys(moved)


def test_resume_sends_the_latest_missed_stage_now_and_shifts_the_later_ones() -> None:
    steps = [s for s in default_timeline() if s.key != OVERDUE_STEP]
    paused_at = due_at(ISSUED, 14, DAY) - 5 * D
    resumed_at = due_at(ISSUED, 14, DAY) + 8 * D

    resumed = resume(steps, paused_at, resumed_at, ResumePolicy.SEND_LATEST)

    assert resumed.taken == ["overdue_1"]
    assert resumed.skipped == ["upcoming", "due"]
    assert resumed.steps[0].key == "overdue_1" and resumed.steps[0].at == resumed_at
    overdue_2 = next(s for s in resumed.steps if s.key == "overdue_2")
    assert overdue_2.at == due_at(ISSUED, 14, DAY) + 14 * D + (resumed_at - paused_at)


def test_resume_with_skip_missed_sends_none_of_the_missed_stages() -> None:
    steps = default_timeline()
    resumed_at = due_at(ISSUED, 14, DAY) + 8 * D

    resumed = resume(steps, ISSUED, resumed_at, ResumePolicy.SKIP_MISSED)

    assert resumed.taken == []
    assert resumed.skipped == ["upcoming", "due", "overdue_1"]
    assert all(s.at > resumed_at for s in resumed.steps if s.key != OVERDUE_STEP)


def test_holds_never_delay_the_overdue_transition() -> None:
    steps = default_timeline()
    overdue = next(s for s in steps if s.key == OVERDUE_STEP)

    assert overdue in postpone(steps, 9 * D)
    assert overdue in resume(steps, ISSUED, ISSUED + 2 * D, ResumePolicy.SEND_LATEST).steps


# --- properties -------------------------------------------------------------------------------

pending_timelines = st.builds(
    lambda terms, sent: default_timeline(terms)[sent:],
    st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=8),
)
days = st.integers(min_value=1, max_value=90)


def is_ordered(steps: list[Step]) -> bool:
    return all(a.at <= b.at for a, b in pairwise(steps))


@given(pending_timelines, days)
def test_reanchoring_never_brings_back_a_step_already_taken_and_keeps_order(
    pending: list[Step], later_by: int
) -> None:
    moved = reanchor(pending, due_at(ISSUED, 60 + later_by, DAY), DAY)

    assert sorted(keys(moved)) == sorted(keys(pending))
    assert is_ordered(moved)


@given(pending_timelines, days)
def test_a_later_due_date_never_moves_a_step_earlier(pending: list[Step], later_by: int) -> None:
    terms = 60
    pending = timeline(ISSUED, terms, DEFAULT_LADDER, DAY)[len(pending) % 5:]
    moved = {s.key: s.at for s in reanchor(pending, due_at(ISSUED, terms + later_by, DAY), DAY)}

    assert all(moved[s.key] == s.at + later_by * D for s in pending)


@given(pending_timelines, days)
def test_postponing_preserves_the_gaps_between_reminders(pending: list[Step], by: int) -> None:
    dunning = [s for s in pending if s.key != OVERDUE_STEP]
    shifted = [s for s in postpone(pending, by * D) if s.key != OVERDUE_STEP]

    assert [b.at - a.at for a, b in pairwise(dunning)] == [
        b.at - a.at for a, b in pairwise(shifted)
    ]


@given(pending_timelines, st.integers(min_value=0, max_value=80), days, st.sampled_from(list(ResumePolicy)))
def test_resume_takes_at_most_one_stage_never_one_twice_and_keeps_order(
    pending: list[Step], paused_day: int, pause_days: int, policy: ResumePolicy
) -> None:
    paused_at = ISSUED + paused_day * D
    pending = [s for s in pending if s.at >= paused_at or s.key == OVERDUE_STEP]

    resumed = resume(pending, paused_at, paused_at + pause_days * D, policy)

    stages_taken = [k for k in resumed.taken if k != SUSPENSION_STEP]
    assert len(stages_taken) <= 1
    assert not set(resumed.taken) & set(resumed.skipped)
    assert sorted(keys(resumed.steps) + resumed.skipped) == sorted(keys(pending))
    assert is_ordered(resumed.steps)
