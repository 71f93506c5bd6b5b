"""The hosted page (`/i/{token}`) and its PDF under load: the archived PDF served while current,
the rate limits per token and per client address, and the link's expiry after payment."""

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from payinvoice.db.models import InvoicePdf
from tests.utils.clients import api_with
from tests.utils.factories import auth, checkout, create_buyer, create_merchant, error_code, post_payment
from tests.utils.pdf import pdf_text
from tests.utils.waiting import eventually, invoice_reaches, mails_arrive

# High enough that polling a page until it shows never meets the limits.
UNLIMITED = {"hosted_rate_per_minute": 100_000, "hosted_rate_per_client_per_minute": 100_000}
PLANTED = b"%PDF-1.7 planted archive"
UNKNOWN = "u" * 32

roomy_api = api_with(**UNLIMITED)
# A day of half a second: a link living 2 days after payment expires a second after it.
expiring_api = api_with(day_seconds=0.5, hosted_link_days_after_settled=2, **UNLIMITED)
token_limited_api = api_with(hosted_rate_per_minute=2)


def page_path(invoice: dict[str, Any]) -> str:
    return invoice["hosted_invoice_url"].removeprefix("http://localhost:8000")


async def issued_invoice(api: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """A merchant's key and its invoice, once its page shows."""
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    await invoice_reaches(api, key, invoice["id"], "open")
    return key, invoice


async def archived_once_emailed(
    api: httpx.AsyncClient, mail: Any, sessions: async_sessionmaker[AsyncSession]
) -> dict[str, Any]:
    """An invoice whose email went out: the email activity archived its PDF (and will not again)."""
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    await mails_arrive(mail, buyer["email"], 1)
    async with sessions() as session:
        assert await session.get(InvoicePdf, invoice["id"]) is not None
    return invoice


async def plant(sessions: async_sessionmaker[AsyncSession], invoice_id: str, **values: Any) -> None:
    async with sessions.begin() as session:
        await session.execute(update(InvoicePdf).where(InvoicePdf.invoice_id == invoice_id).values(**values))


async def served(api: httpx.AsyncClient, path: str) -> httpx.Response | None:
    response = await api.get(path)
    return response if response.status_code == 200 else None


async def test_the_pdf_is_the_archived_one_while_it_hashes_as_what_would_print(
    roomy_api: httpx.AsyncClient, mail: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    invoice = await archived_once_emailed(roomy_api, mail, sessions)
    await plant(sessions, invoice["id"], pdf=PLANTED)  # the same hash, recognisable bytes

    response = await eventually(lambda: served(roomy_api, page_path(invoice) + "/pdf"))

    assert response.content == PLANTED
    assert response.headers["content-type"] == "application/pdf"


async def test_a_stale_archive_is_printed_again_and_archived(
    roomy_api: httpx.AsyncClient, mail: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    invoice = await archived_once_emailed(roomy_api, mail, sessions)
    await plant(sessions, invoice["id"], html_sha256="0" * 64, pdf=b"stale")

    response = await eventually(lambda: served(roomy_api, page_path(invoice) + "/pdf"))

    assert invoice["number"] in pdf_text(response.content)
    async with sessions() as session:
        archived = await session.get(InvoicePdf, invoice["id"])
    assert archived is not None and archived.pdf == response.content and archived.html_sha256 != "0" * 64


async def test_the_merchants_pdf_is_the_archived_one_too(
    roomy_api: httpx.AsyncClient, mail: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    key = await create_merchant(roomy_api)
    buyer = await create_buyer(roomy_api, key)
    invoice = (await checkout(roomy_api, key, buyer["id"])).json()
    await mails_arrive(mail, buyer["email"], 1)
    await plant(sessions, invoice["id"], pdf=PLANTED)

    response = await roomy_api.get(f"/v1/invoices/{invoice['id']}/pdf", headers=auth(key))

    assert response.content == PLANTED


async def test_a_page_asked_for_too_often_answers_a_429_page_with_retry_after(
    token_limited_api: httpx.AsyncClient,
) -> None:
    _, invoice = await issued_invoice(token_limited_api)
    first, second = [await token_limited_api.get(page_path(invoice)) for _ in range(2)]

    refused = await token_limited_api.get(page_path(invoice))

    assert (first.status_code, second.status_code) == (200, 200)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.headers["content-type"].startswith("text/html")
    assert '<meta name="error-code" content="rate_limited">' in refused.text


async def test_another_token_is_still_answered_when_one_is_limited(
    token_limited_api: httpx.AsyncClient,
) -> None:
    limited = [(await token_limited_api.get(f"/i/{UNKNOWN}")).status_code for _ in range(3)]

    other = await token_limited_api.get(f"/i/{'v' * 32}")

    assert limited == [404, 404, 429]
    assert other.status_code == 404


async def test_the_pdf_asked_for_too_often_answers_rate_limited_with_retry_after(
    token_limited_api: httpx.AsyncClient,
) -> None:
    for _ in range(2):
        await token_limited_api.get(f"/i/{UNKNOWN}/pdf")

    refused = await token_limited_api.get(f"/i/{UNKNOWN}/pdf")

    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert error_code(refused) == "rate_limited"


async def test_a_client_asking_for_too_many_pages_is_limited_and_another_client_is_not(
    app_factory: Callable[..., FastAPI],
) -> None:
    app = app_factory(hosted_rate_per_client_per_minute=2)
    one = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.1", 1234)), base_url="http://t")
    two = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.2", 1234)), base_url="http://t")
    async with one, two:
        for token in ("a" * 32, "b" * 32):
            await one.get(f"/i/{token}")

        refused = await one.get(f"/i/{'c' * 32}")
        other = await two.get(f"/i/{'c' * 32}")

    assert refused.status_code == 429
    assert other.status_code == 404


async def test_a_link_answers_the_not_found_page_once_its_days_after_payment_passed(
    expiring_api: httpx.AsyncClient,
) -> None:
    key, invoice = await issued_invoice(expiring_api)
    assert (await post_payment(expiring_api, key, invoice["id"])).status_code == 200
    await invoice_reaches(expiring_api, key, invoice["id"], "paid")
    unknown = await expiring_api.get(f"/i/{UNKNOWN}")

    async def gone() -> httpx.Response | None:
        response = await expiring_api.get(page_path(invoice))
        return response if response.status_code == 404 else None

    page = await eventually(gone)
    pdf = await expiring_api.get(page_path(invoice) + "/pdf")

    assert page.text == unknown.text
    assert (pdf.status_code, pdf.text) == (404, unknown.text)


async def test_a_link_is_still_served_just_after_payment(roomy_api: httpx.AsyncClient) -> None:
    key, invoice = await issued_invoice(roomy_api)
    assert (await post_payment(roomy_api, key, invoice["id"])).status_code == 200
    await invoice_reaches(roomy_api, key, invoice["id"], "paid")

    page = await roomy_api.get(page_path(invoice))
    pdf = await roomy_api.get(page_path(invoice) + "/pdf")

    assert (page.status_code, pdf.status_code) == (200, 200)
