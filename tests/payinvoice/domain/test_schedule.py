"""Payment terms and reminder ladders, turned into one invoice's timeline."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.schedule import (
    DEFAULT_LADDER,
    OVERDUE_STEP,
    ReminderStage,
    Step,
    due_at,
    due_date,
    timeline,
)

ISSUED = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
DAY = 86400.0


def keys(steps: list[Step]) -> list[str]:
    return [step.key for step in steps]


def stage(name: str) -> ReminderStage:
    return next(s for s in DEFAULT_LADDER if s.name == name)


# --- the default ladder -----------------------------------------------------------------------


def test_default_ladder_has_the_stages_in_order_with_their_offsets() -> None:
    assert [(s.name, s.offset_days) for s in DEFAULT_LADDER] == [
        ("upcoming", -3),
        ("due", 0),
        ("overdue_1", 7),
        ("overdue_2", 14),
        ("final_notice", 30),
        ("uncollectible", 45),
    ]


def test_only_final_notice_suspends_credit() -> None:
    assert [s.name for s in DEFAULT_LADDER if s.suspends_credit] == ["final_notice"]


def test_only_uncollectible_marks_the_invoice_uncollectible() -> None:
    assert [s.name for s in DEFAULT_LADDER if s.marks_uncollectible] == ["uncollectible"]


def test_uncollectible_stage_sends_no_email() -> None:
    assert stage("uncollectible").sends_email is False


def test_every_other_stage_sends_an_email() -> None:
    assert all(s.sends_email for s in DEFAULT_LADDER if s.name != "uncollectible")


def test_reminder_stage_defaults_neither_suspend_nor_mark_uncollectible() -> None:
    custom = ReminderStage("nudge", 3)
    assert (custom.suspends_credit, custom.marks_uncollectible, custom.sends_email) == (False, False, True)


# --- due date and due instant -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "terms", "due"),
    [
        (date(2024, 1, 10), 0, date(2024, 1, 10)),
        (date(2024, 1, 10), 30, date(2024, 2, 9)),
        (date(2024, 2, 15), 14, date(2024, 2, 29)),  # leap year
        (date(2023, 2, 15), 14, date(2023, 3, 1)),
        (date(2024, 12, 20), 30, date(2025, 1, 19)),  # across the year end
    ],
)
def test_due_date_adds_calendar_days(issued: date, terms: int, due: date) -> None:
    assert due_date(issued, terms) == due


def test_due_at_adds_terms_in_real_days() -> None:
    assert due_at(ISSUED, 30, DAY) == ISSUED + timedelta(days=30)


def test_due_at_scales_with_the_day_length() -> None:
    assert due_at(ISSUED, 30, 0.1) == ISSUED + timedelta(seconds=3)


def test_due_at_with_zero_terms_is_the_issue_instant() -> None:
    assert due_at(ISSUED, 0, DAY) == ISSUED


# --- timeline ---------------------------------------------------------------------------------


def test_timeline_for_30_day_terms_lists_every_step_in_order() -> None:
    steps = timeline(ISSUED, 30, DEFAULT_LADDER, DAY)
    due = ISSUED + timedelta(days=30)
    assert [(s.key, s.at) for s in steps] == [
        ("upcoming", due - timedelta(days=3)),
        ("due", due),
        (OVERDUE_STEP, due + timedelta(days=1)),
        ("overdue_1", due + timedelta(days=7)),
        ("overdue_2", due + timedelta(days=14)),
        ("final_notice", due + timedelta(days=30)),
        ("uncollectible", due + timedelta(days=45)),
    ]


def test_timeline_overdue_transition_comes_one_day_after_due_and_has_no_stage() -> None:
    overdue = [s for s in timeline(ISSUED, 14, DEFAULT_LADDER, DAY) if s.key == OVERDUE_STEP]
    assert overdue == [Step(OVERDUE_STEP, ISSUED + timedelta(days=15), None)]


def test_timeline_steps_carry_their_ladder_stage() -> None:
    steps = timeline(ISSUED, 30, DEFAULT_LADDER, DAY)
    assert [s.stage for s in steps if s.stage is not None] == list(DEFAULT_LADDER)


def test_timeline_skips_stages_already_past_at_issue() -> None:
    # terms 2: "upcoming" would be one day before issue
    assert keys(timeline(ISSUED, 2, DEFAULT_LADDER, DAY))[0] == "due"


def test_timeline_keeps_a_stage_falling_exactly_at_issue() -> None:
    steps = timeline(ISSUED, 3, DEFAULT_LADDER, DAY)
    assert (steps[0].key, steps[0].at) == ("upcoming", ISSUED)


def test_timeline_with_zero_terms_starts_with_due_at_issue() -> None:
    steps = timeline(ISSUED, 0, DEFAULT_LADDER, DAY)
    assert (steps[0].key, steps[0].at) == ("due", ISSUED)
    assert "upcoming" not in keys(steps)


def test_timeline_puts_the_overdue_transition_before_a_stage_at_the_same_instant() -> None:
    ladder = (ReminderStage("day_after", 1), ReminderStage("due", 0))
    assert keys(timeline(ISSUED, 10, ladder, DAY)) == ["due", OVERDUE_STEP, "day_after"]


def test_timeline_keeps_ladder_order_for_stages_at_the_same_instant() -> None:
    ladder = (ReminderStage("b", 5), ReminderStage("a", 5))
    assert keys(timeline(ISSUED, 10, ladder, DAY)) == [OVERDUE_STEP, "b", "a"]


def test_timeline_sorts_an_unordered_ladder() -> None:
    ladder = [ReminderStage("late", 20), ReminderStage("early", -1)]
    assert keys(timeline(ISSUED, 10, ladder, DAY)) == ["early", OVERDUE_STEP, "late"]


def test_timeline_with_an_empty_ladder_holds_only_the_overdue_transition() -> None:
    assert keys(timeline(ISSUED, 10, (), DAY)) == [OVERDUE_STEP]


def test_timeline_scales_with_the_day_length() -> None:
    steps = timeline(ISSUED, 30, DEFAULT_LADDER, 0.1)
    assert {s.key: s.at - ISSUED for s in steps}["uncollectible"] == timedelta(seconds=7.5)


@settings(max_examples=200)
@given(
    terms=st.integers(min_value=0, max_value=120),
    day_seconds=st.floats(min_value=0.001, max_value=86400.0, allow_nan=False, allow_infinity=False),
)
def test_timeline_is_ordered_and_never_before_issue(terms: int, day_seconds: float) -> None:
    times = [s.at for s in timeline(ISSUED, terms, DEFAULT_LADDER, day_seconds)]
    assert times == sorted(times)
    assert all(at >= ISSUED for at in times)


@settings(max_examples=200)
@given(terms=st.integers(min_value=0, max_value=120))
def test_timeline_always_contains_the_overdue_transition_and_the_last_stage(terms: int) -> None:
    steps = keys(timeline(ISSUED, terms, DEFAULT_LADDER, DAY))
    assert steps.count(OVERDUE_STEP) == 1
    assert steps[-1] == "uncollectible"
