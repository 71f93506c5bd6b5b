"""Rate limits in process memory: a token bucket per key, on a clock the caller gives (monotonic
seconds), and the hosted page's two limits (per token, per client address).

Each process counts on its own: behind N API replicas a key gets up to N times its rate. The
buckets of keys idle for a minute are full again, and are forgotten (as if never seen), so memory
follows the keys of the last minute; beyond `max_keys` the least recently seen go first.
"""

import time
from collections import OrderedDict
from collections.abc import Callable

Clock = Callable[[], float]
MAX_KEYS = 100_000


class RateLimiter:
    """Up to `per_minute` requests per key in any minute, in bursts of up to `per_minute`: each
    key's bucket holds that many tokens and refills at `per_minute` a minute."""

    def __init__(self, per_minute: int, clock: Clock = time.monotonic, max_keys: int = MAX_KEYS) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self._capacity = float(per_minute)
        self._per_second = per_minute / 60.0
        self._clock = clock
        self._max_keys = max_keys
        # key -> (tokens left, as at); least recently seen first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait(self, key: str) -> float:
        """Seconds until a request for `key` would be allowed: 0.0 means it is, and it is counted.
        A refused request is not counted."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (self._capacity, now))
        tokens = self._refilled(tokens, at, now)
        if tokens >= 1:
            tokens -= 1
            waiting = 0.0
        else:
            waiting = (1 - tokens) / self._per_second
        self._buckets[key] = (tokens, now)
        self._forget(now)
        return waiting

    def __len__(self) -> int:
        """The keys remembered."""
        return len(self._buckets)

    def _refilled(self, tokens: float, at: float, now: float) -> float:
        return min(self._capacity, tokens + max(0.0, now - at) * self._per_second)

    def _forget(self, now: float) -> None:
        """Drop, least recently seen first, the buckets full again and those beyond `max_keys`.
        Refused requests take no token, so a bucket last seen a minute ago is full: every key idle
        that long is at the front, and goes."""
        while self._buckets:
            key, (tokens, at) = next(iter(self._buckets.items()))
            if len(self._buckets) <= self._max_keys and self._refilled(tokens, at, now) < self._capacity:
                return
            del self._buckets[key]


class HostedPageLimits:
    """The hosted page's (`/i/{token}` and its PDF) two limits: per client address, then per
    token. A request the client's limit refuses does not count against the token."""

    def __init__(self, per_token: int, per_client: int, clock: Clock = time.monotonic) -> None:
        self._tokens = RateLimiter(per_token, clock)
        self._clients = RateLimiter(per_client, clock)

    def wait(self, token: str, client: str) -> float:
        """Seconds until the request may be served: 0.0 means now, and it is counted."""
        return self._clients.wait(client) or self._tokens.wait(token)
