"""What a merchant's or a processor's payment report may say: its time is bounded by the
invoice's issue and the present, and its id may not be one of payinvoice's own sources."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.utils.camt053 import ACCOUNT, Entry, camt053
from tests.utils.factories import auth, checkout, create_buyer, create_merchant, error_code, post_payment


async def issued(api: httpx.AsyncClient) -> tuple[str, dict]:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await checkout(api, key, buyer["id"])
    assert response.status_code == 201, response.text
    return key, response.json()


async def test_a_payment_said_to_be_paid_before_the_invoice_was_issued_counts_from_the_issue(
    api: httpx.AsyncClient,
) -> None:
    key, invoice = await issued(api)
    backdated = datetime.fromisoformat(invoice["created_at"]) - timedelta(days=400)

    paid = await post_payment(api, key, invoice["id"], amount="10.00", paid_at=backdated.isoformat())

    assert paid.status_code == 200, paid.text
    [payment] = paid.json()["payments"]
    assert datetime.fromisoformat(payment["paid_at"]) >= datetime.fromisoformat(invoice["created_at"])


async def test_a_payment_said_to_be_paid_in_the_future_counts_from_now_at_the_latest(
    api: httpx.AsyncClient,
) -> None:
    key, invoice = await issued(api)
    reported_at = datetime.now(UTC)

    paid = await post_payment(
        api, key, invoice["id"], amount="10.00", paid_at=(reported_at + timedelta(days=30)).isoformat()
    )

    assert paid.status_code == 200, paid.text
    [payment] = paid.json()["payments"]
    assert datetime.fromisoformat(payment["paid_at"]) <= datetime.now(UTC) + timedelta(minutes=5)


@pytest.mark.parametrize("payment_id", ["camt053:E-1", "balance:x"])
async def test_a_payment_with_an_id_of_payinvoices_own_sources_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, payment_id: str
) -> None:
    key, invoice = await issued(api)

    refused = await post_payment(api, key, invoice["id"], payment_id=payment_id)

    assert (refused.status_code, error_code(refused)) == (422, "invalid_request"), refused.text
    after = (await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))).json()
    assert (after["status"], after["amount_paid"], after["payments"]) == ("open", "0.00", [])


async def test_a_bank_statement_payment_reported_again_by_its_id_is_answered_as_it_stands(
    api: httpx.AsyncClient,
) -> None:
    """The reserved ids guard new money only: the same payment again changes nothing, as ever."""
    key, invoice = await issued(api)
    entry = Entry("10.00", reference=invoice["payment_reference"])
    imported = await api.post(
        "/v1/reconciliation/camt053", content=camt053([entry]),
        headers=auth(key) | {"Content-Type": "application/xml"},
    )
    assert imported.status_code == 200, imported.text
    statement_id = f"camt053:{ACCOUNT}:{entry.ref}"

    again = await post_payment(api, key, invoice["id"], payment_id=statement_id, amount="10.00")

    assert again.status_code == 200, again.text
    assert [p["payment_id"] for p in again.json()["payments"]] == [statement_id]
