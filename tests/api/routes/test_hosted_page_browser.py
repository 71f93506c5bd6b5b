"""The hosted invoice page in headless Chromium (Debian's): the amount due, then "paid" once the
buyer's payment is in, in English and in German."""

import shutil
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from tests.reliability.conftest import served
from tests.utils.factories import auth, checkout, create_buyer, create_merchant, post_payment
from tests.utils.parts import require
from tests.utils.waiting import eventually

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
try:
    from playwright import async_api as playwright_api
except ImportError:  # the test says so below: a skip locally, a failure under CI=true
    playwright_api = None  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _browser() -> None:
    require("playwright", playwright_api is not None, "the playwright package is not installed")
    installed = shutil.which(CHROMIUM) is not None
    require("chromium", installed, "Debian's chromium is not installed (.ci/run installs it as root)")


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
WORDING = {
    "en": {"due": "119.00 EUR", "open": "Open", "paid": "Paid", "thanks": "Paid. Thank you!"},
    "de": {"due": "119,00\xa0€", "open": "Offen", "paid": "Bezahlt", "thanks": "Bezahlt. Vielen Dank!"},
}


async def test_the_hosted_page_shows_the_amount_due_then_paid_in_both_languages(
    api: httpx.AsyncClient, app_factory: Callable[..., FastAPI]
) -> None:
    key = await create_merchant(api)
    await api.put(
        "/v1/settings/bank-details", json={"iban": "DE89370400440532013000", "legal_name": "Widgets GmbH"},
        headers=auth(key),
    )
    invoices = {}
    for locale in WORDING:
        buyer = await create_buyer(api, key, locale=locale)
        invoices[locale] = (await checkout(api, key, buyer["id"])).json()

    async with served(app_factory()) as base, playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            for locale, words in WORDING.items():
                invoice = invoices[locale]
                url = base + invoice["hosted_invoice_url"].removeprefix("http://localhost:8000")

                async def shows(selector: str, url: str = url) -> str | None:
                    await page.goto(url)
                    element = await page.query_selector(selector)
                    return await element.inner_text() if element else None

                assert await eventually(lambda: shows("#amount-due")) == words["due"]
                assert await page.inner_text("#status") == words["open"].upper()  # shown in capitals
                assert await page.get_attribute("html", "lang") == locale
                assert invoice["payment_reference"] in await page.inner_text("#bank-transfer")
                assert await page.query_selector("#bank-transfer img.qr, #bank-transfer .qr img") is not None
                href = await page.get_attribute("#download-pdf", "href")
                assert href == invoice["hosted_invoice_url"].removeprefix("http://localhost:8000") + "/pdf"

                paid = await post_payment(api, key, invoice["id"])
                assert paid.status_code == 200, paid.text
                assert await eventually(lambda: shows("#paid")) == words["thanks"]
                assert await page.inner_text("#status") == words["paid"].upper()
                assert await page.query_selector("#amount-due") is None
        finally:
            await browser.close()
