"""Changing an open invoice end to end: extend, pause and resume, dispute, promise to pay.
Real dev server, database and SMTP sink, with a day of a quarter of a second. Each test waits
for what the invoice shows rather than for fixed times where it can, and the gaps around each
request are days long, so a loaded machine does not change the outcome."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from dev.mailsink import MailSink
from tests.utils.clients import api_with
from tests.utils.dunning import current, days_after_issue, issue_on_ladder, reminders_reach, stage
from tests.utils.factories import auth, error_code, post_payment
from tests.utils.histories import record_history
from tests.utils.pages import every_item
from tests.utils.waiting import eventually, invoice_reaches, late_duplicates_arrive, mails_to

DAY = 0.25
TERMS = 8
# Two reminders from the due date on ("second" with the overdue transition), a third a week
# later, then the write-off that ends the ladder.
LADDER = [stage("first", 0), stage("second", 1), stage("third", 8), stage("end", 9, mark_uncollectible=True)]


fast_api = api_with(day_seconds=DAY)


@pytest.fixture
async def issued(fast_api: httpx.AsyncClient) -> dict[str, Any]:
    """A merchant key, its buyer and an open invoice on LADDER, net TERMS."""
    return await issue_on_ladder(fast_api, LADDER, TERMS)


async def change(api: httpx.AsyncClient, issued: dict[str, Any], action: str, **body: Any) -> httpx.Response:
    url = f"/v1/invoices/{issued['invoice']['id']}/{action}"
    return await api.post(url, json=body, headers=auth(issued["key"]))


async def events(api: httpx.AsyncClient, issued: dict[str, Any]) -> list[dict[str, Any]]:
    return await every_item(api, issued["key"], f"/v1/invoices/{issued['invoice']['id']}/events")


async def reaches(api: httpx.AsyncClient, issued: dict[str, Any], status: str) -> dict[str, Any]:
    return await invoice_reaches(api, issued["key"], issued["invoice"]["id"], status)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_an_extended_invoice_sends_each_reminder_on_the_re_anchored_schedule_exactly_once(
    fast_api: httpx.AsyncClient, issued: dict[str, Any], mail: MailSink, temporal_client: Client
) -> None:
    extended = await change(fast_api, issued, "extend", by_days=3, reason="buyer asked for time")

    assert extended.status_code == 200, extended.text
    body = extended.json()
    assert body["due_date"] == days_after_issue(issued, TERMS + 3)
    new_due = at(body["next_reminder"]["at"])
    assert body["next_reminder"]["stage"] == "first"
    await reaches(fast_api, issued, "uncollectible")
    sent = {r["stage"]: at(r["sent_at"]) for r in await reminders_reach(fast_api, issued, 3)}
    assert list(sent) == ["first", "second", "third"]
    for offset, name in zip([0, 1, 8], ["first", "second", "third"], strict=True):
        assert sent[name] >= new_due + timedelta(seconds=offset * DAY)
    await late_duplicates_arrive(DAY)
    received = [m for m in mails_to(mail, issued["buyer"]["email"]) if m["X-Payinvoice-Kind"] == "reminder"]
    assert [m["X-Reminder-Stage"] for m in received] == ["first", "second", "third"]
    await record_history(temporal_client, issued["invoice"]["workflow_id"], "extended")


async def test_extending_an_overdue_invoice_makes_it_open_again(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    await reaches(fast_api, issued, "overdue")

    extended = await change(fast_api, issued, "extend", due_date=days_after_issue(issued, 60), reason="x")

    assert extended.status_code == 200, extended.text
    assert (extended.json()["status"], extended.json()["due_date"]) == ("open", days_after_issue(issued, 60))


async def test_a_paused_invoice_sends_no_reminder(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    paused = await change(fast_api, issued, "pause", reason="credit note pending")
    assert paused.status_code == 200, paused.text
    assert (paused.json()["paused"], paused.json()["next_reminder"]) == (True, None)

    invoice = await reaches(fast_api, issued, "overdue")

    assert invoice["reminders"] == []  # "first" and "second" were due by then
    assert invoice["paused"] is True


async def test_resume_sends_only_the_latest_stage_missed_during_the_pause_and_shifts_the_rest(
    fast_api: httpx.AsyncClient, issued: dict[str, Any], temporal_client: Client
) -> None:
    await change(fast_api, issued, "pause", reason="checking the delivery")
    await reaches(fast_api, issued, "overdue")  # "first" and "second" were due by then

    resumed = await change(fast_api, issued, "resume", note="delivery confirmed")

    assert resumed.status_code == 200, resumed.text
    await reaches(fast_api, issued, "uncollectible")
    reminded = await reminders_reach(fast_api, issued, 2)
    assert [r["stage"] for r in reminded] == ["second", "third"]
    second, third = (at(r["sent_at"]) for r in reminded)
    assert third - second >= timedelta(seconds=12 * DAY)  # a week after due, shifted by the pause
    resume_event = next(e for e in await events(fast_api, issued) if e["kind"] == "resumed")
    assert resume_event["details"]["skipped"] == "first"
    await record_history(temporal_client, issued["invoice"]["workflow_id"], "paused_and_resumed")


async def test_resume_with_skip_missed_sends_none_of_the_missed_stages(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    await change(fast_api, issued, "pause", reason="x", resume_policy="skip_missed")
    await reaches(fast_api, issued, "overdue")

    await change(fast_api, issued, "resume")

    await reaches(fast_api, issued, "uncollectible")
    assert [r["stage"] for r in await reminders_reach(fast_api, issued, 1)] == ["third"]


async def test_a_pause_with_an_end_date_resumes_by_itself(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    paused = await change(fast_api, issued, "pause", reason="x", until=days_after_issue(issued, TERMS + 1))
    assert paused.json()["paused_until"] == days_after_issue(issued, TERMS + 1)

    reminders = await reminders_reach(fast_api, issued, 1)

    assert reminders[0]["stage"] == "second"
    resumed = next(e for e in await events(fast_api, issued) if e["kind"] == "resumed")
    assert resumed["who"] == {"role": "system", "key_id": None}


async def test_a_dispute_pauses_the_invoice_until_it_is_resolved(
    fast_api: httpx.AsyncClient, issued: dict[str, Any], temporal_client: Client
) -> None:
    disputed = await change(fast_api, issued, "dispute", reason="goods damaged")
    assert (disputed.json()["disputed"], disputed.json()["paused"]) == (True, True)
    assert (await reaches(fast_api, issued, "overdue"))["reminders"] == []

    resolved = await change(fast_api, issued, "resolve-dispute", note="replacement shipped")

    assert (resolved.json()["disputed"], resolved.json()["paused"]) == (False, False)
    assert (await reminders_reach(fast_api, issued, 1))[0]["stage"] == "second"
    kinds = [e["kind"] for e in await events(fast_api, issued)]
    assert [k for k in kinds if k.startswith("dispute")] == ["disputed", "dispute_resolved"]
    await record_history(temporal_client, issued["invoice"]["workflow_id"], "dispute_resolved")


async def test_a_broken_promise_resumes_the_ladder_where_it_stood(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    by = days_after_issue(issued, TERMS + 1)
    promised = await change(fast_api, issued, "promise", amount="50.00", date=by)
    assert promised.status_code == 200, promised.text
    assert promised.json()["promise"]["status"] == "pending"

    reminders = await reminders_reach(fast_api, issued, 1)

    assert reminders[0]["stage"] == "first"  # not skipped: the ladder goes on from where it stood
    invoice = await current(fast_api, issued)
    assert invoice["promise"]["status"] == "broken"
    assert at(reminders[0]["sent_at"]) >= at(invoice["created_at"]) + timedelta(seconds=(TERMS + 1) * DAY)


async def test_a_kept_promise_is_recorded_as_kept(
    fast_api: httpx.AsyncClient, issued: dict[str, Any], temporal_client: Client
) -> None:
    await change(fast_api, issued, "promise", amount="50.00", date=days_after_issue(issued, TERMS - 1))
    await post_payment(fast_api, issued["key"], issued["invoice"]["id"], amount="50.00")

    async def kept() -> bool:
        return (await current(fast_api, issued))["promise"]["status"] == "kept"

    await eventually(kept)
    assert "promise_kept" in [e["kind"] for e in await events(fast_api, issued)]
    await record_history(temporal_client, issued["invoice"]["workflow_id"], "promise_kept")


async def test_extending_a_paid_invoice_answers_409_and_changes_nothing(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    await post_payment(fast_api, issued["key"], issued["invoice"]["id"])
    before = await reaches(fast_api, issued, "paid")
    history = await events(fast_api, issued)

    refused = await change(fast_api, issued, "extend", by_days=5, reason="too late")

    assert (refused.status_code, error_code(refused)) == (409, "invoice_not_extendable")
    assert (await current(fast_api, issued))["due_date"] == before["due_date"]
    assert await events(fast_api, issued) == history


async def test_resuming_an_invoice_that_is_not_paused_answers_409(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    refused = await change(fast_api, issued, "resume")

    assert (refused.status_code, error_code(refused)) == (409, "invoice_not_paused")


async def test_each_change_appears_in_the_events_with_who_made_it(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    await change(fast_api, issued, "extend", by_days=30, reason="seasonal terms")
    await change(fast_api, issued, "pause", reason="credit note pending")

    history = await events(fast_api, issued)

    assert [e["kind"] for e in history] == ["created", "issued", "extended", "paused"]
    extended = history[2]
    assert extended["who"]["role"] == "merchant" and extended["who"]["key_id"]
    assert extended["details"]["reason"] == "seasonal terms"
    assert extended["details"]["due_date"] == days_after_issue(issued, TERMS + 30)
