"""Exponential back-off for webhook deliveries, scaled to the length of a "day".

With a 86400 s day the first retry waits 5 s and each wait doubles up to 3 h; there are as many
attempts as it takes for the waits to add up to at least one whole day (the retry window). The
same shape shrinks with the day, so tests run the whole window in a second or two.
"""

from dataclasses import dataclass

# Fractions of a day: 5 s and 3 h of a 24 h day.
FIRST_WAIT_OF_DAY = 5 / 86400
LONGEST_WAIT_OF_DAY = 3 / 24
COEFFICIENT = 2.0


@dataclass(frozen=True)
class Backoff:
    """What Temporal's RetryPolicy needs: the waits between attempts and how many attempts."""

    initial_seconds: float
    coefficient: float
    maximum_seconds: float
    maximum_attempts: int

    def waits(self) -> list[float]:
        """The wait before each retry (attempts 2 … maximum_attempts)."""
        return [
            min(self.initial_seconds * self.coefficient**n, self.maximum_seconds)
            for n in range(self.maximum_attempts - 1)
        ]


def delivery_backoff(window_seconds: float) -> Backoff:
    """Exponential back-off whose waits cover at least `window_seconds` (one day)."""
    if window_seconds <= 0:
        raise ValueError("window_seconds must be positive")
    initial = window_seconds * FIRST_WAIT_OF_DAY
    maximum = window_seconds * LONGEST_WAIT_OF_DAY
    waited, attempts = 0.0, 1
    while waited < window_seconds:
        waited += min(initial * COEFFICIENT ** (attempts - 1), maximum)
        attempts += 1
    return Backoff(initial, COEFFICIENT, maximum, attempts)
