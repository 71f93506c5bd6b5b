"""Money invariants (issue 8): a hypothesis state machine drives random sequences of checkouts,
partial, full and over-payments, duplicate payments, voids and days passing against the real
app, worker, Temporal and database, and checks after every step:

- per invoice, amount_paid + amount_due - overpaid == total, and nothing is negative;
- every payment id is counted once, and exactly the payments the model expects are applied;
- the buyer's exposure is the sum of amount_due over its pending/open/overdue invoices (the
  ledger follows a moment after the workflow: polled briefly).

Hypothesis drives a synchronous machine, so it runs in a thread and hands each API call to the
test loop, where the worker and the app live. `make test` runs 5 sequences of 8 steps with a
fixed seed; `make test-reliability` 25 of 20 with fresh ones.
"""

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.reliability.conftest import FULL, scaled
from tests.utils.factories import auth, checkout, create_buyer, create_merchant, error_code, post_payment
from tests.utils.invariants import check_amounts, exposure_is_sum_of_open_amounts, get_invoices
from tests.utils.waiting import eventually

T = TypeVar("T")
DAY_SECONDS = 0.05  # the whole ladder (net 1 + 45 days) passes in about 2.3 s
PAYABLE = {"open", "overdue", "uncollectible"}


class Model:
    """What the test knows for sure about one invoice."""

    def __init__(self, invoice: dict[str, Any]) -> None:
        self.id: str = invoice["id"]
        self.total = Decimal(invoice["total"])
        self.final: str | None = None  # paid or void once we made it so
        self.payments: dict[str, Decimal] = {}  # applied payment id -> amount

    @property
    def paid(self) -> Decimal:
        return sum(self.payments.values(), Decimal(0))


def money_machine(
    api: httpx.AsyncClient, loop: asyncio.AbstractEventLoop
) -> type[RuleBasedStateMachine]:
    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    class MoneyMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.invoices: list[Model] = []
            self.key = ""
            self.buyer_id = ""

        @initialize()
        def merchant_and_buyer(self) -> None:
            async def make() -> tuple[str, str]:
                key = await create_merchant(api, "Invariants GmbH")
                buyer = await create_buyer(api, key, credit_limit="600.00", payment_terms_days=1)
                return key, buyer["id"]

            self.key, self.buyer_id = run(make())

        def _post(self, model: Model, payment_id: str, amount: Decimal) -> httpx.Response:
            return run(post_payment(api, self.key, model.id, payment_id=payment_id, amount=f"{amount:.2f}"))

        def _pick(self, index: int) -> Model:
            return self.invoices[index % len(self.invoices)]

        def _live(self, model: Model) -> dict[str, Any]:
            return run(get_invoices(api, self.key, [model.id]))[0]

        @rule(quantity=st.integers(1, 4))
        def checkout(self, quantity: int) -> None:
            line = {"description": "Widget", "quantity": str(quantity), "unit_price": "50.00",
                    "tax_rate": "19"}  # fmt: skip
            response = run(checkout(api, self.key, self.buyer_id, lines=[line]))
            assert response.status_code in (201, 202), response.text
            invoice = response.json()
            if invoice["status"] == "pending":
                invoice = run(eventually(lambda: self._decided(invoice["id"]), within=30))
            assert invoice["status"] in ("open", "declined"), invoice
            if invoice["status"] == "open":
                self.invoices.append(Model(invoice))

        async def _decided(self, invoice_id: str) -> dict[str, Any] | None:
            live = (await api.get(f"/v1/invoices/{invoice_id}", headers=auth(self.key))).json()
            return live if live["status"] != "pending" else None

        @precondition(lambda self: self.invoices)
        @rule(index=st.integers(0, 100), kind=st.sampled_from(["part", "rest", "over"]))
        def pay(self, index: int, kind: str) -> None:
            model = self._pick(index)
            due = max(model.total - model.paid, Decimal("0.01"))
            amount = {"part": min(Decimal("10.00"), due), "rest": due, "over": due + Decimal("5.00")}[kind]
            payment_id = f"psp-{uuid.uuid4().hex[:10]}"
            response = self._post(model, payment_id, amount)
            if model.final is not None:
                assert response.status_code == 409, response.text
                assert error_code(response) == "invoice_not_payable"
                return
            assert response.status_code == 200, response.text
            model.payments[payment_id] = amount
            if model.paid >= model.total:
                model.final = "paid"
            assert response.json()["status"] == (model.final or response.json()["status"])

        @precondition(lambda self: any(m.payments for m in self.invoices))
        @rule(index=st.integers(0, 100))
        def duplicate_payment(self, index: int) -> None:
            """A payment reported again (the processor retried): 200, applied once."""
            paid = [m for m in self.invoices if m.payments]
            model = paid[index % len(paid)]
            payment_id, amount = next(iter(model.payments.items()))
            response = self._post(model, payment_id, amount)
            assert response.status_code == 200, response.text
            assert [p["payment_id"] for p in response.json()["payments"]].count(payment_id) == 1

        @precondition(lambda self: self.invoices)
        @rule(index=st.integers(0, 100))
        def void(self, index: int) -> None:
            model = self._pick(index)
            status = self._live(model)["status"]
            response = run(
                api.post(f"/v1/invoices/{model.id}/void", json={"reason": "test"}, headers=auth(self.key))
            )
            if model.payments:
                assert (response.status_code, error_code(response)) == (409, "invoice_has_payments")
            elif model.final is not None or status == "uncollectible":
                assert (response.status_code, error_code(response)) == (409, "invoice_not_voidable")
            elif response.status_code == 409:  # it turned uncollectible after we looked
                assert error_code(response) == "invoice_not_voidable", response.text
            else:
                assert response.status_code == 200, response.text
                assert response.json()["status"] == "void"
                model.final = "void"

        @rule(days=st.sampled_from([1, 3, 10, 30]))
        def time_passes(self, days: int) -> None:
            run(asyncio.sleep(days * DAY_SECONDS))

        @invariant()
        def amounts_add_up_and_exposure_is_what_is_owed(self) -> None:
            if not self.key:
                return
            invoices = run(get_invoices(api, self.key, [m.id for m in self.invoices]))
            for model, invoice in zip(self.invoices, invoices, strict=True):
                check_amounts(invoice)
                applied = {p["payment_id"]: Decimal(p["amount"]) for p in invoice["payments"]}
                assert applied == model.payments, (invoice["id"], applied, model.payments)
                if model.final is not None:
                    assert invoice["status"] == model.final, invoice
                else:
                    assert invoice["status"] in PAYABLE, invoice
            ids = [m.id for m in self.invoices]
            run(exposure_is_sum_of_open_amounts(api, self.key, self.buyer_id, ids, within=5))

    return MoneyMachine


async def test_random_checkouts_payments_voids_and_days_keep_the_money_consistent(
    api_factory: Callable[..., httpx.AsyncClient],
) -> None:
    machine_settings = settings(
        max_examples=scaled(5, 25), stateful_step_count=scaled(8, 20), derandomize=not FULL,
        deadline=None, suppress_health_check=list(HealthCheck), database=None,
    )  # fmt: skip
    async with api_factory(day_seconds=DAY_SECONDS) as api:
        machine = money_machine(api, asyncio.get_running_loop())
        await asyncio.to_thread(run_state_machine_as_test, machine, settings=machine_settings)
