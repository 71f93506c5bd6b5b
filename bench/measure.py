"""Load drivers and statistics: closed-loop concurrency, percentiles, process and machine facts."""

import asyncio
import math
import os
import platform
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

# One operation of a load run: given its index, do it and say how it went ("ok", "open",
# "declined", "http_500", ...) plus an optional reference (a workflow id) for later analysis.
Outcome = tuple[str, str | None]
Operation = Callable[[int], Awaitable[Outcome]]


@dataclass
class Sample:
    label: str
    ms: float
    ref: str | None


@dataclass
class Run:
    """What a load run did: every sample and the wall time it took."""

    concurrency: int
    samples: list[Sample] = field(default_factory=list)
    elapsed_s: float = 0.0

    def latencies(self, labels: Iterable[str]) -> list[float]:
        wanted = set(labels)
        return [s.ms for s in self.samples if s.label in wanted]

    def count(self, labels: Iterable[str]) -> int:
        wanted = set(labels)
        return sum(1 for s in self.samples if s.label in wanted)

    def outcomes(self) -> dict[str, int]:
        return dict(Counter(s.label for s in self.samples))


async def closed_loop(
    operation: Operation, concurrency: int, *, count: int | None = None, duration_s: float | None = None
) -> Run:
    """`concurrency` clients each run operations back to back until `count` operations were
    started or `duration_s` has passed (operations in flight at the deadline still finish)."""
    if count is None and duration_s is None:
        raise ValueError("give count or duration_s")
    run = Run(concurrency)
    next_index = 0
    start = time.perf_counter()
    deadline = start + duration_s if duration_s is not None else math.inf

    async def client() -> None:
        nonlocal next_index
        task = asyncio.current_task()
        assert task is not None
        while time.perf_counter() < deadline and (count is None or next_index < count):
            if task.cancelling():
                raise asyncio.CancelledError
            index = next_index
            next_index += 1
            began = time.perf_counter()
            try:
                label, ref = await operation(index)
            except Exception as error:  # a failed operation is a result, not the end of the run
                if task.cancelling():  # the client library turned our cancellation into an error
                    raise asyncio.CancelledError from error
                label, ref = f"error:{type(error).__name__}", None
            run.samples.append(Sample(label, (time.perf_counter() - began) * 1000, ref))

    await asyncio.gather(*(client() for _ in range(concurrency)))
    run.elapsed_s = time.perf_counter() - start
    return run


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float], digits: int = 1) -> dict[str, float | int | None]:
    """p50, p95, p99 and the sample count; percentiles are None when nothing was measured."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "n": 0}
    stats: dict[str, float | int | None] = {
        f"p{p}": round(percentile(values, p), digits) for p in (50, 95, 99)
    }
    stats["n"] = len(values)
    return stats


def rss_mb(pid: int) -> float | None:
    """Resident set size of a live process, from /proc/<pid>/status (VmRSS)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def machine() -> dict[str, object]:
    memory_mb = None
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_mb = int(line.split()[1]) // 1024
    return {
        "cores": os.cpu_count(),
        "memory_mb": memory_mb,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def commit(root: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()
