"""Bank statements on the real stack: the sample statement settles the right invoices, a second
import changes nothing, the rest is resolved by hand; bad files are refused; tenants are apart."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.utils.camt053 import (
    SAMPLE_DATE,
    SAMPLE_NUMBER,
    SAMPLE_REFERENCE,
    SAMPLE_REFS,
    Entry,
    camt053,
    sample_statement,
)
from tests.utils.credit import get_invoice
from tests.utils.factories import auth, checkout, create_buyer, create_merchant, error_code

IMPORT = "/v1/reconciliation/camt053"
UNMATCHED = "/v1/reconciliation/unmatched"
XML = {"Content-Type": "application/xml"}
TODAY = datetime.now(UTC).date().isoformat()


async def _import(api: httpx.AsyncClient, key: str, data: bytes, **headers: str) -> httpx.Response:
    return await api.post(IMPORT, content=data, headers=auth(key) | XML | headers)


async def _imported(api: httpx.AsyncClient, key: str, data: bytes) -> dict[str, Any]:
    response = await _import(api, key, data)
    assert response.status_code == 200, response.text
    return response.json()


async def _invoice(
    api: httpx.AsyncClient, key: str, buyer_id: str, unit_price: str = "50.00"
) -> dict[str, Any]:
    line = {"description": "Widget", "quantity": "2", "unit_price": unit_price, "tax_rate": "19"}
    response = await checkout(api, key, buyer_id, lines=[line])
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "open"
    return response.json()


async def _unmatched(api: httpx.AsyncClient, key: str, status: str = "open") -> list[dict[str, Any]]:
    response = await api.get(UNMATCHED, params={"status": status}, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def _resolve(
    api: httpx.AsyncClient, key: str, entry_id: str, action: str, **body: Any
) -> httpx.Response:
    return await api.post(f"{UNMATCHED}/{entry_id}/{action}", json=body, headers=auth(key))


async def _sample_world(api: httpx.AsyncClient) -> tuple[str, dict[str, dict[str, Any]], bytes]:
    """A merchant with the three invoices the sample statement pays, and the statement quoting them."""
    key = await create_merchant(api)
    nordwind = await create_buyer(api, key, name="Nordwind Handel GmbH")
    hansen = await create_buyer(api, key, name="Hansen Kantoorartikelen B.V.")
    bergmann = await create_buyer(api, key, name="Bergmann & Söhne KG")
    invoices = {
        "reference": await _invoice(api, key, nordwind["id"]),  # 119.00
        "number": await _invoice(api, key, hansen["id"]),  # 119.00, paid 50.00 of it
        "amount": await _invoice(api, key, bergmann["id"], unit_price="100.00"),  # 238.00
    }
    data = sample_statement({
        SAMPLE_REFERENCE: invoices["reference"]["payment_reference"],
        SAMPLE_NUMBER: invoices["number"]["number"],
        SAMPLE_DATE: TODAY,
    })  # fmt: skip
    return key, invoices, data


# The sample statement


async def test_the_sample_statement_settles_the_right_invoices(api) -> None:
    key, invoices, data = await _sample_world(api)
    summary = await _imported(api, key, data)
    assert summary["statement_id"] == "STMT-20261104-DE89370400440532013000"
    assert summary["counts"] == {"matched": 3, "unmatched": 1, "already_imported": 0, "ignored_debit": 1}
    got = [(e["entry_ref"], e["outcome"], e["matched_by"], e["invoice_id"]) for e in summary["entries"]]
    assert got == [
        (SAMPLE_REFS[0], "matched", "reference", invoices["reference"]["id"]),
        (SAMPLE_REFS[1], "matched", "invoice_number", invoices["number"]["id"]),
        (SAMPLE_REFS[2], "matched", "amount", invoices["amount"]["id"]),
        (SAMPLE_REFS[3], "ignored_debit", None, None),
        (SAMPLE_REFS[4], "unmatched", None, None),
    ]
    assert [(e["amount"], e["currency"]) for e in summary["entries"]][1] == ("50.00", "EUR")
    unmatched = summary["entries"][4]
    assert unmatched["unmatched_id"] and unmatched["reason"]

    paid = await get_invoice(api, key, invoices["reference"]["id"])
    assert (paid["status"], paid["amount_paid"], paid["amount_due"]) == ("paid", "119.00", "0.00")
    (payment,) = paid["payments"]
    assert payment["method"] == "bank_transfer"
    assert payment["paid_at"].startswith(TODAY)
    assert payment["payment_id"] == f"camt053:DE89370400440532013000:{SAMPLE_REFS[0]}"
    partly = await get_invoice(api, key, invoices["number"]["id"])
    assert (partly["status"], partly["amount_paid"], partly["amount_due"]) == ("open", "50.00", "69.00")
    by_amount = await get_invoice(api, key, invoices["amount"]["id"])
    assert (by_amount["status"], by_amount["amount_paid"]) == ("paid", "238.00")

    (queued,) = await _unmatched(api, key)
    assert queued["id"] == unmatched["unmatched_id"]
    assert (queued["entry_ref"], queued["amount"], queued["currency"]) == (SAMPLE_REFS[4], "75.30", "EUR")
    assert queued["debtor_name"] == "Thames Office Supplies Ltd"
    assert queued["debtor_iban"] == "GB29NWBK60161331926819"
    assert queued["remittance"] == ["Order 5531 thank you"]
    assert queued["reason"] == "no valid RF reference, no invoice number and no known debtor"
    assert queued["status"] == "open"
    assert queued["booked_at"].startswith(TODAY)


async def test_the_same_statement_twice_applies_nothing_twice(api) -> None:
    key, invoices, data = await _sample_world(api)
    first = await _imported(api, key, data)
    before = {name: await get_invoice(api, key, i["id"]) for name, i in invoices.items()}
    again = await _imported(api, key, data)
    assert again["counts"] == {"matched": 0, "unmatched": 0, "already_imported": 4, "ignored_debit": 1}
    for old, new in zip(first["entries"], again["entries"], strict=True):
        assert new["invoice_id"] == old["invoice_id"]
        assert new["unmatched_id"] == old["unmatched_id"]
    after = {name: await get_invoice(api, key, i["id"]) for name, i in invoices.items()}
    assert after == before
    assert len(await _unmatched(api, key)) == 1


# The unmatched queue, by hand


async def test_an_unmatched_entry_is_applied_by_hand_once(api) -> None:
    key, invoices, data = await _sample_world(api)
    entry_id = (await _imported(api, key, data))["entries"][4]["unmatched_id"]
    target = invoices["number"]  # 69.00 still due
    response = await _resolve(api, key, entry_id, "apply", invoice_id=target["id"])
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["invoice_id"]) == ("applied", target["id"])
    invoice = await get_invoice(api, key, target["id"])
    assert (invoice["status"], invoice["amount_paid"]) == ("paid", "125.30")
    assert invoice["overpaid_amount"] == "6.30"

    again = await _resolve(api, key, entry_id, "apply", invoice_id=target["id"])
    assert again.status_code == 409, again.text
    assert error_code(again) == "already_resolved"
    assert await _unmatched(api, key) == []
    assert [e["id"] for e in await _unmatched(api, key, "applied")] == [entry_id]
    assert len((await get_invoice(api, key, target["id"]))["payments"]) == 2


async def test_an_unmatched_entry_applied_to_a_buyer_pays_its_oldest_open_invoice(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    oldest, newer = await _invoice(api, key, buyer["id"]), await _invoice(api, key, buyer["id"])
    summary = await _imported(api, key, camt053([Entry("119.00", debtor_name="Someone Else")]))
    entry_id = summary["entries"][0]["unmatched_id"]
    response = await _resolve(api, key, entry_id, "apply", buyer_id=buyer["id"])
    assert response.status_code == 200, response.text
    assert response.json()["invoice_id"] == oldest["id"]
    assert (await get_invoice(api, key, oldest["id"]))["status"] == "paid"
    assert (await get_invoice(api, key, newer["id"]))["amount_paid"] == "0.00"


async def test_an_unmatched_entry_is_dismissed_once(api) -> None:
    key, _, data = await _sample_world(api)
    entry_id = (await _imported(api, key, data))["entries"][4]["unmatched_id"]
    response = await _resolve(api, key, entry_id, "dismiss", reason="our own transfer")
    assert response.status_code == 200, response.text
    dismissed = response.json()
    assert (dismissed["status"], dismissed["resolution_note"]) == ("dismissed", "our own transfer")
    assert response.json()["resolved_at"]
    for action, body in [("dismiss", {"reason": "again"}), ("apply", {"buyer_id": "whoever"})]:
        refused = await _resolve(api, key, entry_id, action, **body)
        assert refused.status_code == 409, refused.text
        assert error_code(refused) == "already_resolved"
    assert await _unmatched(api, key) == []
    assert [e["status"] for e in await _unmatched(api, key, "all")] == ["dismissed"]


async def test_applying_an_entry_to_an_invoice_in_another_currency_is_refused(api) -> None:
    key = await create_merchant(api)
    invoice = await _invoice(api, key, (await create_buyer(api, key))["id"])
    entry = Entry("119.00", currency="USD", reference=invoice["payment_reference"])
    summary = await _imported(api, key, camt053([entry]))
    (result,) = summary["entries"]
    assert result["outcome"] == "unmatched"
    assert result["reason"] == f"currency_mismatch: entry in USD, invoice {invoice['number']} in EUR"
    response = await _resolve(api, key, result["unmatched_id"], "apply", invoice_id=invoice["id"])
    assert response.status_code == 422, response.text
    assert error_code(response) == "currency_mismatch"
    assert [e["status"] for e in await _unmatched(api, key)] == ["open"]  # still waiting
    assert (await get_invoice(api, key, invoice["id"]))["payments"] == []


@pytest.mark.parametrize("body", [{}, {"invoice_id": "a", "buyer_id": "b"}])
async def test_apply_wants_exactly_one_of_invoice_and_buyer(api, body: dict[str, str]) -> None:
    key = await create_merchant(api)
    entry_id = (await _imported(api, key, camt053([Entry("1.00")])))["entries"][0]["unmatched_id"]
    response = await _resolve(api, key, entry_id, "apply", **body)
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"


# Generated statements


@pytest.mark.parametrize("version", ["02", "08"])
async def test_generated_statements_match_by_each_rule(api, version: str) -> None:
    key = await create_merchant(api)
    known = await create_buyer(api, key, name="Known GmbH", iban="DE44 5001 0517 5407 3249 31")
    other = await create_buyer(api, key)
    by_iban = await _invoice(api, key, known["id"], unit_price="10.00")  # 23.80
    by_ref, paid = await _invoice(api, key, other["id"]), await _invoice(api, key, other["id"])
    entries = [
        Entry("119.00", reference=paid["payment_reference"]),
        Entry("23.80", debtor_name="K. GMBH", debtor_iban="DE44500105175407324931"),
        Entry("119.00", reference=by_ref["payment_reference"]),
        Entry("5.00", reference=paid["payment_reference"]),  # the invoice is paid by then
        Entry("119.00", debtor_name="Known GmbH"),  # no open invoice of that amount
        Entry("9.99", credit=False),
    ]
    summary = await _imported(api, key, camt053(entries, version=version))
    got = [(e["outcome"], e["matched_by"], e["invoice_id"]) for e in summary["entries"]]
    assert got == [
        ("matched", "reference", paid["id"]),
        ("matched", "amount", by_iban["id"]),
        ("matched", "reference", by_ref["id"]),
        ("unmatched", None, None),
        ("unmatched", None, None),
        ("ignored_debit", None, None),
    ]
    assert summary["entries"][3]["reason"] == f"invoice {paid['number']} is paid: it takes no payment"
    assert summary["entries"][4]["reason"] == "no open invoice of 119.00 EUR for Known GmbH"
    for invoice in (by_iban, by_ref, paid):
        assert (await get_invoice(api, key, invoice["id"]))["status"] == "paid"


async def test_one_entry_pays_one_invoice_even_when_the_amount_fits_several_in_turn(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, name="Twice AG")
    first = await _invoice(api, key, buyer["id"])
    twice = [Entry("119.00", debtor_name="Twice AG"), Entry("119.00", debtor_name="Twice AG")]
    summary = await _imported(api, key, camt053(twice))
    assert [e["outcome"] for e in summary["entries"]] == ["matched", "unmatched"]
    assert (await get_invoice(api, key, first["id"]))["amount_paid"] == "119.00"


# Refused files: nothing persisted


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<Document><unclosed></Document>", "malformed XML"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>', "not a camt.053"),
        (b'<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Document>&b;</Document>', "DTDs"),
    ],
    ids=["malformed", "not-camt053", "entities"],
)
async def test_a_file_that_is_no_statement_is_refused_and_nothing_is_stored(
    api, data: bytes, message: str
) -> None:
    key = await create_merchant(api)
    response = await _import(api, key, data)
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_statement"
    assert message in response.json()["error"]["message"]
    assert await _unmatched(api, key, "all") == []


async def test_a_statement_with_one_bad_entry_is_refused_whole(api) -> None:
    key = await create_merchant(api)
    response = await _import(api, key, camt053([Entry("1.00"), Entry("1.001")]))
    assert response.status_code == 422, response.text
    assert "entry 2" in response.json()["error"]["message"]
    assert await _unmatched(api, key, "all") == []


async def test_an_oversized_statement_is_refused(api) -> None:
    key = await create_merchant(api)
    data = camt053([Entry("1.00", remittance=["x" * 140] * 40)] * 1000)
    assert len(data) > 5 * 1024 * 1024
    response = await _import(api, key, data)
    assert response.status_code == 413, response.text
    assert error_code(response) == "payload_too_large"
    assert await _unmatched(api, key, "all") == []


async def test_a_statement_above_the_general_body_limit_is_accepted(api) -> None:
    key = await create_merchant(api)
    data = camt053([Entry("1.00", remittance=["y" * 140] * 40) for _ in range(200)])
    assert 1024 * 1024 < len(data) < 5 * 1024 * 1024
    summary = await _imported(api, key, data)
    assert summary["counts"]["unmatched"] == 200


async def test_a_statement_sent_as_json_is_refused(api) -> None:
    key = await create_merchant(api)
    response = await _import(api, key, camt053([Entry("1.00")]), **{"Content-Type": "application/json"})
    assert response.status_code == 415, response.text
    assert error_code(response) == "unsupported_media_type"


async def test_importing_needs_a_key(api) -> None:
    response = await api.post(IMPORT, content=camt053([Entry("1.00")]), headers=XML)
    assert response.status_code == 401, response.text


# Tenancy


async def test_another_merchants_entries_and_invoices_are_out_of_reach(api) -> None:
    key, invoices, data = await _sample_world(api)
    entry_id = (await _imported(api, key, data))["entries"][4]["unmatched_id"]
    intruder = await create_merchant(api, name="Other GmbH")
    assert await _unmatched(api, intruder, "all") == []
    for action, body in [("apply", {"invoice_id": invoices["number"]["id"]}), ("dismiss", {"reason": "x"})]:
        response = await _resolve(api, intruder, entry_id, action, **body)
        assert response.status_code == 404, response.text
        assert error_code(response) == "unmatched_entry_not_found"
    # The intruder's statement quoting the first merchant's invoice pays nothing of it.
    number = invoices["number"]["number"]
    quoting = camt053([Entry("69.00", remittance=[number], debtor_name="Nordwind Handel GmbH")])
    summary = await _imported(api, intruder, quoting)
    assert summary["entries"][0]["outcome"] == "unmatched"
    own = summary["entries"][0]["unmatched_id"]
    response = await _resolve(api, intruder, own, "apply", invoice_id=invoices["number"]["id"])
    assert response.status_code == 404, response.text
    assert error_code(response) == "invoice_not_found"
    assert (await get_invoice(api, key, invoices["number"]["id"]))["amount_paid"] == "50.00"


async def test_an_unknown_entry_is_not_found(api) -> None:
    key = await create_merchant(api)
    response = await _resolve(api, key, str(uuid.uuid4()), "dismiss", reason="x")
    assert response.status_code == 404, response.text


# Buyers' IBANs


async def test_a_buyers_iban_is_checked_stored_compact_and_can_be_forgotten(api) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, iban="de44 5001 0517 5407 3249 31")
    assert buyer["iban"] == "DE44500105175407324931"
    assert (await create_buyer(api, key))["iban"] is None
    response = await api.post("/v1/buyers", json={"iban": "DE00500105175407324931"} | {
        "external_id": "x", "name": "X", "email": "x@example.com", "currency": "EUR", "credit_limit": "1.00",
    }, headers=auth(key))  # fmt: skip
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_iban"
    bad = await api.patch(f"/v1/buyers/{buyer['id']}", json={"iban": "GB00NWBK"}, headers=auth(key))
    assert (bad.status_code, error_code(bad)) == (422, "invalid_iban")
    cleared = await api.patch(f"/v1/buyers/{buyer['id']}", json={"iban": None}, headers=auth(key))
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["iban"] is None
