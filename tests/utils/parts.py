"""Optional parts a test needs (a browser, docker-compose, PostgreSQL): skipped locally without
them, a failure under `CI=true`, so that CI cannot go green by skipping what it was meant to run.

Skips that are by design (a scenario kept for `make test-reliability`, a benchmark) are not
missing parts: they use `pytest.skip`/`skipif` directly and say so in their reason.
"""

import os

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(part: str, available: bool, reason: str) -> None:
    """Go on when `part` is `available`; otherwise skip, or fail under `CI=true`, saying `reason`."""
    if available:
        return
    message = f"{part} is missing: {reason}"
    if under_ci():
        pytest.fail(f"{message} (CI=true: a missing part fails the run)", pytrace=False)
    pytest.skip(message)
