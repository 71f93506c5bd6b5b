"""The credit report: every buyer's credit line, payment record and flags, as JSON and as CSV."""

import csv
import io
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from payinvoice.domain.policy import PaymentRecord
from services.reports.credit import CSV_HEADER, credit_flags, utilisation_percent, utilisation_ratio
from tests.utils.clients import api_with
from tests.utils.factories import (
    auth,
    create_buyer,
    create_merchant,
    error_code,
    open_invoice,
    post_payment,
)
from tests.utils.reports import JPY_LINES, report, statements_of
from tests.utils.waiting import eventually, invoice_reaches

REPORT = "/v1/reports/credit"
# A day of a twentieth of a second: an invoice on net 0 is 45 days overdue within about 2.5 s.
FAST_DAY = 0.05

fast_api = api_with(day_seconds=FAST_DAY)


def row_of(body: dict[str, Any], buyer_id: str) -> dict[str, Any]:
    [row] = [b for b in body["data"] if b["buyer_id"] == buyer_id]
    return row


# Per buyer


async def test_a_checkout_shows_as_exposure_and_leaves_the_rest_available(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, name="Ada Buyer", credit_limit="1000.00")
    await open_invoice(api, key, buyer["id"])
    assert (await report(api, key, REPORT))["data"] == [
        {
            "buyer_id": buyer["id"], "external_id": buyer["external_id"], "name": "Ada Buyer",
            "currency": "EUR", "limit": "1000.00", "exposure": "119.00", "available": "881.00",
            "utilisation": "11.9", "status": "active", "limit_source": "manual",
            "payment_record": {
                "invoices_paid": 0, "paid_on_time": 0, "on_time_streak": 0, "average_days_late": "0",
                "worst_days_late": 0, "overdue_amount": "0.00",
            },
            "flags": [],
        }
    ]  # fmt: skip


