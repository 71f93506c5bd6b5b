"""Merchants' and buyers' own reminder ladders end to end: real dev server, database and SMTP sink."""

from email.message import EmailMessage
from typing import Any

import httpx

from dev.mailsink import MailSink
from tests.utils.clients import api_with
from tests.utils.dunning import put_ladder, set_buyer_ladder, stage
from tests.utils.factories import create_buyer, create_merchant, issue
from tests.utils.waiting import invoice_reaches, late_duplicates_arrive, mails_to, reminders_sent

# A day of a twentieth of a second: each ladder below runs in well under a second.
FAST_DAY = 0.05


fast_api = api_with(day_seconds=FAST_DAY)


def ladder(prefix: str) -> list[dict[str, Any]]:
    """Two reminders with the merchant's own subject, then the write-off that ends the ladder."""
    return [
        stage(f"{prefix}_first", 0, subject=f"{prefix.upper()} first: {{{{ invoice_number }}}}"),
        stage(f"{prefix}_second", 1, subject=f"{prefix.upper()} second: {{{{ amount_due }}}}"),
        stage(f"{prefix}_end", 2, mark_uncollectible=True),
    ]


def reminders_of(sink: MailSink, email: str, invoice: dict[str, Any]) -> list[EmailMessage]:
    return [
        m for m in mails_to(sink, email)
        if m["X-Invoice-Number"] == invoice["number"] and m["X-Payinvoice-Kind"] == "reminder"
    ]


async def test_a_custom_ladder_with_its_own_subjects_reaches_the_buyer_in_order_exactly_once(
    fast_api: httpx.AsyncClient, mail: MailSink
) -> None:
    key = await create_merchant(fast_api)
    await put_ladder(fast_api, key, [
        stage("heads_up", -1, subject="Soon due: {{ invoice_number }} ({{ amount_due }})"),
        stage("today", 0),
        stage("chase", 2, subject="{{ buyer_name }}, {{ invoice_number }} is late",
              body="Please pay {{ amount_due }} quoting {{ payment_reference }}.\n\n{{ merchant_name }}"),
        stage("write_off", 4, mark_uncollectible=True),
    ])  # fmt: skip
    buyer = await create_buyer(fast_api, key, payment_terms_days=2)
    invoice = await issue(fast_api, key, buyer["id"])

    await invoice_reaches(fast_api, key, invoice["id"], "uncollectible")
    reminded = await reminders_sent(fast_api, key, invoice["id"], 3)
    await late_duplicates_arrive(FAST_DAY)

    number = invoice["number"]
    assert [r["stage"] for r in reminded] == ["heads_up", "today", "chase"]
    received = mails_to(mail, buyer["email"])
    assert [m["X-Payinvoice-Kind"] for m in received] == ["invoice", "reminder", "reminder", "reminder"]
    assert [m["X-Reminder-Stage"] for m in received[1:]] == ["heads_up", "today", "chase"]
    assert len({m["Message-ID"] for m in received}) == 4
    assert [m["Subject"] for m in received[1:]] == [
        f"Soon due: {number} (119.00 EUR)", f"Invoice {number} is due today", f"Ada Buyer, {number} is late",
    ]
    chase = received[3].get_body(preferencelist=("plain",))
    assert chase is not None
    assert f"Please pay 119.00 EUR quoting {invoice['payment_reference']}." in chase.get_content()


async def test_changing_the_ladder_affects_only_invoices_issued_afterwards(
    fast_api: httpx.AsyncClient, mail: MailSink
) -> None:
    key = await create_merchant(fast_api)
    buyer = await create_buyer(fast_api, key, payment_terms_days=1)
    await put_ladder(fast_api, key, ladder("a"))
    before = await issue(fast_api, key, buyer["id"])

    await put_ladder(fast_api, key, ladder("b"))
    after = await issue(fast_api, key, buyer["id"])

    await invoice_reaches(fast_api, key, before["id"], "uncollectible")
    await reminders_sent(fast_api, key, before["id"], 2)
    await invoice_reaches(fast_api, key, after["id"], "uncollectible")
    await reminders_sent(fast_api, key, after["id"], 2)
    first = reminders_of(mail, buyer["email"], before)
    second = reminders_of(mail, buyer["email"], after)
    assert [m["X-Reminder-Stage"] for m in first] == ["a_first", "a_second"]
    assert [m["X-Reminder-Stage"] for m in second] == ["b_first", "b_second"]
    assert [m["Subject"] for m in first] == [f"A first: {before['number']}", "A second: 119.00 EUR"]
    assert [m["Subject"] for m in second] == [f"B first: {after['number']}", "B second: 119.00 EUR"]


async def test_a_buyers_own_ladder_wins_over_the_merchants_for_its_later_invoices(
    fast_api: httpx.AsyncClient, mail: MailSink
) -> None:
    key = await create_merchant(fast_api)
    await put_ladder(fast_api, key, ladder("merchant"))
    own = await create_buyer(fast_api, key, payment_terms_days=1)
    other = await create_buyer(fast_api, key, payment_terms_days=1)
    patched = await set_buyer_ladder(fast_api, key, own["id"], ladder("buyer"))
    assert patched.status_code == 200, patched.text

    mine = await issue(fast_api, key, own["id"])
    theirs = await issue(fast_api, key, other["id"])

    await invoice_reaches(fast_api, key, mine["id"], "uncollectible")
    await reminders_sent(fast_api, key, mine["id"], 2)
    await invoice_reaches(fast_api, key, theirs["id"], "uncollectible")
    await reminders_sent(fast_api, key, theirs["id"], 2)
    own_stages = [m["X-Reminder-Stage"] for m in reminders_of(mail, own["email"], mine)]
    other_stages = [m["X-Reminder-Stage"] for m in reminders_of(mail, other["email"], theirs)]
    assert own_stages == ["buyer_first", "buyer_second"]
    assert other_stages == ["merchant_first", "merchant_second"]


async def test_without_a_ladder_of_its_own_a_buyer_gets_the_merchants_again(
    fast_api: httpx.AsyncClient, mail: MailSink
) -> None:
    key = await create_merchant(fast_api)
    await put_ladder(fast_api, key, ladder("merchant"))
    buyer = await create_buyer(fast_api, key, payment_terms_days=1)
    await set_buyer_ladder(fast_api, key, buyer["id"], ladder("buyer"))
    await set_buyer_ladder(fast_api, key, buyer["id"], None)

    invoice = await issue(fast_api, key, buyer["id"])

    await invoice_reaches(fast_api, key, invoice["id"], "uncollectible")
    await reminders_sent(fast_api, key, invoice["id"], 2)
    stages = [m["X-Reminder-Stage"] for m in reminders_of(mail, buyer["email"], invoice)]
    assert stages == ["merchant_first", "merchant_second"]
