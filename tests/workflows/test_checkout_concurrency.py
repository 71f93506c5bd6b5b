"""Checkouts that race: the credit limit, one invoice per order, gapless numbers."""

import asyncio
from collections.abc import Callable

import httpx
from temporalio.client import Client

from dev.mailsink import MailSink
from tests.utils.factories import auth, checkout, checkout_body, create_buyer, create_merchant
from tests.utils.histories import record_history
from tests.utils.waiting import mails_arrive, mails_to


async def test_fifty_concurrent_checkouts_never_push_exposure_over_the_limit(
    api_factory: Callable[..., httpx.AsyncClient],
) -> None:
    # Every checkout waits for its decision: on a loaded CI machine fifty queued on one buyer's
    # row can take longer than the usual 10 s, and a 202 would say nothing about the limit.
    async with api_factory(decision_timeout_seconds=60) as api:
        key = await create_merchant(api)
        buyer = await create_buyer(api, key, credit_limit="1000.00")
        responses = await asyncio.gather(*(checkout(api, key, buyer["id"]) for _ in range(50)))
        credit = (await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(key))).json()["credit"]

    assert {r.status_code for r in responses} == {201}
    outcomes = [r.json()["status"] for r in responses]
    assert outcomes.count("open") == 8  # 8 x 119.00 fits in 1000.00, a ninth would not
    assert {r.json()["decline_reason"] for r in responses if r.json()["status"] == "declined"} == {
        "credit_limit_exceeded"
    }
    assert credit["exposure"] == "952.00"


async def test_the_same_order_twenty_times_at_once_makes_one_invoice_and_one_email(
    api: httpx.AsyncClient, mail: MailSink
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = checkout_body(buyer["id"])

    responses = await asyncio.gather(
        *(api.post("/v1/invoices", json=body, headers=auth(key)) for _ in range(20))
    )

    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.json()["number"] for r in responses}) == 1
    listed = (await api.get("/v1/invoices", headers=auth(key))).json()["data"]
    assert len(listed) == 1
    await mails_arrive(mail, buyer["email"], 1)
    await asyncio.sleep(0.5)
    assert len(mails_to(mail, buyer["email"])) == 1
    credit = (await api.get(f"/v1/buyers/{buyer['id']}", headers=auth(key))).json()["credit"]
    assert credit["exposure"] == "119.00"


async def test_a_repeated_order_after_it_was_declined_answers_200_with_the_same_decision(
    api: httpx.AsyncClient, temporal_client: Client
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, credit_limit="10.00")
    body = checkout_body(buyer["id"])

    first = await api.post("/v1/invoices", json=body, headers=auth(key))
    again = await api.post("/v1/invoices", json=body, headers=auth(key))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "declined"
    await record_history(temporal_client, first.json()["workflow_id"], "declined")


async def test_invoice_numbers_stay_gapless_when_decisions_race_and_decline(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    rich = await create_buyer(api, key, credit_limit="100000.00")
    poor = await create_buyer(api, key, credit_limit="100.00")

    responses = await asyncio.gather(
        *(checkout(api, key, buyer["id"]) for buyer in [rich, poor] * 15)
    )

    numbers = sorted(r.json()["number"] for r in responses if r.json()["status"] == "open")
    declined = [r.json() for r in responses if r.json()["status"] == "declined"]
    assert numbers == [f"INV-{n:06d}" for n in range(1, len(numbers) + 1)]
    assert len(numbers) == 15
    assert all(d["number"] is None for d in declined)
