"""Late fees on reminder stages end to end: a stage with a `late_fee` charges it once, as a fee
line of its own (the invoice's lines and total never change), the amount due includes it, the
stage's reminder shows it, and the ledger agrees. Real dev server, database and SMTP sink, with
a day of a fifth of a second: each test waits for the end of the ladder, not for fixed times."""

from email.message import EmailMessage
from typing import Any

import httpx
from temporalio.client import Client

from dev.mailsink import MailSink
from tests.utils.clients import api_with
from tests.utils.dunning import issue_on_ladder, stage
from tests.utils.factories import auth, post_payment
from tests.utils.histories import record_history
from tests.utils.invariants import ledger_agrees
from tests.utils.waiting import eventually, invoice_reaches, mails_to

DAY = 0.2
# Net 1: each invoice falls due the day after its issue.
TERMS = 1
# The default checkout: 2 x 50.00 + 19 % VAT.
TOTAL = "119.00"
FIXED_FEE = {"fixed": "10"}


def ladder(percent_fee: dict[str, str]) -> list[dict[str, Any]]:
    """A reminder on the due date without fee, a fixed fee a day later, a percent fee the day
    after, then the write-off that ends the ladder."""
    return [
        stage("due", 0),
        stage("late", 1, late_fee=FIXED_FEE),
        stage("later", 2, late_fee=percent_fee),
        stage("end", 3, mark_uncollectible=True),
    ]


fast_api = api_with(day_seconds=DAY)


async def written_off(api: httpx.AsyncClient, issued: dict[str, Any]) -> dict[str, Any]:
    return await invoice_reaches(api, issued["key"], issued["invoice"]["id"], "uncollectible", within=60)


def fee_lines(invoice: dict[str, Any]) -> list[tuple[str, str, str | None, str]]:
    return [(f["kind"], f["description"], f["stage"], f["amount"]) for f in invoice["fees"]]


async def reminder(sink: MailSink, issued: dict[str, Any], stage_name: str) -> EmailMessage:
    """The stage's reminder once it arrived (emails follow the lifecycle on a loop of their own)."""

    async def arrived() -> list[EmailMessage]:
        return [
            m for m in mails_to(sink, issued["buyer"]["email"])
            if m["X-Payinvoice-Kind"] == "reminder" and m["X-Reminder-Stage"] == stage_name
        ]

    [message] = await eventually(arrived)
    return message


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content()


async def test_each_fee_stage_adds_its_fee_once_as_a_line_of_its_own(
    fast_api: httpx.AsyncClient, temporal_client: Client
) -> None:
    issued = await issue_on_ladder(fast_api, ladder({"percent": "5", "cap": "50"}), TERMS)

    final = await written_off(fast_api, issued)

    # 5 % of the 129.00 due once the fixed fee was added.
    assert fee_lines(final) == [
        ("late_fee", "Late fee (late)", "late", "10.00"),
        ("late_fee", "Late fee (later)", "later", "6.45"),
    ]
    assert [line["description"] for line in final["lines"]] == ["Widget"]
    assert (final["total"], final["charged"], final["amount_due"]) == (TOTAL, "135.45", "135.45")
    await record_history(temporal_client, issued["invoice"]["workflow_id"], "late_fee")


async def test_a_percent_fee_charges_no_more_than_its_cap_leaves_of_the_late_fees(
    fast_api: httpx.AsyncClient,
) -> None:
    issued = await issue_on_ladder(fast_api, ladder({"percent": "5", "cap": "15"}), TERMS)

    final = await written_off(fast_api, issued)

    # 6.45 would take the late fees to 16.45: the cap leaves 5.00 of its 15.00.
    assert [f["amount"] for f in final["fees"]] == ["10.00", "5.00"]
    assert final["amount_due"] == "134.00"


async def test_the_reminder_of_a_fee_stage_shows_its_fee_and_the_new_amount_due(
    fast_api: httpx.AsyncClient, mail: MailSink
) -> None:
    issued = await issue_on_ladder(fast_api, ladder({"percent": "5", "cap": "50"}), TERMS)

    await written_off(fast_api, issued)

    late = plain_text(await reminder(mail, issued, "late"))
    assert "A late fee of 10.00 EUR has been added to this invoice; the amount due is now 129.00 EUR." in late
    later = plain_text(await reminder(mail, issued, "later"))
    assert "A late fee of 6.45 EUR has been added to this invoice; the amount due is now 135.45 EUR." in later
    assert "Late fee (late):" in later and "Late fee (later):" in later


async def test_a_reminder_of_a_stage_without_fee_mentions_no_fee(
    fast_api: httpx.AsyncClient, mail: MailSink
) -> None:
    issued = await issue_on_ladder(fast_api, ladder({"percent": "5", "cap": "50"}), TERMS)

    await written_off(fast_api, issued)

    assert "late fee" not in plain_text(await reminder(mail, issued, "due")).lower()


async def test_an_invoice_paid_before_a_fee_stage_is_charged_no_fee(fast_api: httpx.AsyncClient) -> None:
    issued = await issue_on_ladder(fast_api, [stage("late", 1, late_fee=FIXED_FEE)], TERMS)

    paid = await post_payment(fast_api, issued["key"], issued["invoice"]["id"])

    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["fees"]) == ("paid", [])


async def test_paying_the_amount_due_with_its_fees_settles_the_invoice(fast_api: httpx.AsyncClient) -> None:
    issued = await issue_on_ladder(fast_api, ladder({"percent": "5", "cap": "50"}), TERMS)
    await written_off(fast_api, issued)

    paid = await post_payment(fast_api, issued["key"], issued["invoice"]["id"], amount="135.45")

    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["amount_due"], paid.json()["overpaid_amount"]) == (
        "paid", "0.00", "0.00",
    )


async def test_late_fees_agree_with_the_ledger(fast_api: httpx.AsyncClient) -> None:
    issued = await issue_on_ladder(fast_api, ladder({"percent": "5", "cap": "50"}), TERMS)
    await written_off(fast_api, issued)
    await post_payment(fast_api, issued["key"], issued["invoice"]["id"], amount="135.45")

    await ledger_agrees(fast_api, issued["key"])

    listed = await fast_api.get(f"/v1/invoices/{issued['invoice']['id']}", headers=auth(issued["key"]))
    assert listed.json()["status"] == "paid"
