"""The credit policy end to end: frozen decisions, limits that learn from payments, suspension
after days overdue, the merchant's exposure cap, manual review and the external credit check."""

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from dev.mailsink import MailSink
from dev.scoring_server import ScoringServer
from payinvoice.contracts import CreditDecision, invoice_workflow_id
from tests.utils.clients import api_with
from tests.utils.credit import (
    SCORING_SECRET,
    buyer_status_becomes,
    configure_credit_check,
    create_policy_buyer,
    credit_history,
    exposure_becomes,
    get_buyer,
    get_invoice,
    paid_days_late,
    patch_buyer,
    put_policy,
    review,
    settled,
)
from tests.utils.factories import (
    auth,
    checkout,
    create_buyer,
    create_merchant,
    error_code,
    open_invoice,
    post_payment,
)
from tests.utils.histories import record_history
from tests.utils.waiting import eventually, invoice_reaches, mails_arrive

# Late payments are dated, not waited for: a long day leaves a wide margin between the invoice's
# created_at and the instant it was issued, from which its due instant counts.
# A reported paid_at may lie at most 5 minutes ahead (payinvoice.rules.PAID_AT_SKEW): 30 days of
# terms and 30 days late stay within it at 3 s a day.
DAY = 3.0
# A twentieth of a second: an invoice on net 0 is a few days overdue within a fraction of a second.
FAST_DAY = 0.05
GROW_EVERY_2 = {"after_on_time_payments": 2, "step": "500.00", "cap": "5000.00"}


fast_api = api_with(day_seconds=FAST_DAY)
dated_api = api_with(day_seconds=DAY)


@pytest.fixture
def scoring() -> Iterator[ScoringServer]:
    with ScoringServer(SCORING_SECRET) as server:
        yield server


async def pay_on_time(api: httpx.AsyncClient, key: str, invoice_id: str) -> None:
    paid = await post_payment(api, key, invoice_id)
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid", paid.text


async def pay_late(api: httpx.AsyncClient, key: str, invoice: dict[str, Any], days: int) -> None:
    paid = await post_payment(api, key, invoice["id"], paid_at=paid_days_late(invoice, days, DAY))
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid", paid.text


async def pending_review(api: httpx.AsyncClient, key: str, buyer_id: str, **fields: Any) -> dict[str, Any]:
    response = await checkout(api, key, buyer_id, **fields)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending_review", response.text
    return response.json()


# Decisions


async def test_an_approved_checkout_carries_its_decision_and_the_policy_version(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key)
    buyer = await create_policy_buyer(api, key)

    invoice = await open_invoice(api, key, buyer["id"])

    decision = invoice["decision"]
    assert set(decision) == {
        "outcome", "reason", "rule", "limit", "exposure", "amount", "policy_version", "evaluated_at",
    }
    assert {k: decision[k] for k in ("outcome", "reason", "rule", "limit", "exposure", "amount")} == {
        "outcome": "approved", "reason": None, "rule": "within_limit", "limit": "1000.00",
        "exposure": "0.00", "amount": "119.00",
    }  # fmt: skip
    assert decision["policy_version"] == 1
    assert decision["evaluated_at"]


async def test_a_declined_checkout_names_the_rule_and_what_it_saw(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_policy_buyer(api, key)
    await open_invoice(api, key, buyer["id"], lines=[
        {"description": "Crate", "quantity": "1", "unit_price": "900.00", "tax_rate": "0"}
    ])

    response = await checkout(api, key, buyer["id"])

    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["decline_reason"]) == (
        "declined", "credit_limit_exceeded"
    )
    decision = response.json()["decision"]
    assert (decision["outcome"], decision["rule"], decision["reason"]) == (
        "declined", "credit_limit", "credit_limit_exceeded"
    )
    assert (decision["limit"], decision["exposure"], decision["amount"]) == ("1000.00", "900.00", "119.00")
    assert decision["policy_version"] == 0


