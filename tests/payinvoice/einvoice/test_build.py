"""What an invoice becomes as an EN 16931 document, and the business terms a format refuses without."""

from dataclasses import replace

import pytest

from payinvoice.domain.parties import EInvoiceFormat
from payinvoice.einvoice.build import EInvoiceIncomplete, EInvoiceRejected, build_credit_note, build_invoice
from tests.payinvoice.einvoice import cases

ZUGFERD = EInvoiceFormat.ZUGFERD


def test_totals_are_the_invoices_own() -> None:
    invoice = cases.several_rates()

    totals = build_invoice(invoice, cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD).totals

    assert (totals.line_net, totals.tax, totals.tax_inclusive, totals.payable) == (
        invoice.subtotal,
        invoice.tax_total,
        invoice.total,
        invoice.total,
    )


def test_a_partial_payment_is_the_prepaid_amount() -> None:
    totals = build_invoice(cases.partial_payment(), cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD).totals

    assert (totals.prepaid, totals.payable) == (10000, totals.tax_inclusive - 10000)


def test_fees_are_document_level_charges_outside_vat() -> None:
    document = build_invoice(cases.late_fee(), cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD)

    assert [(c.amount, c.category, c.rate) for c in document.charges] == [(500, "E", "0"), (173, "E", "0")]


def test_fees_count_in_the_total_but_not_in_the_vat() -> None:
    invoice = cases.late_fee()

    totals = build_invoice(invoice, cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD).totals

    assert (totals.charges, totals.tax, totals.tax_inclusive) == (673, invoice.tax_total, invoice.total + 673)


def test_fee_reasons_are_in_the_buyers_language() -> None:
    document = build_invoice(cases.late_fee(), cases.SELLER, cases.GERMAN_PUBLIC_BUYER, ZUGFERD)

    assert document.charges[0].reason == "Mahngebühr (first reminder)"


def test_vat_breakdown_sums_each_lines_rounded_vat() -> None:
    invoice = cases.many_small_lines()  # 30 x 0.03 at 19 %: 0.01 VAT each, 0.17 on their sum

    document = build_invoice(invoice, cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD)

    assert [(g.taxable, g.tax) for g in document.vat] == [(90, 30)]


def test_vat_breakdown_has_one_group_per_category_and_rate() -> None:
    document = build_invoice(cases.exempt_line(), cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD)

    assert [(g.category, g.rate, g.taxable, g.tax) for g in document.vat] == [
        ("S", "19", 3998, 760),
        ("E", "0", 45000, 0),
    ]


def test_an_exempt_group_states_the_lines_reason() -> None:
    document = build_invoice(cases.exempt_line(), cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD)

    assert document.vat[1].exemption_reason == "Exempt under § 4 Nr. 21 UStG"


def test_reverse_charge_states_its_reason_and_code() -> None:
    document = build_invoice(cases.reverse_charge(), cases.SELLER, cases.AUSTRIAN_BUSINESS, ZUGFERD)

    assert (document.vat[0].exemption_reason, document.vat[0].exemption_code) == (
        "Reverse charge",
        "VATEX-EU-AE",
    )


def test_payment_instructions_carry_the_iban_and_payment_reference() -> None:
    payment = build_invoice(cases.several_rates(), cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD).payment

    assert (payment.means_code, payment.iban, payment.reference) == (
        "58",
        "DE02120300000000202051",
        "RF18539007547034",
    )


def test_a_credit_note_is_type_381_and_names_its_invoice() -> None:
    invoice = cases.with_credit_notes()

    document = build_credit_note(invoice, invoice.credit_notes[0], cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD)

    assert (document.type_code, document.preceding and document.preceding.number) == ("381", "INV-2026-0042")


def test_a_credit_note_of_an_amount_credits_that_amount_across_the_vat_groups() -> None:
    invoice = cases.with_credit_notes()

    document = build_credit_note(invoice, invoice.credit_notes[1], cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD)

    assert (document.totals.tax_inclusive, [g.rate for g in document.vat]) == (1500, ["19", "7"])


def _missing(error: pytest.ExceptionInfo[EInvoiceIncomplete]) -> list[str]:
    return error.value.missing


