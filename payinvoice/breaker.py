"""Per-merchant protection of calls to a merchant's own endpoint (the external credit check): a
concurrency limit and a circuit breaker, so that one merchant's slow or failing endpoint holds a
bounded share of a worker and is skipped while it keeps failing, instead of starving the
decisions of every other merchant. In-process state: each worker process counts on its own."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Circuit:
    failures: int = 0  # consecutive
    open_until: float = 0.0
    in_flight: int = 0
    trial: bool = False  # half-open: one call is finding out whether the endpoint is back


@dataclass(frozen=True)
class Ticket:
    """A call let through for `key`; `trial`: the one call of a half-open circuit."""

    key: str
    trial: bool = False


@dataclass
class MerchantGate:
    """`enter(key)` lets a call for `key` go out now (a `Ticket`) or says why not; every ticket
    ends with `leave(ticket, ok)`. After `failure_threshold` consecutive failures the circuit opens
    for `open_seconds`; then one trial call is let through, and its outcome closes the circuit or
    opens it again."""

    max_in_flight: int = 4
    failure_threshold: int = 5
    open_seconds: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _circuits: dict[str, _Circuit] = field(default_factory=dict)

    def enter(self, key: str) -> Ticket | str:
        """A ticket to go ahead (hand it to `leave` after), or the reason the call is skipped."""
        circuit = self._circuits.setdefault(key, _Circuit())
        trial = False
        if circuit.failures >= self.failure_threshold:
            if self.clock() < circuit.open_until or circuit.trial:
                return "circuit_open"
            circuit.trial = trial = True
        elif circuit.in_flight >= self.max_in_flight:
            return "busy"
        circuit.in_flight += 1
        return Ticket(key, trial)

    def leave(self, ticket: Ticket, ok: bool) -> None:
        circuit = self._circuits[ticket.key]
        circuit.in_flight -= 1
        if ticket.trial:
            circuit.trial = False
        if ok:
            circuit.failures = 0
            return
        circuit.failures += 1
        if circuit.failures >= self.failure_threshold:
            circuit.open_until = self.clock() + self.open_seconds

    def is_open(self, key: str) -> bool:
        circuit = self._circuits.get(key)
        return circuit is not None and circuit.failures >= self.failure_threshold