async def test_the_decision_is_in_the_workflow_memo(api: httpx.AsyncClient, temporal_client: Client) -> None:
    key = await create_merchant(api)
    await put_policy(api, key)
    buyer = await create_policy_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])

    described = await temporal_client.get_workflow_handle(invoice["workflow_id"]).describe()
    memo = await described.memo_value("decision", type_hint=CreditDecision)

    assert (memo.outcome, memo.rule, memo.reason) == ("approved", "within_limit", None)
    assert (memo.limit, memo.exposure, memo.amount, memo.policy_version) == (100_000, 0, 11_900, 1)


async def test_a_later_policy_change_does_not_change_an_earlier_decision(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_policy(api, key)
    buyer = await create_policy_buyer(api, key)
    before = await open_invoice(api, key, buyer["id"])

    await put_policy(api, key, auto_approve_up_to="50.00")
    after = await pending_review(api, key, buyer["id"])

    again = await get_invoice(api, key, before["id"])
    assert again["decision"] == before["decision"]
    assert (again["status"], again["decision"]["policy_version"]) == ("open", 1)
    assert (after["decision"]["outcome"], after["decision"]["policy_version"]) == ("review", 2)


# Limits that learn


async def test_a_settled_invoice_updates_the_buyers_payment_record(dated_api: httpx.AsyncClient) -> None:
    key = await create_merchant(dated_api)
    buyer = await create_policy_buyer(dated_api, key)
    on_time = await open_invoice(dated_api, key, buyer["id"])
    late = await open_invoice(dated_api, key, buyer["id"])

    await pay_on_time(dated_api, key, on_time["id"])
    await settled(dated_api, key, buyer["id"], 1)
    await pay_late(dated_api, key, late, 3)

    record = (await settled(dated_api, key, buyer["id"], 2))["payment_record"]
    assert record == {
        "invoices_paid": 2, "paid_on_time": 1, "on_time_streak": 0, "average_days_late": "1.5",
        "worst_days_late": 3, "overdue_amount": "0.00",
    }  # fmt: skip


async def test_an_overdue_invoice_counts_in_the_payment_records_overdue_amount(
    fast_api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(fast_api)
    buyer = await create_policy_buyer(fast_api, key, payment_terms_days=0)
    invoice = await open_invoice(fast_api, key, buyer["id"])

    await invoice_reaches(fast_api, key, invoice["id"], "overdue")  # the workflow's own view

    async def recorded() -> bool:  # the read model follows a moment later
        return (await get_buyer(fast_api, key, buyer["id"]))["payment_record"]["overdue_amount"] == "119.00"

    await eventually(recorded)


async def test_the_limit_grows_by_step_after_the_policys_on_time_payments_in_a_row(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, growth=GROW_EVERY_2)
    buyer = await create_policy_buyer(api, key)
    first, second = [await open_invoice(api, key, buyer["id"]) for _ in range(2)]

    await pay_on_time(api, key, first["id"])
    after_one = await settled(api, key, buyer["id"], 1)
    await pay_on_time(api, key, second["id"])
    after_two = await settled(api, key, buyer["id"], 2)

    assert after_one["credit_limit"] == "1000.00"
    assert (after_two["credit_limit"], after_two["limit_source"]) == ("1500.00", "policy")
    assert after_two["payment_record"]["on_time_streak"] == 2
    newest = (await credit_history(api, key, buyer["id"]))[0]
    assert (newest["kind"], newest["old_limit"], newest["new_limit"], newest["invoice_id"]) == (
        "limit_changed", "1000.00", "1500.00", second["id"]
    )
    assert newest["reason"]


async def test_growth_stops_at_the_growth_cap(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, growth={"after_on_time_payments": 1, "step": "500.00", "cap": "1200.00"})
    buyer = await create_policy_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])

    await pay_on_time(api, key, invoice["id"])

    assert (await settled(api, key, buyer["id"], 1))["credit_limit"] == "1200.00"


async def test_growth_stops_at_the_policys_max_limit(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_policy(
        api, key, max_limit="1300.00",
        growth={"after_on_time_payments": 1, "step": "500.00", "cap": "5000.00"},
    )
    buyer = await create_policy_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])

    await pay_on_time(api, key, invoice["id"])

    assert (await settled(api, key, buyer["id"], 1))["credit_limit"] == "1300.00"


