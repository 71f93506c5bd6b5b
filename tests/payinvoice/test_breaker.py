"""The per-merchant gate in front of merchants' own endpoints: a concurrency limit and a circuit
breaker (payinvoice/breaker.py)."""

from hypothesis import given
from hypothesis import strategies as st

from payinvoice.breaker import MerchantGate, Ticket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _fail(gate: MerchantGate, key: str, times: int) -> None:
    for _ in range(times):
        ticket = gate.enter(key)
        assert isinstance(ticket, Ticket)
        gate.leave(ticket, ok=False)


def test_calls_beyond_the_merchants_limit_are_turned_away_as_busy() -> None:
    gate = MerchantGate(max_in_flight=2)
    assert isinstance(gate.enter("a"), Ticket) and isinstance(gate.enter("a"), Ticket)
    assert gate.enter("a") == "busy"


def test_one_merchants_busy_endpoint_leaves_the_others_their_calls() -> None:
    gate = MerchantGate(max_in_flight=1)
    gate.enter("slow")
    assert gate.enter("slow") == "busy"
    assert isinstance(gate.enter("other"), Ticket)


def test_the_circuit_opens_after_the_threshold_of_consecutive_failures() -> None:
    gate = MerchantGate(failure_threshold=3, clock=Clock())
    _fail(gate, "a", 2)
    assert not gate.is_open("a")
    _fail(gate, "a", 1)
    assert gate.is_open("a") and gate.enter("a") == "circuit_open"


def test_a_success_resets_the_count_of_failures() -> None:
    gate = MerchantGate(failure_threshold=3, clock=Clock())
    _fail(gate, "a", 2)
    ticket = gate.enter("a")
    assert isinstance(ticket, Ticket)
    gate.leave(ticket, ok=True)
    _fail(gate, "a", 2)
    assert not gate.is_open("a")


def test_after_the_cooldown_one_trial_call_goes_out_and_its_success_closes_the_circuit() -> None:
    clock = Clock()
    gate = MerchantGate(failure_threshold=1, open_seconds=30, clock=clock)
    _fail(gate, "a", 1)
    clock.now = 29.9
    assert gate.enter("a") == "circuit_open"
    clock.now = 30.0
    trial = gate.enter("a")
    assert isinstance(trial, Ticket) and trial.trial
    assert gate.enter("a") == "circuit_open"  # only one trial at a time
    gate.leave(trial, ok=True)
    assert not gate.is_open("a") and isinstance(gate.enter("a"), Ticket)


def test_a_failed_trial_opens_the_circuit_for_another_cooldown() -> None:
    clock = Clock()
    gate = MerchantGate(failure_threshold=1, open_seconds=30, clock=clock)
    _fail(gate, "a", 1)
    clock.now = 30.0
    trial = gate.enter("a")
    assert isinstance(trial, Ticket)
    gate.leave(trial, ok=False)
    clock.now = 59.0
    assert gate.enter("a") == "circuit_open"
    clock.now = 60.0
    assert isinstance(gate.enter("a"), Ticket)


@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.booleans()), max_size=60))
def test_calls_in_flight_never_exceed_the_limit(calls: list[tuple[str, bool]]) -> None:
    gate = MerchantGate(max_in_flight=3, failure_threshold=1000)
    held: dict[str, list[Ticket]] = {"a": [], "b": []}
    for key, finish in calls:
        if finish and held[key]:
            gate.leave(held[key].pop(), ok=True)
            continue
        ticket = gate.enter(key)
        if isinstance(ticket, Ticket):
            held[key].append(ticket)
        assert len(held[key]) <= 3
