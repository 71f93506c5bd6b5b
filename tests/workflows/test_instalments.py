"""Instalment plans end to end: the amount due split into dated parts, each reminded on the
invoice's ladder from its own due date. Real dev server, database and SMTP sink, with a day of
0.75 s; instalments are days apart, and the tests wait for what the invoice shows rather
than for fixed times, so a loaded machine does not change the outcome."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from dev.mailsink import MailSink
from payinvoice.contracts import EmailKind
from payinvoice.domain.instalments import Instalment, split_label, step_label
from payinvoice.domain.rescheduling import day_of, instant_of, is_dunning
from payinvoice.domain.schedule import OVERDUE_STEP, Step
from tests.utils.clients import api_with
from tests.utils.dunning import current, days_after_issue, issue_on_ladder, reminders_reach, stage
from tests.utils.emails import make_view, parts, render
from tests.utils.factories import auth, error_code, post_payment
from tests.utils.histories import record_history
from tests.utils.pages import every_item
from tests.utils.waiting import eventually, invoice_reaches, mails_to

DAY = 0.75
TERMS = 30  # the invoice's own due date, far after the plan's
# A reminder two days before each due date, one on it, one two days after (the overdue
# transition comes a day after the due date).
LADDER = [stage("soon", -2), stage("due", 0), stage("late", 2)]
# 119.00 EUR (the default checkout) in three parts, due 10, 14 and 18 days after issue: the
# first reminder is days after the plan is made, even on a loaded machine.
PARTS = [(10, "40.00"), (14, "40.00"), (18, "39.00")]
WITHIN = 60.0


fast_api = api_with(day_seconds=DAY)


@pytest.fixture
async def issued(fast_api: httpx.AsyncClient) -> dict[str, Any]:
    """A merchant key, its buyer and an open invoice on LADDER, net TERMS."""
    return await issue_on_ladder(fast_api, LADDER, TERMS)


def plan_body(issued: dict[str, Any], parts: list[tuple[int, str]] = PARTS) -> list[dict[str, str]]:
    return [{"due_date": days_after_issue(issued, days), "amount": amount} for days, amount in parts]


async def plan(
    api: httpx.AsyncClient, issued: dict[str, Any], body: list[dict[str, str]] | None = None
) -> httpx.Response:
    return await api.post(
        f"/v1/invoices/{issued['invoice']['id']}/instalments",
        json=plan_body(issued) if body is None else body,
        params={"reason": "buyer asked to spread it"},
        headers=auth(issued["key"]),
    )


async def pay(api: httpx.AsyncClient, issued: dict[str, Any], amount: str) -> None:
    response = await post_payment(api, issued["key"], issued["invoice"]["id"], amount=amount)
    assert response.status_code == 200, response.text


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def days_since_issue(issued: dict[str, Any]) -> int:
    """The invoice's today as a number of days after its issue, or a day later."""
    elapsed = datetime.now(UTC) - at(issued["invoice"]["created_at"])
    return int(elapsed.total_seconds() // DAY) + 1


async def invoice_mail(mail: MailSink, issued: dict[str, Any]) -> bool:
    received = mails_to(mail, issued["buyer"]["email"])
    return any(m["X-Payinvoice-Kind"] == "invoice" for m in received)


def reminder_mails(mail: MailSink, issued: dict[str, Any]) -> list[Any]:
    received = mails_to(mail, issued["buyer"]["email"])
    return [m for m in received if m["X-Payinvoice-Kind"] == "reminder"]


async def test_a_plan_answers_the_invoice_with_its_instalments_and_the_first_due_date(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    planned = await plan(fast_api, issued)

    assert planned.status_code == 200, planned.text
    body = planned.json()
    assert body["instalments"] == [
        {"number": n, "due_date": days_after_issue(issued, days), "amount": amount, "paid": "0.00",
         "status": "due"}
        for n, (days, amount) in enumerate(PARTS, start=1)
    ]
    assert (body["status"], body["due_date"], body["amount_due"]) == (
        "open", days_after_issue(issued, 10), "119.00"
    )
    assert body["next_reminder"]["stage"] == "soon-i1"
    events = await every_item(fast_api, issued["key"], f"/v1/invoices/{body['id']}/events")
    planned_event = events[-1]
    assert planned_event["kind"] == "instalments_planned"
    assert planned_event["details"]["reason"] == "buyer asked to spread it"


async def test_each_instalment_gets_the_ladder_on_its_own_schedule_once_each(
    fast_api: httpx.AsyncClient, issued: dict[str, Any], mail: MailSink
) -> None:
    planned = await plan(fast_api, issued)
    assert planned.status_code == 200, planned.text
    issued_at = at(planned.json()["created_at"])

    reminders = await reminders_reach(fast_api, issued, 9, WITHIN)

    expected = {f"{name}-i{n}": (days, offset) for n, (days, _) in enumerate(PARTS, start=1)
                for name, offset in (("soon", -2), ("due", 0), ("late", 2))}  # fmt: skip
    assert sorted(r["stage"] for r in reminders) == sorted(expected)
    for reminder in reminders:
        days, offset = expected[reminder["stage"]]
        assert at(reminder["sent_at"]) >= issued_at + timedelta(seconds=(days + offset) * DAY)
    stages = [m["X-Reminder-Stage"] for m in reminder_mails(mail, issued)]
    assert sorted(stages) == sorted(expected)  # one email each
    invoice = await current(fast_api, issued)
    assert invoice["status"] == "overdue"
    assert [i["status"] for i in invoice["instalments"]] == ["overdue", "overdue", "overdue"]


async def test_an_instalment_reminder_names_the_instalment_and_its_due_date(
    fast_api: httpx.AsyncClient, issued: dict[str, Any], mail: MailSink
) -> None:
    await plan(fast_api, issued, plan_body(issued, [(6, "60.00"), (30, "59.00")]))

    await reminders_reach(fast_api, issued, 1, WITHIN)  # "soon-i1"

    async def first_mail() -> Any:
        return next(iter(reminder_mails(mail, issued)), None)

    message = await eventually(first_mail, WITHIN)
    assert message["X-Reminder-Stage"] == "soon-i1"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert f"Instalment 1 of 2: 60.00 EUR due on {days_after_issue(issued, 6)}" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Instalment 1 of 2" in html


def test_step_labels_name_the_instalment_and_read_back_only_within_the_plan() -> None:
    assert step_label("overdue_1", 2) == "overdue_1-i2"
    assert split_label("overdue_1-i2", 3) == ("overdue_1", 2)
    assert split_label("overdue_1-i4", 3) is None  # no such instalment
    assert split_label("overdue_1", 3) is None
    assert split_label("final-notice", 3) is None  # a stage's own hyphen


def test_an_instalments_overdue_transition_is_not_held_by_a_pause() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert not is_dunning(Step(step_label(OVERDUE_STEP, 2), now, None))
    assert is_dunning(Step(step_label("credit_suspension", 2), now, None))


def test_day_of_is_instant_of_the_other_way_round() -> None:
    issued_at, issue_date = datetime(2026, 1, 1, 12, 0, tzinfo=UTC), date(2026, 1, 1)
    start = instant_of(date(2026, 1, 5), issued_at, issue_date, DAY)
    assert day_of(start, issued_at, issue_date, DAY) == date(2026, 1, 5)
    assert day_of(start - timedelta(microseconds=1), issued_at, issue_date, DAY) == date(2026, 1, 4)


def test_a_german_instalment_reminder_names_the_instalment_in_german() -> None:
    plan = [
        Instalment(1, "2025-02-01", 6000),
        Instalment(2, "2025-03-01", 6000),
        Instalment(3, "2025-04-01", 4480),
    ]
    view = make_view(instalments=plan)

    text, html = parts(render(EmailKind.REMINDER, view, "overdue_1-i2", locale="de"))

    assert "Rate 2 von 3: 60,00\xa0€ fällig am 01.03.2025" in text
    assert "Rate 2 von 3" in html


async def test_paying_the_first_instalment_skips_its_reminders_and_the_invoice_stays_open(
    fast_api: httpx.AsyncClient, issued: dict[str, Any], mail: MailSink, temporal_client: Client
) -> None:
    # Planned once the invoice email is out (on a loaded machine its PDF takes a while), so that
    # the reminder loop sleeps on the plan's timers: the recorded history has them.
    await eventually(lambda: invoice_mail(mail, issued), WITHIN)
    now = days_since_issue(issued)
    await plan(
        fast_api, issued, plan_body(issued, [(now + 6, "40.00"), (now + 10, "40.00"), (now + 14, "39.00")])
    )

    await pay(fast_api, issued, "40.00")

    invoice = await current(fast_api, issued)
    assert (invoice["status"], invoice["amount_due"], invoice["due_date"]) == (
        "open",
        "79.00",
        days_after_issue(issued, now + 10),
    )
    assert [i["status"] for i in invoice["instalments"]] == ["paid", "due", "due"]
    assert invoice["next_reminder"]["stage"] == "soon-i2"
    reminders = await reminders_reach(fast_api, issued, 2, WITHIN)  # "soon-i2", "due-i2"
    assert [r["stage"] for r in reminders][:2] == ["soon-i2", "due-i2"]
    assert not [m for m in reminder_mails(mail, issued) if m["X-Reminder-Stage"].endswith("-i1")]
    assert (await current(fast_api, issued))["status"] in ("open", "overdue")  # not paid
    await record_history(temporal_client, issued["invoice"]["workflow_id"], "instalments")


async def test_an_unpaid_instalment_past_due_makes_the_invoice_overdue_until_it_is_paid(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    await plan(fast_api, issued, plan_body(issued, [(4, "60.00"), (40, "59.00")]))

    overdue = await invoice_reaches(fast_api, issued["key"], issued["invoice"]["id"], "overdue", WITHIN)
    assert [i["status"] for i in overdue["instalments"]] == ["overdue", "due"]

    await pay(fast_api, issued, "60.00")

    invoice = await current(fast_api, issued)
    assert (invoice["status"], invoice["due_date"]) == ("open", days_after_issue(issued, 40))
    assert [i["status"] for i in invoice["instalments"]] == ["paid", "due"]


async def test_the_invoice_is_paid_when_every_instalment_is(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    await plan(fast_api, issued, plan_body(issued, [(20, "40.00"), (24, "40.00"), (28, "39.00")]))

    await pay(fast_api, issued, "40.00")
    await pay(fast_api, issued, "40.00")
    assert (await current(fast_api, issued))["status"] == "open"
    await pay(fast_api, issued, "39.00")

    paid = await invoice_reaches(fast_api, issued["key"], issued["invoice"]["id"], "paid", WITHIN)
    assert paid["amount_due"] == "0.00"
    assert [i["status"] for i in paid["instalments"]] == ["paid", "paid", "paid"]


@pytest.mark.parametrize(
    ("parts", "says"),
    [
        ([(10, "40.00"), (20, "40.00")], "add up to 80.00 EUR"),
        ([(20, "60.00"), (10, "59.00")], "must be after the previous"),
        ([(-1, "60.00"), (10, "59.00")], "before today"),
        ([(10, "119.00")], "2 to 24 instalments"),
    ],
    ids=["sum_mismatch", "dates_not_increasing", "date_in_the_past", "one_instalment"],
)
async def test_a_bad_plan_is_refused_with_422_and_changes_nothing(
    fast_api: httpx.AsyncClient, issued: dict[str, Any], parts: list[tuple[int, str]], says: str
) -> None:
    refused = await plan(fast_api, issued, plan_body(issued, parts))

    assert (refused.status_code, error_code(refused)) == (422, "invalid_instalments")
    assert says in refused.json()["error"]["message"]
    invoice = await current(fast_api, issued)
    assert (invoice["instalments"], invoice["due_date"]) == ([], days_after_issue(issued, TERMS))


async def test_a_malformed_plan_is_refused_with_422(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    refused = await plan(fast_api, issued, [{"due_date": "tomorrow", "amount": "119.00"}] * 2)

    assert (refused.status_code, error_code(refused)) == (422, "invalid_instalments")


async def test_a_plan_on_a_paid_invoice_answers_409(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    await pay(fast_api, issued, "119.00")
    await invoice_reaches(fast_api, issued["key"], issued["invoice"]["id"], "paid", WITHIN)

    refused = await plan(fast_api, issued)

    assert (refused.status_code, error_code(refused)) == (409, "instalments_not_allowed")


async def test_a_plan_on_a_void_invoice_answers_409(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    voided = await fast_api.post(
        f"/v1/invoices/{issued['invoice']['id']}/void",
        json={"reason": "order cancelled"},
        headers=auth(issued["key"]),
    )
    assert voided.status_code == 200, voided.text

    refused = await plan(fast_api, issued)

    assert (refused.status_code, error_code(refused)) == (409, "instalments_not_allowed")


async def test_a_second_plan_answers_409(fast_api: httpx.AsyncClient, issued: dict[str, Any]) -> None:
    assert (await plan(fast_api, issued)).status_code == 200

    refused = await plan(fast_api, issued)

    assert (refused.status_code, error_code(refused)) == (409, "instalments_not_allowed")


async def test_extending_an_invoice_with_a_plan_answers_409(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    await plan(fast_api, issued)

    refused = await fast_api.post(
        f"/v1/invoices/{issued['invoice']['id']}/extend",
        json={"by_days": 5, "reason": "x"},
        headers=auth(issued["key"]),
    )

    assert (refused.status_code, error_code(refused)) == (409, "invoice_not_extendable")
    assert (await current(fast_api, issued))["due_date"] == days_after_issue(issued, 10)


async def test_an_invoice_with_a_plan_can_be_paused_and_resumed(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    await plan(fast_api, issued, plan_body(issued, [(20, "60.00"), (40, "59.00")]))
    url = f"/v1/invoices/{issued['invoice']['id']}"

    paused = await fast_api.post(f"{url}/pause", json={"reason": "checking"}, headers=auth(issued["key"]))
    assert paused.status_code == 200, paused.text
    assert (paused.json()["paused"], paused.json()["next_reminder"]) == (True, None)
    resumed = await fast_api.post(f"{url}/resume", json={}, headers=auth(issued["key"]))

    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["next_reminder"]["stage"] == "soon-i1"


async def test_a_plan_is_refused_while_the_invoice_is_paused(
    fast_api: httpx.AsyncClient, issued: dict[str, Any]
) -> None:
    url = f"/v1/invoices/{issued['invoice']['id']}"
    await fast_api.post(f"{url}/pause", json={"reason": "checking"}, headers=auth(issued["key"]))

    refused = await plan(fast_api, issued)

    assert (refused.status_code, error_code(refused)) == (409, "instalments_not_allowed"), refused.text