def test_xrechnung_without_buyer_reference_lists_bt_10() -> None:
    buyer = replace(cases.GERMAN_PUBLIC_BUYER, buyer_reference=None)

    with pytest.raises(EInvoiceIncomplete) as error:
        build_invoice(cases.several_rates(), cases.SELLER, buyer, EInvoiceFormat.XRECHNUNG_CII)

    assert _missing(error) == ["BT-10"]


def test_peppol_without_electronic_addresses_lists_bt_34_and_bt_49() -> None:
    company = replace(cases.SELLER.company, electronic_address=None)  # type: ignore[type-var]
    seller = replace(cases.SELLER, company=company)
    buyer = replace(cases.ENGLISH_BUYER, electronic_address=None)

    with pytest.raises(EInvoiceIncomplete) as error:
        build_invoice(cases.several_rates(), seller, buyer, EInvoiceFormat.PEPPOL)

    assert _missing(error) == ["BT-34", "BT-49"]


def test_reverse_charge_without_buyer_vat_id_lists_bt_48() -> None:
    buyer = replace(cases.AUSTRIAN_BUSINESS, vat_id=None)

    with pytest.raises(EInvoiceIncomplete) as error:
        build_invoice(cases.reverse_charge(), cases.SELLER, buyer, ZUGFERD)

    assert _missing(error) == ["BT-48"]


def test_without_company_data_lists_the_sellers_terms() -> None:
    seller = replace(cases.SELLER, company=None)

    with pytest.raises(EInvoiceIncomplete) as error:
        build_invoice(cases.several_rates(), seller, cases.ENGLISH_BUYER, ZUGFERD)

    assert _missing(error) == ["BT-27", "BT-35", "BT-37", "BT-38", "BT-40", "BT-31 or BT-32"]


def test_without_buyer_address_xrechnung_lists_city_post_code_and_country() -> None:
    buyer = replace(cases.GERMAN_PUBLIC_BUYER, address=None)

    with pytest.raises(EInvoiceIncomplete) as error:
        build_invoice(cases.several_rates(), cases.SELLER, buyer, EInvoiceFormat.XRECHNUNG_UBL)

    assert _missing(error) == ["BT-52", "BT-53", "BT-55"]


def test_without_iban_lists_bt_84() -> None:
    seller = replace(cases.SELLER, iban=None)

    with pytest.raises(EInvoiceIncomplete) as error:
        build_invoice(cases.several_rates(), seller, cases.ENGLISH_BUYER, ZUGFERD)

    assert _missing(error) == ["BT-84"]


def test_an_exempt_line_without_reason_lists_bt_120() -> None:
    invoice = cases.invoice([cases.line("Training course", "1", 45000, "0", "E")])

    with pytest.raises(EInvoiceIncomplete) as error:
        build_invoice(invoice, cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD)

    assert _missing(error) == ["BT-120"]


def test_zugferd_needs_neither_electronic_addresses_nor_buyer_reference() -> None:
    buyer = replace(cases.ENGLISH_BUYER, electronic_address=None, buyer_reference=None)

    document = build_invoice(cases.several_rates(), cases.SELLER, buyer, ZUGFERD)

    assert document.buyer.electronic_address is None


def test_the_refusal_names_each_missing_term() -> None:
    buyer = replace(cases.GERMAN_PUBLIC_BUYER, buyer_reference=None, electronic_address=None)

    with pytest.raises(EInvoiceIncomplete) as error:
        build_invoice(cases.several_rates(), cases.SELLER, buyer, EInvoiceFormat.XRECHNUNG_CII)

    assert str(error.value) == (
        "the e-invoice needs data it does not have: BT-49 (buyer electronic address), "
        "BT-10 (buyer reference (Leitweg-ID))"
    )


def test_vat_rounded_beyond_br_co_17s_tolerance_is_refused() -> None:
    with pytest.raises(EInvoiceRejected) as error:
        build_invoice(cases.half_cent_lines(200), cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD)

    assert error.value.missing == ["BR-CO-17"]


def test_vat_rounded_within_br_co_17s_tolerance_is_stated_as_rounded() -> None:
    document = build_invoice(cases.half_cent_lines(198), cases.SELLER, cases.ENGLISH_BUYER, ZUGFERD)

    assert (document.vat[0].taxable, document.vat[0].tax) == (9900, 1980)