async def test_a_paid_invoice_releases_its_exposure_and_counts_in_the_payment_record(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    paid = await post_payment(api, key, invoice["id"])
    assert paid.status_code == 200, paid.text

    async def settled() -> dict[str, Any] | None:
        row = row_of(await report(api, key, REPORT), buyer["id"])
        return row if row["payment_record"]["invoices_paid"] == 1 else None

    row = await eventually(settled)
    assert (row["exposure"], row["available"], row["utilisation"]) == ("0.00", "1000.00", "0.0")
    assert row["payment_record"]["paid_on_time"] == 1
    assert row["flags"] == []


async def test_a_buyer_from_80_percent_of_its_limit_is_near_limit(api) -> None:
    key = await create_merchant(api)
    at_80 = await create_buyer(api, key, name="At", credit_limit="148.75")  # 119.00 is exactly 80 %
    below = await create_buyer(api, key, name="Below", credit_limit="149.00")  # 79.86 %
    for buyer in (at_80, below):
        await open_invoice(api, key, buyer["id"])
    body = await report(api, key, REPORT)
    assert (row_of(body, at_80["id"])["utilisation"], row_of(body, at_80["id"])["flags"]) == (
        "80.0", ["near_limit"]
    )
    assert (row_of(body, below["id"])["utilisation"], row_of(body, below["id"])["flags"]) == ("79.8", [])


async def test_a_suspended_buyer_is_flagged(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    patched = await api.patch(f"/v1/buyers/{buyer['id']}", json={"status": "suspended"}, headers=auth(key))
    assert patched.status_code == 200, patched.text
    row = row_of(await report(api, key, REPORT), buyer["id"])
    assert (row["status"], row["flags"]) == ("suspended", ["suspended"])


async def test_an_overdue_invoice_shows_as_overdue_amount_and_flag(fast_api) -> None:
    key = await create_merchant(fast_api)
    buyer = await create_buyer(fast_api, key, payment_terms_days=0)
    invoice = await open_invoice(fast_api, key, buyer["id"])
    await invoice_reaches(fast_api, key, invoice["id"], "overdue")

    async def shown() -> dict[str, Any] | None:
        """The report reads the stored invoice, which follows the workflow's status a moment later."""
        row = row_of(await report(fast_api, key, REPORT), buyer["id"])
        return row if row["payment_record"]["overdue_amount"] != "0.00" else None

    row = await eventually(shown)
    assert row["payment_record"]["overdue_amount"] == "119.00"
    assert "overdue" in row["flags"]


async def test_paying_a_long_overdue_invoice_marks_a_late_payer(fast_api) -> None:
    key = await create_merchant(fast_api)
    buyer = await create_buyer(fast_api, key, payment_terms_days=0)
    invoice = await open_invoice(fast_api, key, buyer["id"])
    await invoice_reaches(fast_api, key, invoice["id"], "uncollectible")
    paid = await post_payment(fast_api, key, invoice["id"])
    assert paid.status_code == 200, paid.text

    async def settled() -> dict[str, Any] | None:
        row = row_of(await report(fast_api, key, REPORT), buyer["id"])
        return row if row["payment_record"]["invoices_paid"] == 1 else None

    row = await eventually(settled)
    assert row["payment_record"]["worst_days_late"] >= 30
    assert row["payment_record"]["overdue_amount"] == "0.00"
    assert "late_payer" in row["flags"]
    assert "overdue" not in row["flags"]


# Order, totals and isolation


async def test_buyers_are_sorted_by_utilisation_then_name(api) -> None:
    key = await create_merchant(api)
    names = {}
    for name, limit in (("Bea", "1000.00"), ("Abe", "1000.00"), ("Cy", "200.00"), ("Di", "5000.00")):
        names[(await create_buyer(api, key, name=name, credit_limit=limit))["id"]] = name
    for buyer_id in names:
        await open_invoice(api, key, buyer_id)
    body = await report(api, key, REPORT)
    assert [(b["name"], b["utilisation"]) for b in body["data"]] == [
        ("Cy", "59.5"), ("Abe", "11.9"), ("Bea", "11.9"), ("Di", "2.3"),
    ]  # fmt: skip


async def test_totals_add_up_over_the_buyers_of_each_currency(api) -> None:
    key = await create_merchant(api)
    eur = [await create_buyer(api, key, credit_limit=limit) for limit in ("1000.00", "500.50")]
    jpy = await create_buyer(api, key, currency="JPY", credit_limit="100000")
    for buyer in eur:
        await open_invoice(api, key, buyer["id"])
    await open_invoice(api, key, jpy["id"], currency="JPY", lines=JPY_LINES)
    body = await report(api, key, REPORT)
    assert body["totals"] == [
        {"currency": "EUR", "buyers": 2, "limit": "1500.50", "exposure": "238.00", "available": "1262.50",
         "overdue_amount": "0.00"},
        {"currency": "JPY", "buyers": 1, "limit": "100000", "exposure": "11000", "available": "89000",
         "overdue_amount": "0"},
    ]  # fmt: skip
    assert row_of(body, jpy["id"])["utilisation"] == "11.0"


async def test_an_over_the_limit_buyer_adds_nothing_available_to_the_totals(api) -> None:
    key = await create_merchant(api)
    over = await create_buyer(api, key, credit_limit="1000.00")
    await open_invoice(api, key, over["id"])
    lowered = await api.patch(f"/v1/buyers/{over['id']}", json={"credit_limit": "100.00"}, headers=auth(key))
    assert lowered.status_code == 200, lowered.text
    await create_buyer(api, key, credit_limit="50.00")
    body = await report(api, key, REPORT)
    row = row_of(body, over["id"])
    assert (row["available"], row["utilisation"], row["flags"]) == ("0.00", "119.0", ["near_limit"])
    assert body["totals"][0]["available"] == "50.00"


async def test_another_merchants_buyers_never_appear(api) -> None:
    mine, theirs = await create_merchant(api), await create_merchant(api)
    own = await create_buyer(api, mine)
    other = await create_buyer(api, theirs, currency="USD")
    await open_invoice(api, theirs, other["id"], currency="USD")
    body = await report(api, mine, REPORT)
    assert [b["buyer_id"] for b in body["data"]] == [own["id"]]
    assert [t["currency"] for t in body["totals"]] == ["EUR"]


async def test_a_merchant_without_buyers_gets_an_empty_report(api) -> None:
    key = await create_merchant(api)
    assert await report(api, key, REPORT) == {"data": [], "next_cursor": None, "totals": []}


async def test_the_report_takes_as_many_queries_for_many_buyers_as_for_one(
    api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    counts = []
    with statements_of(api, sessions) as statements:
        for buyers in (1, 5):
            key = await create_merchant(api)
            for _ in range(buyers):
                buyer = await create_buyer(api, key)
                await open_invoice(api, key, buyer["id"])
            statements.clear()
            assert len((await report(api, key, REPORT))["data"]) == buyers
            counts.append(len(statements))
    # The key, the page of buyers, their overdue sums, the totals and the overdue totals.
    assert counts[0] == counts[1] <= 5, statements


# CSV


async def csv_rows(api: httpx.AsyncClient, key: str) -> list[list[str]]:
    response = await api.get(REPORT, headers=auth(key) | {"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


async def test_csv_has_a_header_and_one_row_per_buyer(api) -> None:
    key = await create_merchant(api)
    near = await create_buyer(api, key, name="Near", credit_limit="148.75")
    idle = await create_buyer(api, key, name="Idle")
    await open_invoice(api, key, near["id"])
    patched = await api.patch(f"/v1/buyers/{near['id']}", json={"status": "suspended"}, headers=auth(key))
    assert patched.status_code == 200, patched.text
    header, *rows = await csv_rows(api, key)
    assert header == CSV_HEADER
    assert header[:10] == [
        "buyer_id", "external_id", "name", "currency", "limit", "exposure", "available", "utilisation",
        "status", "limit_source",
    ]  # fmt: skip
    assert "record_average_days_late" in header and header[-1] == "flags"
    by_name = {r[header.index("name")]: dict(zip(header, r, strict=True)) for r in rows}
    assert len(rows) == 2 and set(by_name) == {"Near", "Idle"}
    assert by_name["Near"]["buyer_id"] == near["id"]
    assert by_name["Near"]["exposure"] == "119.00"
    assert by_name["Near"]["record_invoices_paid"] == "0"
    assert by_name["Near"]["flags"] == "near_limit;suspended"
    assert (by_name["Idle"]["buyer_id"], by_name["Idle"]["flags"]) == (idle["id"], "")


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
async def test_csv_neutralises_text_that_a_spreadsheet_would_run_as_a_formula(api, start) -> None:
    key = await create_merchant(api)
    name = f'{start}HYPERLINK("http://evil.example","click")'
    await create_buyer(api, key, name=name, external_id=f"{start}1+2")
    header, row = await csv_rows(api, key)
    assert row[header.index("name")] == f"'{name}"
    assert row[header.index("external_id")] == f"'{start}1+2"


async def test_json_stays_the_answer_when_json_is_preferred(api) -> None:
    key = await create_merchant(api)
    response = await api.get(
        REPORT, headers=auth(key) | {"Accept": "application/json, text/csv;q=0.5"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": [], "next_cursor": None, "totals": []}


# Authentication


async def test_the_report_without_a_key_is_unauthorized(api) -> None:
    response = await api.get(REPORT)
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


# The flags, one rule at a time


def _record(**fields: int) -> PaymentRecord:
    return PaymentRecord(**fields)


@pytest.mark.parametrize(
    ("record", "late"),
    [
        (_record(), False),
        (_record(invoices_paid=3, paid_on_time=3, on_time_streak=3), False),
        (_record(invoices_paid=2, total_days_late=13, worst_days_late=13), False),  # 6.5 days
        (_record(invoices_paid=2, total_days_late=14, worst_days_late=14), True),  # 7.0 days
        (_record(invoices_paid=20, total_days_late=139, worst_days_late=20), True),  # 6.95: shown 7.0
        (_record(invoices_paid=10, paid_on_time=9, total_days_late=29, worst_days_late=29), False),
        (_record(invoices_paid=10, paid_on_time=9, total_days_late=30, worst_days_late=30), True),
    ],
    ids=["never-paid", "on-time", "avg-6.5", "avg-7", "avg-rounds-to-7", "worst-29", "worst-30"],
)
def test_a_late_payer_pays_7_days_late_on_average_or_once_30(record, late) -> None:
    flags = credit_flags(limit=1000, exposure=0, record=record, status="active", overdue_amount=0)
    assert ("late_payer" in flags) is late


@pytest.mark.parametrize(
    ("limit", "exposure", "shown", "near"),
    [
        (0, 0, "0.0", False),
        (1000, 0, "0.0", False),
        (1000, 799, "79.9", False),
        (100000, 79999, "79.9", False),  # 79.999 % is shown rounded down, so never as 80.0
        (1000, 800, "80.0", True),
        (1000, 1000, "100.0", True),
        (1000, 2500, "250.0", True),
        (0, 1, None, True),  # exposed on a limit of 0: over any share of it
    ],
)
def test_utilisation_and_the_near_limit_flag(limit, exposure, shown, near) -> None:
    assert utilisation_percent(utilisation_ratio(limit, exposure)) == shown
    flags = credit_flags(limit=limit, exposure=exposure, record=_record(), status="active", overdue_amount=0)
    assert ("near_limit" in flags) is near


def test_flags_come_in_a_fixed_order() -> None:
    record = _record(invoices_paid=1, total_days_late=40, worst_days_late=40)
    flags = credit_flags(limit=100, exposure=100, record=record, status="suspended", overdue_amount=1)
    assert flags == ["near_limit", "late_payer", "suspended", "overdue"]


# Pages


async def test_the_report_comes_a_page_at_a_time_in_its_order(api) -> None:
    key = await create_merchant(api)
    limits = ("1000.00", "1000.00", "200.00", "5000.00", "300.00", "0.00", "700.00")
    for n, limit in enumerate(limits):
        buyer = await create_buyer(api, key, name=f"Buyer {n}", credit_limit=limit)
        if limit != "0.00":
            await open_invoice(api, key, buyer["id"])
    whole = await report(api, key, REPORT, limit=200)
    assert whole["next_cursor"] is None and len(whole["data"]) == len(limits)

    pages, cursor = [], None
    while True:
        page = await report(api, key, REPORT, limit=3, **({"cursor": cursor} if cursor else {}))
        assert len(page["data"]) <= 3
        assert page["totals"] == whole["totals"]  # over every buyer, on every page
        pages.append(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [row for page in pages for row in page] == whole["data"]


async def test_the_csv_export_is_the_whole_report(api) -> None:
    key = await create_merchant(api)
    for n in range(3):
        await create_buyer(api, key, name=f"Buyer {n}")
    response = await api.get(REPORT, params={"limit": 1}, headers=auth(key) | {"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert len(response.text.strip().splitlines()) == 1 + 3


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": 0}, "invalid_request"),
        ({"limit": 201}, "invalid_request"),
        ({"cursor": "x"}, "invalid_cursor"),
        ({"cursor": "MjAyNi0wMS0wMVQwMDowMDowMHxub2JvZHk="}, "invalid_cursor"),  # an unknown buyer
    ],
)
async def test_a_bad_page_of_the_report_is_refused(api, params: dict[str, Any], code: str) -> None:
    key = await create_merchant(api)
    response = await api.get(REPORT, params=params, headers=auth(key))
    assert (response.status_code, error_code(response)) == (422, code)
