"""Every format of every case passes the official rules: the XSD, the CEN EN 16931 Schematron and
the format's national rules (XRechnung's BR-DE, Peppol's), with zero errors."""

from collections.abc import Callable
from dataclasses import replace

import pytest
from lxml import etree

from payinvoice.contracts import InvoiceView
from payinvoice.domain.parties import EInvoiceFormat
from payinvoice.einvoice import write_xml
from payinvoice.einvoice.build import BuyerData, build_credit_note, build_invoice
from tests.payinvoice.einvoice import cases
from tests.utils.einvoice import elements, validation_errors

# The API's names of the formats.
FORMATS = {
    "xrechnung-cii": EInvoiceFormat.XRECHNUNG_CII,
    "xrechnung-ubl": EInvoiceFormat.XRECHNUNG_UBL,
    "zugferd": EInvoiceFormat.ZUGFERD,
    "peppol": EInvoiceFormat.PEPPOL,
}

INVOICES: dict[str, tuple[Callable[[], InvoiceView], BuyerData]] = {
    "several-rates-german-public-buyer": (cases.several_rates, cases.GERMAN_PUBLIC_BUYER),
    "reverse-charge-austrian-business": (cases.reverse_charge, cases.AUSTRIAN_BUSINESS),
    "exempt-line": (cases.exempt_line, cases.GERMAN_PUBLIC_BUYER),
    "partial-payment-english-buyer": (cases.partial_payment, cases.ENGLISH_BUYER),
    "late-fee-english-buyer": (cases.late_fee, cases.ENGLISH_BUYER),
    "late-fee-german-buyer": (cases.late_fee, cases.GERMAN_PUBLIC_BUYER),
    "vat-rounded-per-line": (cases.many_small_lines, cases.GERMAN_PUBLIC_BUYER),
}


@pytest.mark.parametrize("format_name", FORMATS)
@pytest.mark.parametrize("case", INVOICES)
def test_invoice_passes_the_official_rules(case: str, format_name: str) -> None:
    make, buyer = INVOICES[case]
    einvoice_format = FORMATS[format_name]

    xml = write_xml(build_invoice(make(), cases.SELLER, buyer, einvoice_format), einvoice_format)

    assert validation_errors(xml, format_name) == []


@pytest.mark.parametrize("format_name", FORMATS)
@pytest.mark.parametrize("number", ["CN-2026-0007", "CN-2026-0008"], ids=["of-lines", "of-an-amount"])
@pytest.mark.parametrize("buyer", [cases.GERMAN_PUBLIC_BUYER, cases.ENGLISH_BUYER], ids=["german", "english"])
def test_credit_note_passes_the_official_rules(number: str, buyer: BuyerData, format_name: str) -> None:
    invoice = cases.with_credit_notes()
    note = next(n for n in invoice.credit_notes if n.number == number)
    einvoice_format = FORMATS[format_name]

    xml = write_xml(build_credit_note(invoice, note, cases.SELLER, buyer, einvoice_format), einvoice_format)

    assert validation_errors(xml, format_name) == []


def _tamper(xml: bytes, path: str, value: str) -> bytes:
    root = etree.fromstring(xml)
    elements(root, path)[0].text = value
    return etree.tostring(root)


