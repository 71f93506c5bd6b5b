"""The aging benchmark loads its book into the schema the migrations make: a table whose
foreign key referenced the invoices' primary key once stopped its bulk load (which drops and
rebuilds that key) at the end of a 25-minute `make bench`."""

import os

import pytest

from bench.aging import aging

pytestmark = pytest.mark.skipif(
    not os.environ.get("PAYINVOICE_TEST_DATABASE_URL"),
    reason="by design: the aging benchmark runs on PostgreSQL only (PAYINVOICE_TEST_DATABASE_URL)",
)


async def test_the_aging_benchmark_loads_a_small_book_into_the_migrated_schema_and_reports_it() -> None:
    report = await aging(invoices=2_000, runs=1)

    assert report["check"]["ok"], report["check"]["mismatches"]
    assert report["invoices"] == 2_000
