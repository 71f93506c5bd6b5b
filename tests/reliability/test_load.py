"""Load (issue 8): many concurrent checkouts across 20 buyers near their limits, over real HTTP.

No buyer's exposure ever exceeds its limit (sampled while the checkouts run, and exactly at the
end), the approved invoices of each merchant are numbered 1..N without a gap, and no request
answers 5xx; an invoice that answered 202 reads as pending until decided (never 404). `make test`
runs 120 checkouts, `make test-reliability` 500."""

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from tests.reliability.conftest import scaled, served
from tests.utils.factories import auth, checkout_body, create_buyer, create_merchant
from tests.utils.invariants import cents
from tests.utils.waiting import eventually

MERCHANTS = 4
BUYERS_PER_MERCHANT = 5
# The orders ask for about 1.8x (short) and 3.7x (full) what each buyer's limit allows.
LIMIT = "500.00" if scaled(0, 1) == 0 else "1000.00"


async def test_concurrent_checkouts_near_the_limits_never_exceed_one_and_number_without_gaps(
    app_factory: Callable[..., FastAPI],
) -> None:
    total = scaled(120, 500)
    rng = random.Random(8)
    app = app_factory(decision_timeout_seconds=30)
    limits = httpx.Limits(max_connections=total, max_keepalive_connections=total)
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as api:
        keys = [await create_merchant(api, f"Load {n} GmbH") for n in range(MERCHANTS)]
        buyers = [
            (key, (await create_buyer(api, key, credit_limit=LIMIT))["id"])
            for key in keys
            for _ in range(BUYERS_PER_MERCHANT)
        ]
        # Orders of 59.50 to 238.00 each.
        bodies = []
        for n in range(total):
            key, buyer_id = buyers[n % len(buyers)]
            line = {"description": "Widget", "quantity": str(rng.randint(1, 4)), "unit_price": "50.00",
                    "tax_rate": "19"}  # fmt: skip
            bodies.append((key, buyer_id, checkout_body(buyer_id, lines=[line])))

        peaks: dict[str, int] = defaultdict(int)
        done = asyncio.Event()

        async def sample_exposure() -> None:
            """While the checkouts run, no buyer's exposure is ever above its limit."""
            while not done.is_set():
                for key, buyer_id in buyers:
                    response = await api.get(f"/v1/buyers/{buyer_id}", headers=auth(key))
                    assert response.status_code == 200, response.text
                    peaks[buyer_id] = max(peaks[buyer_id], cents(response.json()["credit"]["exposure"]))
                await asyncio.sleep(0.05)

        async def post(key: str, body: dict[str, Any]) -> httpx.Response:
            return await api.post("/v1/invoices", json=body, headers=auth(key))

        sampler = asyncio.create_task(sample_exposure())
        try:
            responses = await asyncio.gather(*(post(key, body) for key, _, body in bodies))
        finally:
            done.set()
            await sampler

        server_errors = [r.text for r in responses if r.status_code >= 500]
        assert not server_errors, server_errors
        assert {r.status_code for r in responses} <= {201, 202}, {r.status_code for r in responses}

        async def decided(key: str, invoice: dict[str, Any]) -> dict[str, Any]:
            """An answer that came back `pending` (202) reaches its decision."""
            if invoice["status"] != "pending":
                return invoice

            async def check() -> dict[str, Any] | None:
                response = await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))
                assert response.status_code == 200, response.text  # pending reads as pending
                live = response.json()
                return live if live["status"] != "pending" else None

            return await eventually(check, within=120, interval=0.5)

        # One poll at a time, as light as a shop's backend: hundreds at once took the CPU the
        # worker needed for the decisions they waited for.
        invoices = [await decided(key, r.json()) for (key, _, _), r in zip(bodies, responses, strict=True)]

        # Orders asking for about twice the limits: a run where every checkout was approved (no
        # limit enforced) or every one declined (nothing approved to count) proves nothing.
        decisions = {invoice["status"] for invoice in invoices}
        assert decisions == {"open", "declined"}, decisions
        approved: dict[str, int] = defaultdict(int)
        numbers: dict[str, list[int]] = defaultdict(list)
        for (key, buyer_id, _), invoice in zip(bodies, invoices, strict=True):
            assert invoice["status"] in ("open", "declined"), invoice
            if invoice["status"] == "open":
                approved[buyer_id] += cents(invoice["total"])
                numbers[key].append(int(invoice["number"].removeprefix("INV-")))
            else:
                assert invoice["decline_reason"] == "credit_limit_exceeded", invoice

        for key, buyer_id in buyers:
            buyer = (await api.get(f"/v1/buyers/{buyer_id}", headers=auth(key))).json()
            exposure = cents(buyer["credit"]["exposure"])
            assert exposure == approved[buyer_id] <= cents(LIMIT), (buyer_id, exposure, approved[buyer_id])
            assert peaks[buyer_id] <= cents(LIMIT), (buyer_id, peaks[buyer_id])
        for key in keys:
            assert sorted(numbers[key]) == list(range(1, len(numbers[key]) + 1)), sorted(numbers[key])