def test_a_wrong_payable_amount_fails_the_cen_rules_in_ubl() -> None:
    xml = write_xml(
        build_invoice(cases.several_rates(), cases.SELLER, cases.ENGLISH_BUYER, EInvoiceFormat.PEPPOL),
        EInvoiceFormat.PEPPOL,
    )

    broken = _tamper(xml, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount", "1.00")

    assert any(error.startswith("BR-CO-16") for error in validation_errors(broken, "peppol"))


def test_a_wrong_vat_total_fails_the_cen_rules_in_cii() -> None:
    xml = write_xml(
        build_invoice(cases.several_rates(), cases.SELLER, cases.ENGLISH_BUYER, EInvoiceFormat.ZUGFERD),
        EInvoiceFormat.ZUGFERD,
    )

    broken = _tamper(xml, "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount", "1.00")

    assert any(error.startswith("BR-CO-14") for error in validation_errors(broken, "zugferd"))


def test_an_xrechnung_without_buyer_reference_fails_br_de_15() -> None:
    xml = write_xml(
        build_invoice(
            cases.several_rates(), cases.SELLER, cases.GERMAN_PUBLIC_BUYER, EInvoiceFormat.XRECHNUNG_UBL
        ),
        EInvoiceFormat.XRECHNUNG_UBL,
    )
    root = etree.fromstring(xml)
    reference = elements(root, "/*/cbc:BuyerReference")[0]
    root.remove(reference)

    assert any(
        error.startswith("BR-DE-15") for error in validation_errors(etree.tostring(root), "xrechnung-ubl")
    )


def test_vat_rounded_on_198_lines_of_one_rate_still_passes_br_co_17() -> None:
    xml = write_xml(
        build_invoice(cases.half_cent_lines(198), cases.SELLER, cases.ENGLISH_BUYER, EInvoiceFormat.PEPPOL),
        EInvoiceFormat.PEPPOL,
    )

    assert validation_errors(xml, "peppol") == []


def test_vat_rounded_on_200_lines_of_one_rate_fails_br_co_17() -> None:
    """Why `build` refuses such an invoice (EInvoiceRejected): its VAT, line by line, is 1.00 above
    the group's; the CEN rules (BR-CO-17, and BR-S-09 for standard rated groups) allow less than
    one currency unit. The document is made by hand: `build` would not make it."""
    document = build_invoice(
        cases.half_cent_lines(199), cases.SELLER, cases.ENGLISH_BUYER, EInvoiceFormat.PEPPOL
    )
    broken = replace(document, vat=(replace(document.vat[0], taxable=10000, tax=2000),))
    broken = replace(broken, lines=(*broken.lines, replace(broken.lines[0], id="200")))
    broken = replace(
        broken,
        totals=replace(
            broken.totals, line_net=10000, tax_exclusive=10000, tax=2000, tax_inclusive=12000, payable=12000
        ),
    )

    errors = validation_errors(write_xml(broken, EInvoiceFormat.PEPPOL), "peppol")

    assert {error.split(":")[0] for error in errors} == {"BR-CO-17", "BR-S-09"}


def test_a_peppol_invoice_without_buyer_endpoint_fails_peppol_r010() -> None:
    xml = write_xml(
        build_invoice(cases.several_rates(), cases.SELLER, cases.ENGLISH_BUYER, EInvoiceFormat.PEPPOL),
        EInvoiceFormat.PEPPOL,
    )
    root = etree.fromstring(xml)
    endpoint = elements(root, "/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID")[0]
    party = endpoint.getparent()
    assert party is not None
    party.remove(endpoint)

    errors = validation_errors(etree.tostring(root), "peppol")

    assert "PEPPOL-EN16931-R010" in {error.split(":")[0] for error in errors}


def test_an_element_out_of_its_place_fails_the_xsd() -> None:
    xml = write_xml(
        build_invoice(cases.several_rates(), cases.SELLER, cases.ENGLISH_BUYER, EInvoiceFormat.ZUGFERD),
        EInvoiceFormat.ZUGFERD,
    )
    root = etree.fromstring(xml)
    root.append(etree.Element("{urn:example}Unexpected"))

    assert any(error.startswith("XSD:") for error in validation_errors(etree.tostring(root), "zugferd"))


@pytest.mark.parametrize("format_name", FORMATS)
def test_an_amount_credited_off_an_invoice_with_fees_passes_the_official_rules(format_name: str) -> None:
    invoice = cases.credited_after_late_fee()
    einvoice_format = FORMATS[format_name]
    document = build_credit_note(
        invoice, invoice.credit_notes[0], cases.SELLER, cases.ENGLISH_BUYER, einvoice_format
    )

    xml = write_xml(document, einvoice_format)

    assert (validation_errors(xml, format_name), document.totals.tax_inclusive) == ([], 9999)
