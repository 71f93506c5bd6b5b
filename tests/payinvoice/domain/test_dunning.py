"""Reminder ladders as merchants write them: every rule, and the tone of each stage."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.dunning import (
    MAX_STAGES,
    FeeSpec,
    LadderError,
    StageSpec,
    Tone,
    parse_ladder,
    tone_of,
)
from payinvoice.domain.schedule import DEFAULT_LADDER, LateFee, ReminderStage, timeline

ISSUED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def spec_of(stage: ReminderStage) -> StageSpec:
    return StageSpec(
        stage.name, stage.offset_days, suspend_credit=stage.suspends_credit,
        mark_uncollectible=stage.marks_uncollectible,
    )


def three(**last: Any) -> list[StageSpec]:
    """A valid ladder of three stages whose last one takes `last`."""
    return [StageSpec("due", 0), StageSpec("overdue_1", 7), replace(StageSpec("overdue_2", 14), **last)]


def refused(specs: list[StageSpec], currency: str = "EUR") -> str:
    with pytest.raises(LadderError) as error:
        parse_ladder(specs, currency)
    return error.value.message


# Valid ladders


def test_the_default_ladder_written_as_specs_parses_back_to_itself() -> None:
    assert parse_ladder([spec_of(s) for s in DEFAULT_LADDER], "EUR") == DEFAULT_LADDER


def test_a_stage_keeps_its_subject_body_and_flags() -> None:
    [stage] = parse_ladder(
        [StageSpec("last_call", 20, subject="Pay {{ invoice_number }}", body="Now.", suspend_credit=True)],
        "EUR",
    )

    assert stage == ReminderStage(
        "last_call", 20, suspends_credit=True, subject="Pay {{ invoice_number }}", body="Now."
    )


def test_an_empty_ladder_is_valid_and_sends_nothing() -> None:
    assert parse_ladder([], "EUR") == ()


def test_offsets_may_be_negative() -> None:
    ladder = parse_ladder([StageSpec("early", -10), StageSpec("soon", -1)], "EUR")

    assert [s.offset_days for s in ladder] == [-10, -1]


# Names


@pytest.mark.parametrize("name", ["", "Overdue", "1st", "two words", "x\nX-Evil: 1", "a.b", "é", "a" * 41])
def test_a_name_that_is_not_a_short_lower_case_identifier_is_refused(name: str) -> None:
    message = refused([StageSpec(name, 1)])

    assert message.startswith("stages[0] ")
    assert "name must be 1 to 40 lower-case letters" in message


@pytest.mark.parametrize("name", ["overdue", "credit_suspension"])
def test_the_workflows_own_step_names_are_reserved(name: str) -> None:
    assert refused([StageSpec(name, 1)]) == f'stages[0] "{name}": name {name!r} is reserved'


def test_names_must_be_unique() -> None:
    message = refused([StageSpec("nudge", 1), StageSpec("nudge", 5)])

    assert message == 'stages[1] "nudge": name is already used by an earlier stage'


# Offsets


def test_offsets_must_strictly_increase_and_the_error_names_the_stage() -> None:
    message = refused([StageSpec("upcoming", -3), StageSpec("due", 0), StageSpec("overdue_2", 0)])

    assert message == 'stages[2] "overdue_2": offset_days must be greater than the previous stage\'s'


def test_a_decreasing_offset_is_refused() -> None:
    assert "stages[1]" in refused([StageSpec("late", 10), StageSpec("early", -1)])


@pytest.mark.parametrize("offset", [-366, 3651])
def test_an_offset_out_of_range_is_refused(offset: int) -> None:
    assert "offset_days must be between -365 and 3650" in refused([StageSpec("far", offset)])


def test_more_than_the_maximum_number_of_stages_is_refused() -> None:
    specs = [StageSpec(f"s{i}", i) for i in range(MAX_STAGES + 1)]

    assert refused(specs) == f"a ladder has at most {MAX_STAGES} stages, not {MAX_STAGES + 1}"


# Uncollectible


def test_a_mark_uncollectible_stage_must_be_last() -> None:
    specs = [StageSpec("write_off", 30, mark_uncollectible=True), StageSpec("after", 40)]

    assert refused(specs) == 'stages[0] "write_off": a mark_uncollectible stage must be the last stage'


def test_only_one_stage_may_mark_uncollectible() -> None:
    specs = [StageSpec("a", 30, mark_uncollectible=True), StageSpec("b", 40, mark_uncollectible=True)]

    assert refused(specs) == 'stages[1] "b": only one stage may mark_uncollectible'


@pytest.mark.parametrize("field", ["subject", "body"])
def test_a_mark_uncollectible_stage_takes_no_subject_or_body(field: str) -> None:
    message = refused(three(mark_uncollectible=True, **{field: "text"}))

    assert message.startswith('stages[2] "overdue_2": a mark_uncollectible stage sends no email')


# Subject and body


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"subject": "Pay\r\nBcc: x@evil.example"}, "subject must be one line"),
        ({"subject": "  "}, "subject must not be empty"),
        ({"subject": "x" * 201}, "subject has at most 200 characters"),
        ({"body": ""}, "body must not be empty"),
        ({"body": "x" * 5001}, "body has at most 5000 characters"),
        ({"body": "bell \x07"}, "body must not contain control characters"),
    ],
)
def test_a_bad_subject_or_body_is_refused_naming_the_stage(fields: dict[str, str], problem: str) -> None:
    assert refused(three(**fields)).startswith(f'stages[2] "overdue_2": {problem}')


def test_a_body_may_have_several_lines() -> None:
    assert parse_ladder(three(body="Hello,\n\nplease pay.\n"), "EUR")[2].body == "Hello,\n\nplease pay.\n"


# Late fees


def test_a_fixed_fee_is_kept_in_minor_units_of_the_ladders_currency() -> None:
    ladder = parse_ladder(three(late_fee=FeeSpec(fixed="10.00")), "EUR")

    assert ladder[2].late_fee == LateFee(currency="EUR", fixed=1000)


def test_a_percent_fee_keeps_its_rate_as_text_and_its_cap_in_minor_units() -> None:
    ladder = parse_ladder(three(late_fee=FeeSpec(percent="1.50", cap="50")), "JPY")

    assert ladder[2].late_fee == LateFee(currency="JPY", percent="1.5", cap=50)


def test_a_percent_fee_needs_no_cap() -> None:
    ladder = parse_ladder(three(late_fee=FeeSpec(percent="2")), "EUR")

    assert ladder[2].late_fee == LateFee("EUR", percent="2")


@pytest.mark.parametrize(
    ("fee", "problem"),
    [
        (FeeSpec(), "late_fee is either"),
        (FeeSpec(fixed="10.00", percent="1"), "late_fee is either"),
        (FeeSpec(fixed="10.00", cap="50.00"), "late_fee.cap goes with a percent fee"),
        (FeeSpec(fixed="0.00"), "late_fee.fixed must be greater than 0"),
        (FeeSpec(fixed="-5.00"), "late_fee.fixed must be greater than 0"),
        (FeeSpec(fixed="10.001"), "late_fee.fixed '10.001' has more than 2 decimals for EUR"),
        (FeeSpec(fixed="ten"), "late_fee.fixed 'ten' is not a plain decimal number"),
        (FeeSpec(fixed="1e3"), "is not a plain decimal number"),
        (FeeSpec(percent="0"), "late_fee.percent must be greater than 0 and at most 100"),
        (FeeSpec(percent="100.01"), "late_fee.percent must be greater than 0 and at most 100"),
        (FeeSpec(percent="1.23456"), "late_fee.percent has at most 4 decimals"),
        (FeeSpec(percent="NaN"), "is not a plain decimal number"),
        (FeeSpec(percent="1.5", cap="0"), "late_fee.cap must be greater than 0"),
    ],
)
def test_a_bad_late_fee_is_refused_naming_the_stage(fee: FeeSpec, problem: str) -> None:
    message = refused(three(late_fee=fee))

    assert message.startswith('stages[2] "overdue_2": '), message
    assert problem in message, message


def test_a_fixed_fee_follows_the_currencys_exponent() -> None:
    assert "has more than 0 decimals for JPY" in refused(three(late_fee=FeeSpec(fixed="10.50")), "JPY")


# Tone


def test_the_default_ladder_escalates_from_heads_up_to_final_notice() -> None:
    tones = [tone_of(DEFAULT_LADDER, s.name) for s in DEFAULT_LADDER]

    assert tones == [Tone.UPCOMING, Tone.DUE, Tone.FIRST_OVERDUE, Tone.OVERDUE, Tone.FINAL, None]


def test_a_custom_ladder_takes_its_tone_from_the_position_not_the_name() -> None:
    ladder = parse_ladder(
        [StageSpec("hello", -5), StageSpec("today", 0), StageSpec("oops", 3), StageSpec("again", 10),
         StageSpec("more", 20), StageSpec("last", 40)],
        "EUR",
    )  # fmt: skip

    assert [tone_of(ladder, s.name) for s in ladder] == [
        Tone.UPCOMING, Tone.DUE, Tone.FIRST_OVERDUE, Tone.OVERDUE, Tone.OVERDUE, Tone.FINAL,
    ]  # fmt: skip


def test_a_stage_that_suspends_credit_is_a_final_notice_and_so_is_every_later_one() -> None:
    ladder = parse_ladder([StageSpec("cut", 2, suspend_credit=True), StageSpec("after", 9)], "EUR")

    assert [tone_of(ladder, s.name) for s in ladder] == [Tone.FINAL, Tone.FINAL]


def test_a_single_overdue_reminder_stays_polite() -> None:
    ladder = parse_ladder([StageSpec("due", 0), StageSpec("late", 5)], "EUR")

    assert tone_of(ladder, "late") == Tone.FIRST_OVERDUE


def test_a_stage_not_on_the_ladder_has_no_tone() -> None:
    assert tone_of(DEFAULT_LADDER, "nudge") is None


# Properties

names = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), max_size=MAX_STAGES, unique=True)


@st.composite
def valid_ladders(draw: st.DrawFn) -> list[StageSpec]:
    chosen = [n for n in draw(names) if n not in ("overdue", "credit_suspension")]
    offsets = sorted(draw(st.sets(st.integers(-365, 3650), min_size=len(chosen), max_size=len(chosen))))
    specs = [
        StageSpec(name, offset, suspend_credit=draw(st.booleans()))
        for name, offset in zip(chosen, offsets, strict=True)
    ]
    if specs and draw(st.booleans()):
        specs[-1] = StageSpec(specs[-1].name, specs[-1].offset_days, mark_uncollectible=True)
    return specs


@settings(max_examples=200)
@given(specs=valid_ladders(), terms=st.integers(0, 120), day_seconds=st.sampled_from([0.05, 1.0, 86400.0]))
def test_every_valid_ladder_gives_its_stages_in_strictly_increasing_time(
    specs: list[StageSpec], terms: int, day_seconds: float
) -> None:
    ladder = parse_ladder(specs, "EUR")
    stages = [step for step in timeline(ISSUED, terms, ladder, day_seconds) if step.stage is not None]

    times = [step.at for step in stages]
    assert times == sorted(set(times))
    names_in_time = [step.key for step in stages]
    assert names_in_time == [s.name for s in ladder][len(ladder) - len(stages) :]


@settings(max_examples=200)
@given(specs=valid_ladders())
def test_the_tone_never_softens_along_a_valid_ladder(specs: list[StageSpec]) -> None:
    ladder = parse_ladder(specs, "EUR")
    order = list(Tone)
    tones = [tone_of(ladder, s.name) for s in ladder if s.sends_email]

    assert all(tone is not None for tone in tones)
    ranks = [order.index(tone) for tone in tones if tone is not None]
    assert ranks == sorted(ranks)


@settings(max_examples=200)
@given(
    specs=st.lists(
        st.builds(
            StageSpec, name=st.text(max_size=12), offset_days=st.integers(-1000, 5000),
            subject=st.none() | st.text(max_size=20), late_fee=st.none() | st.builds(
                FeeSpec, fixed=st.none() | st.text(max_size=6), percent=st.none() | st.text(max_size=6),
            ),
            suspend_credit=st.booleans(), mark_uncollectible=st.booleans(),
        ),
        max_size=6,
    )
)
def test_any_input_is_either_a_ladder_or_a_ladder_error(specs: list[StageSpec]) -> None:
    try:
        ladder = parse_ladder(specs, "EUR")
    except LadderError as error:
        assert error.message.startswith(("stages[", "a ladder"))
    else:
        assert [s.name for s in ladder] == [s.name for s in specs]