async def test_a_payment_more_than_the_policys_days_late_multiplies_the_limit_by_its_factor(
    dated_api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(dated_api)  # the default policy: factor 0.5 over 15 days late
    buyer = await create_policy_buyer(dated_api, key)
    invoice = await open_invoice(dated_api, key, buyer["id"])

    await pay_late(dated_api, key, invoice, 20)

    after = await settled(dated_api, key, buyer["id"], 1)
    assert after["credit_limit"] == "500.00"
    assert (after["payment_record"]["worst_days_late"], after["payment_record"]["average_days_late"]) == (
        20, "20.0"
    )
    newest = (await credit_history(dated_api, key, buyer["id"]))[0]
    assert (newest["kind"], newest["old_limit"], newest["new_limit"], newest["invoice_id"]) == (
        "limit_changed", "1000.00", "500.00", invoice["id"]
    )


async def test_a_payment_exactly_the_policys_days_late_keeps_the_limit(dated_api: httpx.AsyncClient) -> None:
    key = await create_merchant(dated_api)
    buyer = await create_policy_buyer(dated_api, key)
    invoice = await open_invoice(dated_api, key, buyer["id"])

    await pay_late(dated_api, key, invoice, 15)

    after = await settled(dated_api, key, buyer["id"], 1)
    assert (after["credit_limit"], after["payment_record"]["worst_days_late"]) == ("1000.00", 15)
    assert [e["kind"] for e in await credit_history(dated_api, key, buyer["id"])] == ["limit_set"]


async def test_the_policy_never_changes_a_manual_limit(dated_api: httpx.AsyncClient) -> None:
    key = await create_merchant(dated_api)
    await put_policy(dated_api, key, growth={"after_on_time_payments": 1, "step": "500.00", "cap": "5000.00"})
    buyer = await create_buyer(dated_api, key, credit_limit="1000.00")
    on_time = await open_invoice(dated_api, key, buyer["id"])
    late = await open_invoice(dated_api, key, buyer["id"])

    await pay_on_time(dated_api, key, on_time["id"])
    await settled(dated_api, key, buyer["id"], 1)
    await pay_late(dated_api, key, late, 30)

    after = await settled(dated_api, key, buyer["id"], 2)
    assert (after["credit_limit"], after["limit_source"]) == ("1000.00", "manual")
    assert [e["kind"] for e in await credit_history(dated_api, key, buyer["id"])] == ["limit_set"]


async def test_back_on_the_policy_a_buyers_limit_learns_again(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, growth={"after_on_time_payments": 1, "step": "500.00", "cap": "5000.00"})
    buyer = await create_buyer(api, key, credit_limit="300.00")
    assert (await patch_buyer(api, key, buyer["id"], limit_source="policy"))["credit_limit"] == "1000.00"
    invoice = await open_invoice(api, key, buyer["id"])

    await pay_on_time(api, key, invoice["id"])

    assert (await settled(api, key, buyer["id"], 1))["credit_limit"] == "1500.00"


# Suspension after days overdue


async def test_an_invoice_overdue_for_the_policys_days_suspends_the_buyer(
    fast_api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(fast_api)
    await put_policy(fast_api, key, suspend_after_days_overdue=2)
    buyer = await create_policy_buyer(fast_api, key, payment_terms_days=0)
    invoice = await open_invoice(fast_api, key, buyer["id"])

    suspended = await buyer_status_becomes(fast_api, key, buyer["id"], "suspended")

    assert suspended["credit"]["status"] == "suspended"
    newest = (await credit_history(fast_api, key, buyer["id"]))[0]
    assert (newest["kind"], newest["invoice_id"]) == ("suspended", invoice["id"])
    current = await get_invoice(fast_api, key, invoice["id"])
    assert "final_notice" not in [r["stage"] for r in current["reminders"]]  # the policy's, not the ladder's


async def test_paying_the_invoice_that_suspended_the_buyer_reinstates_it(fast_api: httpx.AsyncClient) -> None:
    key = await create_merchant(fast_api)
    await put_policy(fast_api, key, suspend_after_days_overdue=2)
    buyer = await create_policy_buyer(fast_api, key, payment_terms_days=0)
    invoice = await open_invoice(fast_api, key, buyer["id"])
    await buyer_status_becomes(fast_api, key, buyer["id"], "suspended")
    current = await get_invoice(fast_api, key, invoice["id"])
    assert "final_notice" not in [r["stage"] for r in current["reminders"]]

    await pay_on_time(fast_api, key, invoice["id"])

    reinstated = await buyer_status_becomes(fast_api, key, buyer["id"], "active")
    assert reinstated["credit"]["status"] == "active"
    newest = (await credit_history(fast_api, key, buyer["id"]))[0]
    assert (newest["kind"], newest["invoice_id"]) == ("reinstated", invoice["id"])


async def test_without_suspend_after_days_overdue_an_overdue_buyer_stays_active(
    fast_api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(fast_api)
    await put_policy(fast_api, key)
    buyer = await create_policy_buyer(fast_api, key, payment_terms_days=0)
    invoice = await open_invoice(fast_api, key, buyer["id"])
    await invoice_reaches(fast_api, key, invoice["id"], "overdue")

    await asyncio.sleep(10 * FAST_DAY)  # well past 2 days overdue

    # Only the ladder's final notice (a few days later, and a busy machine gets there) may
    # suspend this buyer; the policy, without suspend_after_days_overdue, never does.
    history = await credit_history(fast_api, key, buyer["id"])
    assert [e for e in history if e["kind"] == "suspended" and e["reason"].endswith(": overdue")] == []


# The merchant's exposure cap


# 200 decisions at once take seconds on one machine: wait for each rather than answer 202.
patient_api = api_with(decision_timeout_seconds=60)


async def test_concurrent_checkouts_never_push_the_merchants_exposure_over_its_cap(
    patient_api: httpx.AsyncClient,
) -> None:
    api = patient_api
    key = await create_merchant(api)
    await put_policy(api, key, max_limit="100000.00", max_total_exposure="2400.00")
    buyers = [await create_buyer(api, key, credit_limit="100000.00") for _ in range(20)]

    responses = await asyncio.gather(*(checkout(api, key, buyers[i % 20]["id"]) for i in range(200)))

    assert {r.status_code for r in responses} == {201}, {r.status_code for r in responses}
    opened = [r.json() for r in responses if r.json()["status"] == "open"]
    declined = [r.json() for r in responses if r.json()["status"] == "declined"]
    assert len(opened) == 20  # 20 x 119.00 = 2380.00 fits in 2400.00, a 21st would not
    assert sum(Decimal(i["total"]) for i in opened) <= Decimal("2400.00")
    assert {d["decline_reason"] for d in declined} == {"merchant_exposure_cap"}
    assert {d["decision"]["rule"] for d in declined} == {"merchant_exposure_cap"}
    params = {"status": "open", "limit": 100}
    listed = (await api.get("/v1/invoices", params=params, headers=auth(key))).json()
    assert sum(Decimal(i["total"]) for i in listed["data"]) <= Decimal("2400.00")
    exposures = [Decimal((await get_buyer(api, key, b["id"]))["credit"]["exposure"]) for b in buyers]
    assert sum(exposures) == Decimal("2380.00")


async def test_a_paid_invoice_frees_room_under_the_merchants_cap(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, max_total_exposure="150.00")
    first = await create_policy_buyer(api, key)
    second = await create_policy_buyer(api, key)
    invoice = await open_invoice(api, key, first["id"])
    capped = (await checkout(api, key, second["id"])).json()
    assert (capped["status"], capped["decline_reason"]) == ("declined", "merchant_exposure_cap")

    await pay_on_time(api, key, invoice["id"])

    await open_invoice(api, key, second["id"])


# Manual review


async def test_an_order_above_auto_approve_up_to_waits_for_review_with_its_credit_reserved(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, auto_approve_up_to="100.00", review_days=30)
    buyer = await create_policy_buyer(api, key)

    invoice = await pending_review(api, key, buyer["id"])

    assert invoice["number"] is None
    assert (invoice["decision"]["outcome"], invoice["decision"]["rule"]) == ("review", "auto_approve_up_to")
    assert (await get_buyer(api, key, buyer["id"]))["credit"]["exposure"] == "119.00"
    listed = await api.get("/v1/invoices", params={"status": "pending_review"}, headers=auth(key))
    assert [i["id"] for i in listed.json()["data"]] == [invoice["id"]]


async def test_an_order_up_to_auto_approve_up_to_is_approved_at_once(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, auto_approve_up_to="119.00")
    buyer = await create_policy_buyer(api, key)

    invoice = await open_invoice(api, key, buyer["id"])

    assert invoice["decision"]["outcome"] == "approved"


async def test_every_order_of_a_buyer_with_review_all_waits_for_review(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, review_days=30)
    buyer = await create_policy_buyer(api, key, review_all=True)

    invoice = await pending_review(api, key, buyer["id"], lines=[
        {"description": "Pin", "quantity": "1", "unit_price": "1.00", "tax_rate": "0"}
    ])

    assert (invoice["decision"]["outcome"], invoice["decision"]["rule"]) == ("review", "review_all")


async def test_review_all_set_by_patch_sends_the_next_order_to_review(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, review_days=30)
    buyer = await create_policy_buyer(api, key)

    await patch_buyer(api, key, buyer["id"], review_all=True)

    await pending_review(api, key, buyer["id"])


async def test_approving_a_review_opens_the_invoice_with_a_number_and_emails_it(
    api: httpx.AsyncClient, mail: MailSink, temporal_client: Client
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, auto_approve_up_to="100.00", review_days=30)
    buyer = await create_policy_buyer(api, key)
    invoice = await pending_review(api, key, buyer["id"])

    response = await review(api, key, invoice["id"], "approve", "known customer")

    assert response.status_code == 200, response.text
    approved = response.json()
    assert (approved["status"], approved["number"]) == ("open", "INV-000001")
    assert approved["review"]["decision"] == "approve"
    assert approved["review"]["note"] == "known customer"
    received = await mails_arrive(mail, buyer["email"], 1)
    assert received[0]["X-Payinvoice-Kind"] == "invoice"
    assert (await get_buyer(api, key, buyer["id"]))["credit"]["exposure"] == "119.00"
    await record_history(temporal_client, approved["workflow_id"], "approved_after_review")


async def test_declining_a_review_declines_the_invoice_and_releases_the_credit(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, auto_approve_up_to="100.00", review_days=30)
    buyer = await create_policy_buyer(api, key)
    invoice = await pending_review(api, key, buyer["id"])

    response = await review(api, key, invoice["id"], "decline", "not this one")

    assert response.status_code == 200, response.text
    declined = response.json()
    assert (declined["status"], declined["decline_reason"], declined["number"]) == (
        "declined", "review_declined", None
    )
    assert declined["decision"]["reason"] == "review_declined"
    await exposure_becomes(api, key, buyer["id"], "0.00")


@pytest.mark.parametrize(
    ("first", "then", "status"), [("approve", "decline", "open"), ("decline", "approve", "declined")]
)
async def test_a_second_review_is_refused_as_not_in_review(
    api: httpx.AsyncClient, first: str, then: str, status: str
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, auto_approve_up_to="100.00", review_days=30)
    buyer = await create_policy_buyer(api, key)
    invoice = await pending_review(api, key, buyer["id"])
    reviewed = await review(api, key, invoice["id"], first)
    assert reviewed.status_code == 200, reviewed.text

    again = await review(api, key, invoice["id"], then)

    assert again.status_code == 409, again.text
    assert error_code(again) == "invoice_not_in_review"
    assert (await get_invoice(api, key, invoice["id"]))["status"] == status


async def test_reviewing_an_invoice_that_never_waited_for_review_is_refused(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_policy_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])

    response = await review(api, key, invoice["id"], "approve")

    assert response.status_code == 409, response.text
    assert error_code(response) == "invoice_not_in_review"


async def test_an_order_not_reviewed_within_review_days_is_declined_and_releases_the_credit(
    fast_api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(fast_api)
    await put_policy(fast_api, key, auto_approve_up_to="100.00", review_days=2)
    buyer = await create_policy_buyer(fast_api, key)
    invoice = await pending_review(fast_api, key, buyer["id"])

    expired = await invoice_reaches(fast_api, key, invoice["id"], "declined", within=10)

    assert expired["decline_reason"] == "review_expired"
    assert expired["number"] is None
    await exposure_becomes(fast_api, key, buyer["id"], "0.00")
    late = await review(fast_api, key, invoice["id"], "approve")
    assert late.status_code == 409, late.text
    assert error_code(late) == "invoice_not_in_review"


# The external credit check


async def test_a_decline_from_the_external_check_declines_the_checkout(
    api: httpx.AsyncClient, scoring: ScoringServer
) -> None:
    key = await create_merchant(api)
    await configure_credit_check(api, key, scoring.url)
    scoring.decline()
    buyer = await create_policy_buyer(api, key)

    response = await checkout(api, key, buyer["id"])

    assert response.status_code == 201, response.text
    invoice = response.json()
    assert (invoice["status"], invoice["decline_reason"]) == ("declined", "external_check_declined")
    assert (invoice["decision"]["rule"], invoice["decision"]["outcome"]) == ("external_check", "declined")
    assert len(scoring.requests) == 1 and scoring.requests[0].signature_valid
    assert (await get_buyer(api, key, buyer["id"]))["credit"]["exposure"] == "0.00"


async def test_a_review_from_the_external_check_waits_for_review(
    api: httpx.AsyncClient, scoring: ScoringServer
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, review_days=30)
    await configure_credit_check(api, key, scoring.url)
    scoring.review()
    buyer = await create_policy_buyer(api, key)

    invoice = await pending_review(api, key, buyer["id"])

    assert (invoice["decision"]["outcome"], invoice["decision"]["rule"]) == ("review", "external_check")


async def _local_activities(client: Client, invoice_id: str) -> list[str]:
    """The local activities an invoice's workflow ran, in order, from the markers in its history."""
    history = await client.get_workflow_handle(invoice_workflow_id(invoice_id)).fetch_history()
    return [
        json.loads(event.marker_recorded_event_attributes.details["data"].payloads[0].data)["activity_type"]
        for event in history.events
        if event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]


async def test_a_merchant_without_an_external_check_is_decided_without_asking(
    api: httpx.AsyncClient, temporal_client: Client, scoring: ScoringServer
) -> None:
    """The checkout freezes whether the merchant has a scoring endpoint: without one the decision
    runs no `check_credit_externally` (one local activity fewer); with one it asks."""
    plain = await create_merchant(api)
    checked = await create_merchant(api)
    await configure_credit_check(api, checked, scoring.url)
    scoring.approve()

    without = await checkout(api, plain, (await create_policy_buyer(api, plain))["id"])
    with_check = await checkout(api, checked, (await create_policy_buyer(api, checked))["id"])

    assert (without.status_code, with_check.status_code) == (201, 201), (without.text, with_check.text)
    decision = ["reserve_credit", "save_invoice"]  # the number comes with the reservation
    assert await _local_activities(temporal_client, without.json()["id"]) == decision
    # The check itself is a regular activity (EXTERNAL_CHECK_ACTIVITY_PATCH): off the workflow task.
    assert await _local_activities(temporal_client, with_check.json()["id"]) == decision
    assert "check_credit_externally" in await _activities(temporal_client, with_check.json()["id"])
    assert "check_credit_externally" not in await _activities(temporal_client, without.json()["id"])
    checked_id = invoice_workflow_id(with_check.json()["id"])
    await record_history(temporal_client, checked_id, "external_check_as_activity")


async def _activities(client: Client, invoice_id: str) -> list[str]:
    """The (regular) activities an invoice's workflow scheduled, in order."""
    history = await client.get_workflow_handle(invoice_workflow_id(invoice_id)).fetch_history()
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]


async def test_an_approval_with_a_limit_sets_a_policy_buyers_limit(
    api: httpx.AsyncClient, scoring: ScoringServer
) -> None:
    key = await create_merchant(api)
    await configure_credit_check(api, key, scoring.url)
    scoring.approve(limit="2500.00")
    buyer = await create_policy_buyer(api, key)

    invoice = await open_invoice(api, key, buyer["id"])

    assert invoice["decision"]["limit"] == "2500.00"
    after = await get_buyer(api, key, buyer["id"])
    assert (after["credit_limit"], after["limit_source"]) == ("2500.00", "policy")
    newest = (await credit_history(api, key, buyer["id"]))[0]
    assert (newest["kind"], newest["old_limit"], newest["new_limit"]) == (
        "limit_changed", "1000.00", "2500.00"
    )


async def test_an_approval_with_a_limit_leaves_a_manual_limit_alone(
    api: httpx.AsyncClient, scoring: ScoringServer
) -> None:
    key = await create_merchant(api)
    await configure_credit_check(api, key, scoring.url)
    scoring.approve(limit="2500.00")
    buyer = await create_buyer(api, key, credit_limit="700.00")

    await open_invoice(api, key, buyer["id"])

    assert (await get_buyer(api, key, buyer["id"]))["credit_limit"] == "700.00"


async def test_a_slow_external_check_with_on_error_decline_declines(
    api: httpx.AsyncClient, scoring: ScoringServer
) -> None:
    key = await create_merchant(api)
    await configure_credit_check(api, key, scoring.url, timeout_ms=200, on_error="decline")
    scoring.slow(5.0)
    buyer = await create_policy_buyer(api, key)

    response = await checkout(api, key, buyer["id"])

    assert response.status_code == 201, response.text
    assert response.json()["decline_reason"] == "external_check_declined"


async def test_a_slow_external_check_with_on_error_approve_within_limit_approves(
    api: httpx.AsyncClient, scoring: ScoringServer
) -> None:
    key = await create_merchant(api)
    await configure_credit_check(api, key, scoring.url, timeout_ms=200, on_error="approve_within_limit")
    scoring.slow(5.0)
    buyer = await create_policy_buyer(api, key)

    invoice = await open_invoice(api, key, buyer["id"])

    assert invoice["decision"]["rule"] == "within_limit"


async def test_a_slow_external_check_with_on_error_approve_within_limit_still_holds_the_limit(
    api: httpx.AsyncClient, scoring: ScoringServer
) -> None:
    key = await create_merchant(api)
    await configure_credit_check(api, key, scoring.url, timeout_ms=200, on_error="approve_within_limit")
    scoring.slow(5.0)
    buyer = await create_policy_buyer(api, key)

    response = await checkout(api, key, buyer["id"], lines=[
        {"description": "Crate", "quantity": "1", "unit_price": "1500.00", "tax_rate": "0"}
    ])

    assert response.status_code == 201, response.text
    assert response.json()["decline_reason"] == "credit_limit_exceeded"


async def test_a_second_checkout_within_cache_days_does_not_ask_the_server_again(
    api: httpx.AsyncClient, scoring: ScoringServer
) -> None:
    key = await create_merchant(api)
    await configure_credit_check(api, key, scoring.url, cache_days=30)
    scoring.approve()
    buyer = await create_policy_buyer(api, key)
    await open_invoice(api, key, buyer["id"])

    await open_invoice(api, key, buyer["id"])

    assert len(scoring.requests) == 1


async def test_without_a_credit_check_configured_the_server_is_never_asked(
    api: httpx.AsyncClient, scoring: ScoringServer
) -> None:
    key = await create_merchant(api)
    other = await create_merchant(api, name="Other GmbH")
    await configure_credit_check(api, other, scoring.url)
    buyer = await create_policy_buyer(api, key)

    await open_invoice(api, key, buyer["id"])

    assert scoring.requests == []

