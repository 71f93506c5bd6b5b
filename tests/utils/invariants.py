"""The money and email invariants the reliability suite checks, through the public API and the
mail sink: amounts add up, nothing is negative, no payment counts twice, exposure is the sum of
what the buyer's open invoices still owe, and each email went out once."""

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import httpx

from dev.mailsink import MailSink
from tests.utils.factories import auth
from tests.utils.waiting import eventually

# Statuses whose amount due counts against the buyer's credit line (README: the lifecycle).
EXPOSED = {"pending", "pending_review", "open", "overdue"}


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def check_amounts(invoice: dict[str, Any]) -> None:
    """amount_paid + amount_due - overpaid == charged (the total plus fees, less credit notes and
    a discount taken), nothing negative, no payment id twice, the overpaid amount went to the
    buyer's balance, and amount_paid is exactly the sum of the applied payments less their refunds
    plus what was marked paid out of band."""
    total, paid = cents(invoice["total"]), cents(invoice["amount_paid"])
    due, over = cents(invoice["amount_due"]), cents(invoice["overpaid_amount"])
    where = f"invoice {invoice['id']} ({invoice['status']})"
    charged = cents(invoice.get("charged", invoice["total"]))
    fees = sum(cents(f["amount"]) for f in invoice.get("fees", []))
    credited = sum(cents(n["amount"]) for n in invoice.get("credit_notes", []))
    discount = cents(invoice.get("discount") or "0")
    assert charged == total + fees - credited - discount, f"{where}: charged {charged}: {invoice}"
    assert min(total, charged, paid, due, over) >= 0, f"{where}: a negative amount: {invoice}"
    assert paid + due - over == charged, f"{where}: {paid} + {due} - {over} != {charged}"
    if "credited_to_balance" in invoice:
        to_balance = cents(invoice["credited_to_balance"])
        assert to_balance == over, f"{where}: {to_balance} to the balance, overpaid {over}"
    assert due == 0 or over == 0, f"{where}: both due and overpaid"
    ids = [p["payment_id"] for p in invoice["payments"] + invoice.get("unapplied_payments", [])]
    assert len(ids) == len(set(ids)), f"{where}: a payment counted twice: {ids}"
    # Refunds give back part of the payments; marking paid out of band adds what was due, and
    # stays counted whoever settles the invoice last (paid_by).
    applied = sum(cents(p["amount"]) for p in invoice["payments"])
    applied -= sum(cents(r["amount"]) for r in invoice.get("refunds", []))
    applied += sum(cents(m["amount"]) for m in invoice.get("marked_paid", []))
    assert paid == applied, (
        f"{where}: {paid} paid, but {invoice['payments']} less {invoice.get('refunds', [])} "
        f"plus {invoice.get('marked_paid', [])} marked paid"
    )
    if invoice["status"] == "paid":
        assert due == 0, where
    if invoice["status"] in ("open", "overdue", "uncollectible"):
        assert due > 0, where


async def get_invoices(api: httpx.AsyncClient, key: str, ids: Iterable[str]) -> list[dict[str, Any]]:
    """The live invoices (each read through its workflow's query), 16 reads at a time as a
    shop's backend would poll them."""
    at_once = asyncio.Semaphore(16)

    async def one(invoice_id: str) -> dict[str, Any]:
        async with at_once:
            response = await api.get(f"/v1/invoices/{invoice_id}", headers=auth(key))
        assert response.status_code == 200, response.text
        return response.json()

    return list(await asyncio.gather(*(one(i) for i in ids)))


