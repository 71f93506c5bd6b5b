"""Polling helpers for behaviour that happens on durable timers, a moment after a request."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any

import httpx

from dev.mailsink import MailSink
from tests.utils.factories import auth


async def eventually(
    check: Callable[[], Awaitable[Any]], within: float = 20.0, interval: float = 0.1
) -> Any:
    """Await `check` every `interval` seconds until it returns something truthy; fail after
    `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s (last: {result!r})")
        await asyncio.sleep(interval)


async def invoice_reaches(
    api: httpx.AsyncClient, key: str, invoice_id: str, status: str, within: float = 20.0
) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        invoice = (await api.get(f"/v1/invoices/{invoice_id}", headers=auth(key))).json()
        return invoice if invoice["status"] == status else None

    return await eventually(check, within)


async def reminders_sent(
    api: httpx.AsyncClient, key: str, invoice_id: str, count: int, within: float = 20.0
) -> list[dict[str, Any]]:
    """The invoice's reminders once at least `count` are recorded. Emails go out on a loop of
    their own (workflows/mail.py): a status reached says nothing about the emails before it."""

    async def check() -> list[dict[str, Any]] | None:
        reminders = (await api.get(f"/v1/invoices/{invoice_id}", headers=auth(key))).json()["reminders"]
        return reminders if len(reminders) >= count else None

    return await eventually(check, within)


def mails_to(sink: MailSink, address: str) -> list[EmailMessage]:
    return [m for m in sink.received() if address in m["To"]]


async def late_duplicates_arrive(day_seconds: float, days: int = 5, at_least: float = 2.0) -> None:
    """Wait before asserting that an email went out exactly once: `days` days of the invoice's
    clock, and at least `at_least` seconds (a send retried by Temporal comes a second or more
    after the attempt that delivered it), so that a late duplicate would have arrived."""
    await asyncio.sleep(max(days * day_seconds, at_least))


async def mails_arrive(
    sink: MailSink, address: str, count: int, within: float = 20.0
) -> list[EmailMessage]:
    async def check() -> list[EmailMessage] | None:
        received = mails_to(sink, address)
        return received if len(received) >= count else None

    return await eventually(check, within)
