"""The in-process rate limits: a token bucket per key, on a clock the test moves."""

import pytest

from payinvoice.rate_limit import HostedPageLimits, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_is_allowed_its_rate_at_once_then_told_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock)

    assert [limiter.wait("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait("a") == pytest.approx(20.0)  # one token of 3 a minute: 20 s


def test_a_refused_request_does_not_count() -> None:
    clock = Clock()
    limiter = RateLimiter(1, clock)
    limiter.wait("a")
    limiter.wait("a")
    clock.now += 30

    assert limiter.wait("a") == pytest.approx(30.0)


def test_the_bucket_refills_with_time() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock)
    for _ in range(3):
        limiter.wait("a")
    clock.now += 20

    assert limiter.wait("a") == 0.0
    assert limiter.wait("a") > 0


def test_each_key_has_a_bucket_of_its_own() -> None:
    limiter = RateLimiter(1, Clock())
    limiter.wait("a")

    assert limiter.wait("a") > 0
    assert limiter.wait("b") == 0.0


def test_keys_idle_for_a_minute_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock)
    for key in ("a", "b", "c"):
        limiter.wait(key)
    clock.now += 60

    limiter.wait("d")

    assert len(limiter) == 1


def test_beyond_its_key_limit_the_least_recently_seen_keys_go() -> None:
    limiter = RateLimiter(1, Clock(), max_keys=2)
    for key in ("a", "b", "c"):
        limiter.wait(key)

    assert len(limiter) == 2
    assert limiter.wait("a") == 0.0  # forgotten: a full bucket again


def test_a_rate_below_one_a_minute_is_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_the_hosted_page_limits_a_client_over_every_token() -> None:
    limits = HostedPageLimits(per_token=5, per_client=2, clock=Clock())
    limits.wait("token-1", "10.0.0.1")
    limits.wait("token-2", "10.0.0.1")

    assert limits.wait("token-3", "10.0.0.1") > 0
    assert limits.wait("token-3", "10.0.0.2") == 0.0


def test_the_hosted_page_limits_a_token_over_every_client() -> None:
    limits = HostedPageLimits(per_token=2, per_client=5, clock=Clock())
    limits.wait("token-1", "10.0.0.1")
    limits.wait("token-1", "10.0.0.2")

    assert limits.wait("token-1", "10.0.0.3") > 0
    assert limits.wait("token-2", "10.0.0.3") == 0.0


def test_a_request_the_client_limit_refuses_does_not_count_against_the_token() -> None:
    limits = HostedPageLimits(per_token=1, per_client=1, clock=Clock())
    limits.wait("token-1", "10.0.0.1")
    limits.wait("token-2", "10.0.0.1")  # refused by the client's limit

    assert limits.wait("token-2", "10.0.0.2") == 0.0
