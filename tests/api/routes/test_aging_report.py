"""The receivables aging report: what each buyer owes, by days past due at `as_of`, as JSON and CSV.

Invoices are issued today; a future `as_of` puts them past due without waiting (as_of = due date
+ 45 days is 45 days past due, in 31-60).
"""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reports.aging import CSV_HEADER
from tests.utils.dates import days_after
from tests.utils.factories import (
    auth,
    checkout,
    create_buyer,
    create_merchant,
    error_code,
    open_invoice,
    post_payment,
)
from tests.utils.reports import JPY_LINES, report, statements_of
from tests.utils.waiting import eventually

REPORT = "/v1/reports/aging"
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_90_plus")
TEN_EUROS = [{"description": "Pin", "quantity": "1", "unit_price": "10.00", "tax_rate": "0"}]


def buckets_of(row: dict[str, Any]) -> dict[str, str]:
    return {bucket: row[bucket] for bucket in BUCKETS}


def only(bucket: str, amount: str, zero: str = "0.00") -> dict[str, str]:
    return {b: amount if b == bucket else zero for b in BUCKETS}


# The buckets


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-30, "current"), (0, "current"), (1, "days_1_30"), (30, "days_1_30"), (31, "days_31_60"),
        (60, "days_31_60"), (61, "days_61_90"), (90, "days_61_90"), (91, "days_90_plus"),
        (3000, "days_90_plus"),
    ],
)  # fmt: skip
async def test_an_invoice_falls_in_the_bucket_of_its_days_past_due_at_as_of(
    api, days_past_due, bucket
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    as_of = days_after(invoice["due_date"], days_past_due)
    body = await report(api, key, REPORT, as_of=as_of)
    [row] = body["buyers"]
    assert body["as_of"] == as_of
    assert (buckets_of(row), row["total"]) == (only(bucket, "119.00"), "119.00")


async def test_a_row_names_its_buyer_and_the_report_is_as_of_today_by_default(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, name="Ada Buyer")
    await open_invoice(api, key, buyer["id"])
    before = datetime.now(UTC).date().isoformat()
    body = await report(api, key, REPORT)
    after = datetime.now(UTC).date().isoformat()
    assert body["as_of"] in {before, after}
    assert body["buyers"] == [
        {"buyer_id": buyer["id"], "external_id": buyer["external_id"], "name": "Ada Buyer", "currency": "EUR",
         **only("current", "119.00"), "total": "119.00"},
    ]  # fmt: skip
    assert body["totals"] == [{"currency": "EUR", **only("current", "119.00"), "total": "119.00"}]


# What counts


async def test_paid_and_declined_invoices_are_left_out(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, credit_limit="250.00")
    paid = await open_invoice(api, key, buyer["id"])
    unpaid = await open_invoice(api, key, buyer["id"])
    declined = await checkout(api, key, buyer["id"])  # 357.00 would exceed the 250.00 limit
    assert (declined.status_code, declined.json()["status"]) == (201, "declined"), declined.text
    payment = await post_payment(api, key, paid["id"])
    assert payment.status_code == 200, payment.text
    as_of = days_after(unpaid["due_date"], 45)

    async def only_the_unpaid_one() -> dict[str, Any] | None:
        body = await report(api, key, REPORT, as_of=as_of)
        return body if body["totals"][0]["total"] == "119.00" else None

    body = await eventually(only_the_unpaid_one)
    [row] = body["buyers"]
    assert (buckets_of(row), row["total"]) == (only("days_31_60", "119.00"), "119.00")


async def test_a_partly_paid_invoice_counts_what_is_left_to_pay(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    payment = await post_payment(api, key, invoice["id"], amount="19.00")
    assert payment.status_code == 200, payment.text
    as_of = days_after(invoice["due_date"], 10)

    async def paid_down() -> dict[str, Any] | None:
        [row] = (await report(api, key, REPORT, as_of=as_of))["buyers"]
        return row if row["total"] != "119.00" else None

    row = await eventually(paid_down)
    assert (buckets_of(row), row["total"]) == (only("days_1_30", "100.00"), "100.00")


# Totals and currencies


async def test_totals_per_currency_add_up_to_what_the_invoices_have_due(api) -> None:
    key = await create_merchant(api)
    net0 = await create_buyer(api, key, name="Net 0", payment_terms_days=0)
    net30 = await create_buyer(api, key, name="Net 30", payment_terms_days=30)
    yen = await create_buyer(
        api, key, name="Yen", currency="JPY", credit_limit="100000", payment_terms_days=60
    )
    invoices = [
        await open_invoice(api, key, net0["id"]),
        await open_invoice(api, key, net30["id"]),
        await open_invoice(api, key, net30["id"], lines=TEN_EUROS),
        await open_invoice(api, key, yen["id"], currency="JPY", lines=JPY_LINES),
    ]
    as_of = days_after(invoices[0]["due_date"], 45)  # net 0: due on the day of issue
    body = await report(api, key, REPORT, as_of=as_of)

    assert [(b["name"], b["currency"], buckets_of(b), b["total"]) for b in body["buyers"]] == [
        ("Net 0", "EUR", only("days_31_60", "119.00"), "119.00"),
        ("Net 30", "EUR", only("days_1_30", "129.00"), "129.00"),
        ("Yen", "JPY", only("current", "11000", zero="0"), "11000"),
    ]  # fmt: skip
    assert body["totals"] == [
        {"currency": "EUR", "current": "0.00", "days_1_30": "129.00", "days_31_60": "119.00",
         "days_61_90": "0.00", "days_90_plus": "0.00", "total": "248.00"},
        {"currency": "JPY", **only("current", "11000", zero="0"), "total": "11000"},
    ]  # fmt: skip
    # Whatever the buckets, the buyers' totals are exactly what the invoices have due.
    for totals in body["totals"]:
        code = totals["currency"]
        rows = [b for b in body["buyers"] if b["currency"] == code]
        due = [
            Decimal((await api.get(f"/v1/invoices/{i['id']}", headers=auth(key))).json()["amount_due"])
            for i in invoices
            if i["currency"] == code
        ]
        assert sum(Decimal(b["total"]) for b in rows) == sum(due) == Decimal(totals["total"])
        for bucket in BUCKETS:
            assert sum(Decimal(b[bucket]) for b in rows) == Decimal(totals[bucket])


async def test_the_currency_filter_keeps_one_currency(api) -> None:
    key = await create_merchant(api)
    euro = await create_buyer(api, key)
    yen = await create_buyer(api, key, currency="JPY", credit_limit="100000")
    await open_invoice(api, key, euro["id"])
    await open_invoice(api, key, yen["id"], currency="JPY", lines=JPY_LINES)
    body = await report(api, key, REPORT, currency="JPY")
    assert [(b["buyer_id"], b["total"]) for b in body["buyers"]] == [(yen["id"], "11000")]
    assert [t["currency"] for t in body["totals"]] == ["JPY"]


async def test_an_unsupported_currency_is_refused(api) -> None:
    key = await create_merchant(api)
    response = await api.get(REPORT, params={"currency": "XXX"}, headers=auth(key))
    assert response.status_code == 422
    assert error_code(response) == "unsupported_currency"


async def test_another_merchants_invoices_never_appear(api) -> None:
    mine, theirs = await create_merchant(api), await create_merchant(api)
    other = await create_buyer(api, theirs)
    await open_invoice(api, theirs, other["id"])
    body = await report(api, mine, REPORT, as_of="2030-01-01")
    assert body == {"as_of": "2030-01-01", "buyers": [], "totals": []}


# SQL, not Python loops


async def test_the_report_takes_as_many_queries_for_many_invoices_as_for_one(
    api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    counts = []
    with statements_of(api, sessions) as statements:
        for buyers in (1, 3):
            key = await create_merchant(api)
            for _ in range(buyers):
                buyer = await create_buyer(api, key)
                await open_invoice(api, key, buyer["id"])
                await open_invoice(api, key, buyer["id"])
            statements.clear()
            assert len((await report(api, key, REPORT))["buyers"]) == buyers
            counts.append(len(statements))
    assert counts[0] == counts[1] <= 2, statements  # the key, the aggregate


# CSV


async def csv_response(api: httpx.AsyncClient, key: str, **params: Any) -> httpx.Response:
    response = await api.get(REPORT, params=params, headers=auth(key) | {"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response


async def test_csv_has_a_header_and_one_row_per_buyer_and_currency(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, name="Ada Buyer")
    invoice = await open_invoice(api, key, buyer["id"])
    as_of = days_after(invoice["due_date"], 45)
    response = await csv_response(api, key, as_of=as_of)
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert header == CSV_HEADER == [
        "buyer_id", "external_id", "name", "currency", *BUCKETS, "total",
    ]  # fmt: skip
    assert rows == [
        [buyer["id"], buyer["external_id"], "Ada Buyer", "EUR", "0.00", "0.00", "119.00", "0.00", "0.00",
         "119.00"],
    ]  # fmt: skip
    assert response.headers["content-disposition"] == f'attachment; filename="aging-report-{as_of}.csv"'


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
async def test_csv_neutralises_text_that_a_spreadsheet_would_run_as_a_formula(api, start) -> None:
    key = await create_merchant(api)
    name = f'{start}HYPERLINK("http://evil.example","click")'
    buyer = await create_buyer(api, key, name=name, external_id=f"{start}1+2")
    await open_invoice(api, key, buyer["id"])
    header, row = list(csv.reader(io.StringIO((await csv_response(api, key)).text)))
    assert row[header.index("name")] == f"'{name}"
    assert row[header.index("external_id")] == f"'{start}1+2"


# Bad requests


@pytest.mark.parametrize(
    "as_of", ["2025-02-30", "yesterday", "1700000000", "2025-1-5", "2025-01-05T00:00:00", ""]
)
async def test_an_as_of_that_is_not_a_date_is_refused(api, as_of) -> None:
    key = await create_merchant(api)
    response = await api.get(REPORT, params={"as_of": as_of}, headers=auth(key))
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"


async def test_the_report_without_a_key_is_unauthorized(api) -> None:
    response = await api.get(REPORT)
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
