"""A durable timer that message handlers can re-anchor (STYLE.md §4, after samples-python's
`updatable_timer`): the waiting loop sleeps until an instant, and a handler that changes the
schedule calls `move()` to wake it at once so that it works out its next instant again.

Workflow code only: it waits with `workflow.wait_condition`, whose timeout is the durable timer.
"""

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow


class Deadline:
    def __init__(self) -> None:
        self.moved = False

    def move(self) -> None:
        """The schedule changed: wake the sleeper, which then sleeps until its new instant."""
        self.moved = True

    async def sleep_until(self, at: datetime | None, summary: str, stop: Callable[[], bool]) -> bool:
        """Sleep until `at` (None: until moved or stopped). True when `at` came; False when the
        deadline moved or `stop()` became true first. Without a move this emits exactly what a
        plain `wait_condition(stop, timeout=...)` does: one timer, or none when `at` is past."""
        self.moved = False
        if at is None:
            await workflow.wait_condition(lambda: self.moved or stop())
            return False
        remaining = (at - workflow.now()).total_seconds()
        if remaining > 0:
            try:
                await workflow.wait_condition(
                    lambda: self.moved or stop(), timeout=remaining, timeout_summary=summary
                )
            except TimeoutError:
                pass
        return not (self.moved or stop())
