"""Days sales outstanding: receivables at `as_of` over the credit sales of the `days` before it,
times `days`, per currency, as JSON and CSV."""

import csv
import io
from typing import Any

import pytest

from services.reports.dso import dso_value
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
from tests.utils.reports import JPY_LINES, report
from tests.utils.waiting import eventually

REPORT = "/v1/reports/dso"


async def test_dso_is_receivables_over_credit_sales_times_days(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    half_paid = await open_invoice(api, key, buyer["id"])
    await open_invoice(api, key, buyer["id"])
    payment = await post_payment(api, key, half_paid["id"], amount="59.50")
    assert payment.status_code == 200, payment.text
    as_of = half_paid["issue_date"]

    async def paid_down() -> dict[str, Any] | None:
        body = await report(api, key, REPORT, as_of=as_of)
        return body if body["currencies"][0]["receivables"] != "238.00" else None

    # Receivables 119.00 + 59.50 = 178.50 on sales of 238.00 over 90 days: 178.50 / 238.00 x 90.
    assert await eventually(paid_down) == {
        "as_of": as_of, "days": 90,
        "currencies": [
            {"currency": "EUR", "receivables": "178.50", "credit_sales": "238.00", "days": 90, "dso": "67.5"},
        ],
    }  # fmt: skip


async def test_dso_is_null_without_sales_in_the_window(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    body = await report(api, key, REPORT, as_of=days_after(invoice["issue_date"], 10), days=5)
    assert body["currencies"] == [
        {"currency": "EUR", "receivables": "119.00", "credit_sales": "0.00", "days": 5, "dso": None},
    ]


@pytest.mark.parametrize(("days", "sales"), [(5, "0.00"), (6, "119.00")])
async def test_the_window_is_the_days_after_as_of_minus_days_up_to_as_of(api, days, sales) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    body = await report(api, key, REPORT, as_of=days_after(invoice["issue_date"], 5), days=days)
    [row] = body["currencies"]
    assert (row["receivables"], row["credit_sales"]) == ("119.00", sales)


async def test_invoices_issued_after_as_of_do_not_count(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    body = await report(api, key, REPORT, as_of=days_after(invoice["issue_date"], -1))
    assert body["currencies"] == []


async def test_paid_invoices_are_sales_but_not_receivables_and_declined_ones_are_neither(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, credit_limit="250.00")
    paid = await open_invoice(api, key, buyer["id"])
    await open_invoice(api, key, buyer["id"])
    declined = await checkout(api, key, buyer["id"])  # 357.00 would exceed the 250.00 limit
    assert (declined.status_code, declined.json()["status"]) == (201, "declined"), declined.text
    payment = await post_payment(api, key, paid["id"])
    assert payment.status_code == 200, payment.text

    async def settled() -> dict[str, Any] | None:
        [row] = (await report(api, key, REPORT, as_of=paid["issue_date"], days=30))["currencies"]
        return row if row["receivables"] == "119.00" else None

    # 119.00 / 238.00 x 30
    assert await eventually(settled) == {
        "currency": "EUR", "receivables": "119.00", "credit_sales": "238.00", "days": 30, "dso": "15.0",
    }  # fmt: skip


async def test_one_row_per_currency_and_the_currency_filter_keeps_one(api) -> None:
    key = await create_merchant(api)
    euro = await create_buyer(api, key)
    yen = await create_buyer(api, key, currency="JPY", credit_limit="100000")
    invoice = await open_invoice(api, key, euro["id"])
    await open_invoice(api, key, yen["id"], currency="JPY", lines=JPY_LINES)
    as_of = invoice["issue_date"]
    every = await report(api, key, REPORT, as_of=as_of, days=30)
    assert [(r["currency"], r["receivables"], r["credit_sales"], r["dso"]) for r in every["currencies"]] == [
        ("EUR", "119.00", "119.00", "30.0"), ("JPY", "11000", "11000", "30.0"),
    ]  # fmt: skip
    yen_only = await report(api, key, REPORT, as_of=as_of, days=30, currency="JPY")
    assert [r["currency"] for r in yen_only["currencies"]] == ["JPY"]


async def test_another_merchants_invoices_never_appear(api) -> None:
    mine, theirs = await create_merchant(api), await create_merchant(api)
    other = await create_buyer(api, theirs)
    invoice = await open_invoice(api, theirs, other["id"])
    body = await report(api, mine, REPORT, as_of=invoice["issue_date"])
    assert body == {"as_of": invoice["issue_date"], "days": 90, "currencies": []}


async def test_csv_has_a_header_and_one_row_per_currency(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    as_of = days_after(invoice["issue_date"], 10)
    response = await api.get(
        REPORT, params={"as_of": as_of, "days": 5}, headers=auth(key) | {"Accept": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="dso-report-{as_of}.csv"'
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["currency", "receivables", "credit_sales", "days", "dso"],
        ["EUR", "119.00", "0.00", "5", ""],
    ]


@pytest.mark.parametrize(
    "params", [{"days": "0"}, {"days": "3651"}, {"days": "ninety"}, {"as_of": "2025-02-30"}]
)
async def test_a_window_out_of_range_or_a_bad_as_of_is_refused(api, params) -> None:
    key = await create_merchant(api)
    response = await api.get(REPORT, params=params, headers=auth(key))
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"


async def test_a_window_reaching_back_before_the_first_date_is_answered(api) -> None:
    key = await create_merchant(api)
    body = await report(api, key, REPORT, as_of="0001-01-02", days=3650)
    assert body == {"as_of": "0001-01-02", "days": 3650, "currencies": []}


async def test_the_report_without_a_key_is_unauthorized(api) -> None:
    response = await api.get(REPORT)
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


@pytest.mark.parametrize(
    ("receivables", "sales", "days", "shown"),
    [(0, 100, 90, "0.0"), (1, 3, 10, "3.3"), (1, 6, 1, "0.2"), (1, 4, 1, "0.3"), (5, 1, 3650, "18250.0")],
)
def test_dso_is_rounded_half_up_to_one_decimal(receivables, sales, days, shown) -> None:
    assert dso_value(receivables, sales, days) == shown
