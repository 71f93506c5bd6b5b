"""ISO 11649 structured creditor references and invoice numbers."""

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.reference import (
    creditor_reference,
    invoice_number,
    invoice_number_from_reference,
    is_valid_creditor_reference,
)

KNOWN_VALID = "RF18539007547034"


def test_invoice_number_pads_the_sequence_to_six_digits() -> None:
    assert invoice_number(123) == "INV-000123"


def test_invoice_number_keeps_sequences_longer_than_six_digits() -> None:
    assert invoice_number(1234567) == "INV-1234567"


def test_creditor_reference_is_rf_two_check_digits_and_the_cleaned_body() -> None:
    reference = creditor_reference("INV-000123")
    assert reference.startswith("RF")
    assert reference[2:4].isdigit()
    assert reference[4:] == "INV000123"


def test_creditor_reference_of_an_invoice_number_is_valid() -> None:
    assert is_valid_creditor_reference(creditor_reference(invoice_number(123)))


def test_creditor_reference_reproduces_the_standard_example() -> None:
    assert creditor_reference("539007547034") == KNOWN_VALID


def test_creditor_reference_upper_cases_the_body() -> None:
    assert creditor_reference("inv-000123") == creditor_reference("INV000123")


def test_creditor_reference_refuses_an_empty_body() -> None:
    with pytest.raises(ValueError):
        creditor_reference("")


def test_creditor_reference_refuses_a_body_with_no_alphanumerics() -> None:
    with pytest.raises(ValueError):
        creditor_reference("- -/")


def test_creditor_reference_accepts_a_21_character_body() -> None:
    assert is_valid_creditor_reference(creditor_reference("A" * 21))


def test_creditor_reference_refuses_a_body_longer_than_21_characters() -> None:
    with pytest.raises(ValueError):
        creditor_reference("A" * 22)


def test_is_valid_accepts_the_known_valid_reference() -> None:
    assert is_valid_creditor_reference(KNOWN_VALID)


def test_is_valid_accepts_the_print_format_with_spaces_and_lower_case() -> None:
    assert is_valid_creditor_reference("rf18 5390 0754 7034")


@pytest.mark.parametrize(
    "position", range(2, len(KNOWN_VALID)), ids=lambda p: f"pos{p}"
)
def test_is_valid_rejects_any_one_digit_change(position: int) -> None:
    for digit in string.digits:
        changed = KNOWN_VALID[:position] + digit + KNOWN_VALID[position + 1:]
        if changed != KNOWN_VALID:
            assert not is_valid_creditor_reference(changed), changed


@pytest.mark.parametrize("reference", ["", "RF", "RF18", "RF18!", "XX18539007547034", "RF18-5390"])
def test_is_valid_rejects_malformed_references(reference: str) -> None:
    assert not is_valid_creditor_reference(reference)


def test_is_valid_rejects_letters_in_the_check_digits() -> None:
    assert not is_valid_creditor_reference("RFQ8539007547034")


def test_is_valid_rejects_references_longer_than_25_characters() -> None:
    body = "A" * 22
    # the check digits creditor_reference would compute, were it not refusing the length
    digits = int("".join(str(int(ch, 36)) for ch in body + "RF00"))
    too_long = f"RF{98 - digits % 97:02d}{body}"
    assert not is_valid_creditor_reference(too_long)


bodies = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=21)


@settings(max_examples=200)
@given(body=bodies)
def test_every_reference_built_from_an_alphanumeric_body_validates(body: str) -> None:
    reference = creditor_reference(body)
    assert is_valid_creditor_reference(reference)
    assert reference[2:4].isdigit()
    assert reference[4:] == body.upper()


@settings(max_examples=200)
@given(body=st.text(alphabet=string.ascii_uppercase + string.digits, min_size=22, max_size=40))
def test_every_body_longer_than_21_characters_is_refused(body: str) -> None:
    with pytest.raises(ValueError):
        creditor_reference(body)


def test_our_reference_leads_back_to_its_invoice_number() -> None:
    number = invoice_number(123)

    assert invoice_number_from_reference(creditor_reference(number)) == number


@pytest.mark.parametrize("reference", ["RF18539007547034", "RF00INV000001", "INV-000001", "RF", ""])
def test_a_reference_that_is_invalid_or_not_ours_leads_nowhere(reference: str) -> None:
    assert invoice_number_from_reference(reference) is None
