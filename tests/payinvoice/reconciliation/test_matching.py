"""Matching a credit entry to an invoice: reference, then invoice number, then amount for a known
debtor, otherwise unmatched with the reason."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from payinvoice.domain.reference import creditor_reference
from payinvoice.reconciliation.camt053 import StatementEntry
from payinvoice.reconciliation.matching import (
    InvoiceCandidate,
    KnownBuyer,
    MatchedBy,
    creditor_references,
    identified_buyers,
    invoice_numbers_in,
    match_entry,
    same_name,
)

ADA = KnownBuyer(buyer_id="b-ada", name="Ada Buyer GmbH", iban="DE44500105175407324931")
BOB = KnownBuyer(buyer_id="b-bob", name="Bob Trading")
BUYERS = [ADA, BOB]


def _invoice(sequence: int, buyer: KnownBuyer = ADA, **fields: Any) -> InvoiceCandidate:
    number = f"INV-{sequence:06d}"
    values: dict[str, Any] = {
        "invoice_id": f"inv-{sequence}", "number": number, "payment_reference": creditor_reference(number),
        "buyer_id": buyer.buyer_id, "currency": "EUR", "amount_due": 11900, "status": "open",
        "created_at": datetime(2026, 11, sequence % 28 + 1, tzinfo=UTC),
    }  # fmt: skip
    return InvoiceCandidate(**(values | fields))


def _entry(amount: str = "119.00", **fields: Any) -> StatementEntry:
    values: dict[str, Any] = {
        "entry_ref": "E1", "account": "DE89370400440532013000", "amount": Decimal(amount),
        "currency": "EUR", "credit": True, "booked_at": datetime(2026, 11, 20, tzinfo=UTC),
    }  # fmt: skip
    return StatementEntry(**(values | fields))


# 1. The RF reference


def test_a_valid_rf_reference_matches_its_invoice() -> None:
    invoices = [_invoice(1), _invoice(2)]
    match = match_entry(_entry(references=(invoices[1].payment_reference,)), invoices, BUYERS)
    assert (match.invoice_id, match.matched_by, match.reason) == ("inv-2", MatchedBy.REFERENCE, None)


def test_a_reference_written_with_spaces_and_lower_case_still_matches() -> None:
    reference = creditor_reference("INV-000002")  # RF42INV000002
    written = f"{reference[:4].lower()} {reference[4:8]} {reference[8:]}"
    assert match_entry(_entry(references=(written,)), [_invoice(2)], BUYERS).invoice_id == "inv-2"


def test_the_reference_wins_over_an_invoice_number_in_the_text() -> None:
    invoices = [_invoice(1), _invoice(2)]
    entry = _entry(references=(invoices[0].payment_reference,), remittance=("INV-000002",))
    assert match_entry(entry, invoices, BUYERS).invoice_id == "inv-1"


def test_a_reference_with_a_wrong_check_digit_is_not_used() -> None:
    good = creditor_reference("INV-000001")
    bad = f"RF{(int(good[2:4]) + 1) % 100:02d}{good[4:]}"
    assert creditor_references(_entry(references=(bad, good))) == [good]
    match = match_entry(_entry("5.00", references=(bad,)), [_invoice(1)], [])
    assert match.invoice_id is None


def test_a_reference_naming_an_invoice_in_another_currency_goes_unmatched() -> None:
    invoices = [_invoice(1)]
    match = match_entry(_entry(currency="USD", references=(invoices[0].payment_reference,)), invoices, BUYERS)
    assert match.invoice_id is None
    assert match.reason == "currency_mismatch: entry in USD, invoice INV-000001 in EUR"


@pytest.mark.parametrize("status", ["paid", "void", "declined"])
def test_a_reference_naming_an_invoice_that_takes_no_payment_goes_unmatched(status: str) -> None:
    invoices = [_invoice(1, status=status, amount_due=0), _invoice(2)]
    match = match_entry(_entry(references=(invoices[0].payment_reference,)), invoices, BUYERS)
    assert match.invoice_id is None
    assert match.reason == f"invoice INV-000001 is {status}: it takes no payment"


@pytest.mark.parametrize("status", ["open", "overdue", "uncollectible"])
def test_a_reference_pays_an_invoice_in_any_payable_status(status: str) -> None:
    invoices = [_invoice(1, status=status)]
    match = match_entry(_entry(references=(invoices[0].payment_reference,)), invoices, [])
    assert match.invoice_id == "inv-1"


def test_references_of_two_invoices_are_left_to_a_person() -> None:
    invoices = [_invoice(1), _invoice(2)]
    entry = _entry(references=tuple(i.payment_reference or "" for i in invoices))
    match = match_entry(entry, invoices, BUYERS)
    assert match.invoice_id is None
    assert "several invoices (INV-000001, INV-000002)" in (match.reason or "")


# 2. The invoice number in the free text


@pytest.mark.parametrize(
    "text",
    ["INV-000123", "inv-000123", "Rechnung INV 000123 danke", "Invoice inv000123", "INV-123, thanks",
     "Inv.000123", "re: INV - 000123/2026"],
)  # fmt: skip
def test_an_invoice_number_is_found_whatever_its_case_and_spacing(text: str) -> None:
    assert invoice_numbers_in([text]) == ["INV-000123"]


@pytest.mark.parametrize("text", ["XINV-000123", "INVOICE 000123", "order 000123", ""])
def test_no_invoice_number_in_other_words(text: str) -> None:
    assert invoice_numbers_in([text]) == []


def test_numbers_are_found_across_lines_in_order_and_once() -> None:
    assert invoice_numbers_in(["INV-2 and", "INV-1", "again inv 2"]) == ["INV-000002", "INV-000001"]


def test_an_invoice_number_in_the_text_matches_its_invoice() -> None:
    entry = _entry("50.00", remittance=("Teilzahlung", "inv 000002"))
    match = match_entry(entry, [_invoice(1), _invoice(2)], [])
    assert (match.invoice_id, match.matched_by) == ("inv-2", MatchedBy.INVOICE_NUMBER)


def test_a_number_of_no_candidate_invoice_falls_through_to_the_amount() -> None:
    invoices = [_invoice(2)]  # INV-000009 is no invoice of the merchant
    match = match_entry(_entry(remittance=("INV-000009",), debtor_name="ADA BUYER GMBH"), invoices, BUYERS)
    assert (match.invoice_id, match.matched_by) == ("inv-2", MatchedBy.AMOUNT)


def test_two_invoice_numbers_in_the_text_are_left_to_a_person() -> None:
    match = match_entry(_entry(remittance=("INV-000001 + INV-000002",)), [_invoice(1), _invoice(2)], [])
    assert match.invoice_id is None
    assert "several invoices" in (match.reason or "")


# 3. The amount, for a known debtor


def test_the_debtors_single_open_invoice_of_that_amount_matches() -> None:
    invoices = [_invoice(1, amount_due=5000), _invoice(2), _invoice(3, BOB)]
    match = match_entry(_entry(debtor_name="Ada Buyer GmbH"), invoices, BUYERS)
    assert (match.invoice_id, match.matched_by) == ("inv-2", MatchedBy.AMOUNT)


def test_the_debtor_is_known_by_iban_whatever_name_the_bank_gives() -> None:
    match = match_entry(_entry(debtor_name="A. B. GMBH", debtor_iban=ADA.iban), [_invoice(1)], BUYERS)
    assert (match.invoice_id, match.matched_by) == ("inv-1", MatchedBy.AMOUNT)


def test_names_compare_without_case_punctuation_or_accents() -> None:
    assert same_name("Bergmann & Söhne KG", "BERGMANN + SOEHNE KG")
    assert same_name("ACME G.m.b.H.", "acme gmbh")
    assert not same_name("Acme GmbH", "Acme AG")
    assert not same_name("", "")


def test_an_unknown_iban_falls_back_to_the_name() -> None:
    entry = _entry(debtor_name="Bob Trading", debtor_iban="NL20INGB0001234567")
    assert identified_buyers(entry, BUYERS) == [BOB]


def test_two_open_invoices_of_the_same_amount_are_left_to_a_person() -> None:
    match = match_entry(_entry(debtor_name="Ada Buyer GmbH"), [_invoice(1), _invoice(2)], BUYERS)
    assert match.invoice_id is None
    assert match.reason == "2 open invoices of 119.00 EUR for Ada Buyer GmbH: apply it by hand"


def test_only_open_invoices_in_the_entrys_currency_match_by_amount() -> None:
    invoices = [_invoice(1, status="paid"), _invoice(2, currency="USD"), _invoice(3, status="void")]
    match = match_entry(_entry(debtor_name="Ada Buyer GmbH"), invoices, BUYERS)
    assert match.invoice_id is None
    assert match.reason == "no open invoice of 119.00 EUR for Ada Buyer GmbH"


def test_another_buyers_invoice_of_that_amount_does_not_match() -> None:
    match = match_entry(_entry(debtor_name="Bob Trading"), [_invoice(1)], BUYERS)
    assert match.invoice_id is None


# 4. Nothing to go by


def test_an_entry_with_nothing_to_go_by_is_unmatched() -> None:
    match = match_entry(_entry(debtor_name="Stranger Ltd", remittance=("order 5531",)), [_invoice(1)], BUYERS)
    assert (match.invoice_id, match.matched_by) == (None, None)
    assert match.reason == "no valid RF reference, no invoice number and no known debtor"
