"""Exponential back-off of webhook deliveries: its waits cover at least one day."""

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payinvoice.domain.backoff import delivery_backoff

DAY = 86400.0


def test_a_real_day_waits_5_seconds_first_and_at_most_3_hours() -> None:
    backoff = delivery_backoff(DAY)

    waits = backoff.waits()

    assert waits[:4] == [5.0, 10.0, 20.0, 40.0]
    assert max(waits) == 3 * 3600
    assert backoff.maximum_attempts == 20


@given(st.floats(min_value=0.01, max_value=30 * DAY))
def test_the_waits_add_up_to_at_least_one_day(day: float) -> None:
    waits = delivery_backoff(day).waits()

    assert sum(waits) >= day
    assert sum(waits[:-1]) < day  # and stop as soon as they do


@given(st.floats(min_value=0.01, max_value=30 * DAY))
def test_each_wait_doubles_until_the_longest(day: float) -> None:
    backoff = delivery_backoff(day)

    waits = backoff.waits()

    assert all(later == min(2 * earlier, backoff.maximum_seconds) for earlier, later in pairwise(waits))


@given(st.floats(min_value=0.01, max_value=30 * DAY))
def test_the_shape_scales_with_the_day(day: float) -> None:
    assert delivery_backoff(day).maximum_attempts == delivery_backoff(DAY).maximum_attempts


@pytest.mark.parametrize("day", [0.0, -1.0])
def test_a_day_must_last(day: float) -> None:
    with pytest.raises(ValueError):
        delivery_backoff(day)