async def exposure_is_sum_of_open_amounts(
    api: httpx.AsyncClient, key: str, buyer_id: str, invoice_ids: Iterable[str], within: float = 10
) -> int:
    """Wait until the buyer's exposure equals the sum of amount_due over its exposed invoices
    (the ledger follows the workflow a moment later); fail with both numbers if it never does.
    Returns the exposure in cents."""
    ids = list(invoice_ids)
    deadline = time.monotonic() + within
    while True:
        invoices = await get_invoices(api, key, ids)
        response = await api.get(f"/v1/buyers/{buyer_id}", headers=auth(key))
        assert response.status_code == 200, response.text
        exposure = cents(response.json()["credit"]["exposure"])
        owed = sum(cents(i["amount_due"]) for i in invoices if i["status"] in EXPOSED)
        if exposure == owed:
            return exposure
        if time.monotonic() > deadline:
            statuses = {i["id"]: (i["status"], i["amount_due"]) for i in invoices}
            raise AssertionError(f"buyer {buyer_id}: exposure {exposure} != open amounts {owed}: {statuses}")
        await asyncio.sleep(0.2)


def check_emails_once(messages: Iterable[EmailMessage]) -> dict[tuple[str, str, str, str], str]:
    """Each (recipient, invoice number, kind, stage) has exactly one Message-ID. A crash between
    the SMTP handoff and the log write may resend an email, with the same Message-ID (README:
    how the guarantees are kept), so copies are counted by Message-ID. Returns the emails by key."""
    by_key: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for message in messages:
        key = (
            str(message["To"]), str(message["X-Invoice-Number"]), str(message["X-Payinvoice-Kind"]),
            str(message["X-Reminder-Stage"] or "-"),
        )  # fmt: skip
        by_key[key].add(str(message["Message-ID"]).strip())
    twice = {key: ids for key, ids in by_key.items() if len(ids) > 1}
    assert not twice, f"two different emails for the same (invoice, kind, stage): {twice}"
    return {key: next(iter(ids)) for key, ids in by_key.items()}


async def no_differences(find: Callable[[], Awaitable[list[Any]]], within: float = 30) -> None:
    """Poll `find` until it finds no difference (what it checks follows a moment later); fail
    with the last differences it found if it never gets there."""
    last: list[Any] = []

    async def agrees() -> bool:
        nonlocal last
        last = await find()
        return not last

    try:
        await eventually(agrees, within)
    except AssertionError:
        raise AssertionError("\n".join(map(str, last))) from None


async def ledger_differences(api: httpx.AsyncClient, key: str) -> list[dict[str, Any]]:
    """What `GET /v1/ledger/check` finds for the merchant of `key`: every invoice and buyer figure
    the ledger disagrees with ([] when consistent)."""
    response = await api.get("/v1/ledger/check", headers=auth(key))
    assert response.status_code == 200, response.text
    check = response.json()
    assert check["consistent"] == (not check["differences"]), check
    return check["differences"]


async def ledger_agrees(api: httpx.AsyncClient, key: str, within: float = 30) -> None:
    """Wait until the ledger check reports no difference; fail with the differences otherwise."""
    await no_differences(lambda: ledger_differences(api, key), within)


async def reach(
    api: httpx.AsyncClient, key: str, ids: list[str], statuses: set[str], within: float
) -> list[dict[str, Any]]:
    """The invoices once every one has one of `statuses`; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        invoices = await get_invoices(api, key, ids)
        if all(i["status"] in statuses for i in invoices):
            return invoices
        if time.monotonic() > deadline:
            raise AssertionError(f"not all {statuses}: {[(i['id'], i['status']) for i in invoices]}")
        await asyncio.sleep(0.3)


class Mail(MailSink):
    """The sink, read by recipient."""

    def to(self, address: str) -> list[Any]:
        return [m for m in self.received() if address in str(m["To"])]


async def mail_count(mail: Mail, address: str, count: int, within: float, poll: float = 0.2) -> None:
    """Wait until `address` received `count` emails, or `within` seconds passed."""
    deadline = time.monotonic() + within
    while len(mail.to(address)) < count and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(poll)


async def settle_mail(mail: Mail, address: str, count: int, within: float = 30) -> list[Any]:
    """Wait for `count` emails to `address`, then a moment more for any that should not come."""
    await mail_count(mail, address, count, within)
    await asyncio.sleep(1.0)
    return mail.to(address)
