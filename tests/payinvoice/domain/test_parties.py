"""The parties e-invoices state: postal addresses (ISO 3166-1 countries), VAT ids (python-stdnum),
German tax numbers, electronic addresses (the EAS code list), buyer references, the e-invoice
formats, and the company's JSON document. Each refusal names its field."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.parties import (
    COUNTRY_CODES,
    EAS_CODES,
    Company,
    EInvoiceFormat,
    ElectronicAddress,
    PostalAddress,
    checked_address,
    checked_buyer_reference,
    checked_country,
    checked_einvoice_format,
    checked_electronic_address,
    checked_tax_number,
    checked_vat_id,
)

BERLIN = {"line1": "Hauptstraße 1", "postcode": "10115", "city": "Berlin", "country": "DE"}


def refusal(check: object, *args: object, **kwargs: object) -> Refusal:
    with pytest.raises(Refusal) as excinfo:
        check(*args, **kwargs)  # type: ignore[operator]
    return excinfo.value


# --- addresses ---------------------------------------------------------------------------------


def test_an_address_is_stored_trimmed_without_an_empty_second_line() -> None:
    address = checked_address(
        line1=" Hauptstraße 1 ", line2="  ", postcode=" 10115", city="Berlin ", country="DE"
    )

    assert address == PostalAddress("Hauptstraße 1", "10115", "Berlin", "DE")


def test_a_lower_case_country_is_stored_upper_case() -> None:
    assert checked_address(**BERLIN | {"country": "at"}).country == "AT"


def test_a_country_that_is_not_iso_3166_is_refused_naming_the_field() -> None:
    error = refusal(checked_address, **BERLIN | {"country": "XK"}, field="address")

    assert error.code == ErrorType.INVALID_ADDRESS
    assert "address.country" in error.message


@pytest.mark.parametrize("name", ["line1", "postcode", "city"])
def test_a_blank_required_line_is_refused_naming_it(name: str) -> None:
    error = refusal(checked_address, **BERLIN | {name: "   "}, field="address")

    assert (error.code, error.message) == (ErrorType.INVALID_ADDRESS, f"address.{name} must not be empty")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2))
def test_a_two_letter_code_is_a_country_exactly_when_iso_3166_assigns_it(code: str) -> None:
    if code in COUNTRY_CODES:
        assert checked_country(code) == code
    else:
        assert refusal(checked_country, code).code == ErrorType.INVALID_ADDRESS


def test_the_country_list_holds_the_249_assigned_codes() -> None:
    assert len(COUNTRY_CODES) == 249
    assert {"DE", "AT", "GB", "US", "CH", "AX"} <= COUNTRY_CODES
    assert not {"EU", "UK", "EL", "XK", "ZZ"} & COUNTRY_CODES


# --- VAT ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_id", "stored"),
    [
        ("DE 136 695 976", "DE136695976"),
        ("ATU57194903", "ATU57194903"),
        ("be 0697.449.992", "BE0697449992"),
        ("FR 61 954 506 077", "FR61954506077"),
        ("NL004495445B01", "NL004495445B01"),
        ("EL094014201", "EL094014201"),
        ("XI980780684", "XI980780684"),
    ],
)
def test_an_eu_vat_id_is_stored_compact_with_its_prefix(given_id: str, stored: str) -> None:
    assert checked_vat_id(given_id) == stored


def test_a_greek_vat_id_with_the_iso_prefix_is_stored_with_el() -> None:
    assert checked_vat_id("GR094014201") == "EL094014201"


def test_an_eu_vat_id_without_prefix_takes_the_country_of_the_address() -> None:
    assert checked_vat_id("136695976", "DE") == "DE136695976"


def test_a_vat_id_with_a_wrong_check_digit_is_refused_naming_the_field() -> None:
    error = refusal(checked_vat_id, "DE136695975", "DE", field="vat_id")

    assert error.code == ErrorType.INVALID_VAT_ID
    assert error.message.startswith("vat_id 'DE136695975'")


def test_a_non_eu_vat_id_is_checked_by_its_countrys_stdnum_module() -> None:
    assert checked_vat_id("CHE-116.281.710 MWST", "CH") == "CHE116281710MWST"
    assert checked_vat_id("GB980780684") == "GB980780684"
    assert refusal(checked_vat_id, "CHE-116.281.711 MWST", "CH").code == ErrorType.INVALID_VAT_ID


def test_a_vat_id_of_a_country_stdnum_does_not_know_is_checked_for_its_shape() -> None:
    assert checked_vat_id("12-3456789", "US") == "123456789"
    assert refusal(checked_vat_id, "hello", "US").code == ErrorType.INVALID_VAT_ID


# --- tax numbers -------------------------------------------------------------------------------


def test_a_german_sellers_tax_number_is_a_steuernummer() -> None:
    assert checked_tax_number(" 181/815/08155 ", "DE") == "181/815/08155"


def test_a_german_tax_number_that_is_not_a_steuernummer_is_refused_naming_the_field() -> None:
    error = refusal(checked_tax_number, "123", "DE")

    assert error.code == ErrorType.INVALID_TAX_NUMBER
    assert error.message.startswith("tax_number '123'")


# --- electronic addresses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "value", "stored"),
    [
        ("EM", "invoices@example.com", "invoices@example.com"),
        ("9930", "DE136695976", "DE136695976"),
        ("9930", "136695976", "DE136695976"),
        ("0204", "04011000-1234512345-06", "04011000-1234512345-06"),
        ("0088", "4000001000005", "4000001000005"),
        ("0009", "73282932000074", "73282932000074"),
        ("0208", "0403019261", "0403019261"),
        ("9925", "BE0697449992", "BE0697449992"),
        ("em", "invoices@example.com", "invoices@example.com"),
    ],
)
def test_an_electronic_address_is_checked_by_its_scheme(scheme: str, value: str, stored: str) -> None:
    assert checked_electronic_address(scheme, value) == ElectronicAddress(scheme.upper(), stored)


def test_a_scheme_outside_the_eas_code_list_is_refused_naming_the_field() -> None:
    error = refusal(checked_electronic_address, "9958", "04011000-1234512345-06")  # withdrawn: 0204

    assert error.code == ErrorType.INVALID_ELECTRONIC_ADDRESS
    assert "electronic_address.scheme" in error.message


@pytest.mark.parametrize(
    ("scheme", "value"),
    [("EM", "not an email"), ("9930", "DE136695975"), ("0204", "04011000-1234512345-07"), ("0088", "123")],
)
def test_a_value_its_scheme_does_not_accept_is_refused_naming_the_field(scheme: str, value: str) -> None:
    error = refusal(checked_electronic_address, scheme, value)

    assert error.code == ErrorType.INVALID_ELECTRONIC_ADDRESS
    assert "electronic_address.value" in error.message


@given(st.text(min_size=1, max_size=4))
def test_only_eas_codes_are_accepted_as_schemes(scheme: str) -> None:
    if scheme.strip().upper() in EAS_CODES:
        return
    error = refusal(checked_electronic_address, scheme, "x1")
    assert error.code == ErrorType.INVALID_ELECTRONIC_ADDRESS


# --- buyer reference and format ----------------------------------------------------------------


def test_a_buyer_reference_longer_than_200_characters_is_refused() -> None:
    assert checked_buyer_reference(" 991-12345-67 ") == "991-12345-67"
    assert refusal(checked_buyer_reference, "x" * 201).code == ErrorType.INVALID_BUYER_REFERENCE


def test_the_einvoice_formats_are_the_five_names() -> None:
    names = ["none", "xrechnung_cii", "xrechnung_ubl", "zugferd", "peppol"]

    assert [f.value for f in EInvoiceFormat] == names
    assert checked_einvoice_format("zugferd") is EInvoiceFormat.ZUGFERD
    assert "einvoice_format" in refusal(checked_einvoice_format, "facturx").message


# --- the company's document --------------------------------------------------------------------

COMPANY = Company(
    legal_name="Widgets GmbH",
    address=PostalAddress("Hauptstraße 1", "10115", "Berlin", "DE", line2="Hinterhaus"),
    contact_name="Erika Muster",
    contact_phone="+49 30 1234567",
    contact_email="billing@widgets.example",
    vat_id="DE136695976",
    tax_number="181/815/08155",
    registration="HRB 12345",
    electronic_address=ElectronicAddress("9930", "DE136695976"),
)


def test_the_company_document_has_the_shape_the_api_answers() -> None:
    assert COMPANY.to_document() == {
        "legal_name": "Widgets GmbH",
        "address": {
            "line1": "Hauptstraße 1", "line2": "Hinterhaus", "postcode": "10115", "city": "Berlin",
            "country": "DE",
        },
        "vat_id": "DE136695976",
        "tax_number": "181/815/08155",
        "registration": "HRB 12345",
        "contact": {"name": "Erika Muster", "phone": "+49 30 1234567", "email": "billing@widgets.example"},
        "electronic_address": {"scheme": "9930", "value": "DE136695976"},
    }  # fmt: skip


@given(
    st.sampled_from(sorted(COUNTRY_CODES)),
    st.none() | st.text(min_size=1, max_size=20),
    st.none() | st.sampled_from(sorted(EAS_CODES)),
)
def test_a_company_reads_back_from_its_document(country: str, line2: str | None, scheme: str | None) -> None:
    company = Company(
        legal_name="Widgets GmbH",
        address=PostalAddress("Hauptstraße 1", "10115", "Berlin", country, line2),
        contact_name="Erika", contact_phone="+49 30 1", contact_email="e@example.com",
        electronic_address=None if scheme is None else ElectronicAddress(scheme, "x1"),
    )  # fmt: skip

    assert Company.from_document(company.to_document()) == company
