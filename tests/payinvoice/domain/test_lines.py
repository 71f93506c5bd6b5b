"""Invoice lines: strict validation, canonical text, half-up rounding once per line, exact totals."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.errors import ErrorType
from payinvoice.domain.lines import Line, check_tax_categories, half_up, parse_line, price_lines
from payinvoice.domain.money import MoneyError


def line(quantity: str = "1", unit_price: str = "1.00", tax_rate: str = "0", currency: str = "EUR") -> Line:
    return parse_line("Widget", quantity, unit_price, tax_rate, currency, 0)


def refusal(description: str = "Widget", quantity: str = "1", unit_price: str = "1.00",
            tax_rate: str = "0", currency: str = "EUR", index: int = 0) -> MoneyError:
    with pytest.raises(MoneyError) as excinfo:
        parse_line(description, quantity, unit_price, tax_rate, currency, index)
    return excinfo.value


# --- parse_line: validation -------------------------------------------------------------------


def test_parse_line_stores_unit_price_in_minor_units() -> None:
    assert line(unit_price="12.34").unit_price == 1234


def test_parse_line_uses_the_currency_exponent_for_unit_price() -> None:
    assert line(unit_price="1500", currency="JPY").unit_price == 1500
    assert line(unit_price="1.234", currency="KWD").unit_price == 1234


def test_parse_line_strips_the_description() -> None:
    assert parse_line("  Widget  ", "1", "1", "0", "EUR", 0).description == "Widget"


@pytest.mark.parametrize("description", ["", "   ", "\t\n"])
def test_parse_line_refuses_an_empty_description(description: str) -> None:
    assert refusal(description=description).code == "invalid_line"


@pytest.mark.parametrize("quantity", ["0", "0.0000", "-1"])
def test_parse_line_refuses_a_quantity_that_is_not_positive(quantity: str) -> None:
    assert refusal(quantity=quantity).code == "invalid_line"


def test_parse_line_accepts_a_quantity_with_four_decimals() -> None:
    assert line(quantity="0.0001").quantity == "0.0001"


def test_parse_line_refuses_a_quantity_with_more_than_four_decimals() -> None:
    assert refusal(quantity="1.00001").code == "invalid_line"


def test_parse_line_refuses_an_absurdly_large_quantity() -> None:
    assert refusal(quantity="1000000001").code == "invalid_line"


@pytest.mark.parametrize("quantity", ["x", "NaN", "Infinity", "1e3"])
def test_parse_line_refuses_a_quantity_that_is_not_a_plain_decimal(quantity: str) -> None:
    assert refusal(quantity=quantity).code == "invalid_amount"


def test_parse_line_refuses_a_negative_unit_price() -> None:
    assert refusal(unit_price="-0.01").code == "invalid_line"


def test_parse_line_accepts_a_zero_unit_price() -> None:
    assert line(unit_price="0").unit_price == 0


@pytest.mark.parametrize(("unit_price", "currency"), [("1.001", "EUR"), ("1.5", "JPY"), ("1.0001", "KWD")])
def test_parse_line_refuses_a_unit_price_finer_than_the_currency(unit_price: str, currency: str) -> None:
    assert refusal(unit_price=unit_price, currency=currency).code == "invalid_amount"


def test_parse_line_refuses_an_unsupported_currency() -> None:
    assert refusal(currency="XXX").code == "unsupported_currency"


@pytest.mark.parametrize("tax_rate", ["0", "7.5", "19", "100"])
def test_parse_line_accepts_a_tax_rate_from_0_to_100(tax_rate: str) -> None:
    assert line(tax_rate=tax_rate).tax_rate == tax_rate


@pytest.mark.parametrize("tax_rate", ["-0.1", "100.01", "101"])
def test_parse_line_refuses_a_tax_rate_outside_0_to_100(tax_rate: str) -> None:
    assert refusal(tax_rate=tax_rate).code == "invalid_line"


@pytest.mark.parametrize("tax_rate", ["NaN", "abc", "1e1", ""])
def test_parse_line_refuses_a_tax_rate_that_is_not_a_plain_decimal(tax_rate: str) -> None:
    assert refusal(tax_rate=tax_rate).code == "invalid_amount"


def test_parse_line_names_the_line_index_in_its_message() -> None:
    assert refusal(quantity="0", index=3).message.startswith("lines[3].quantity")


# --- parse_line: canonical text ---------------------------------------------------------------


def test_parse_line_keeps_a_round_quantity_without_exponent_notation() -> None:
    assert line(quantity="100").quantity == "100"


def test_parse_line_drops_trailing_zeros_from_the_quantity() -> None:
    assert line(quantity="2.50").quantity == "2.5"


def test_parse_line_drops_trailing_zeros_from_the_tax_rate() -> None:
    assert line(tax_rate="7.50").tax_rate == "7.5"
    assert line(tax_rate="100.000").tax_rate == "100"


def test_parse_line_canonicalises_a_negative_zero_tax_rate_to_zero() -> None:
    assert line(tax_rate="-0").tax_rate == "0"


# --- price_lines ------------------------------------------------------------------------------


def test_line_total_is_quantity_times_unit_price() -> None:
    assert price_lines([line("3", "0.35", "19")], "EUR").lines[0].line_total == 105


def test_tax_is_line_total_times_rate_rounded_half_up() -> None:
    # 105 x 19% = 19.95 -> 20
    assert price_lines([line("3", "0.35", "19")], "EUR").lines[0].tax_amount == 20


def test_line_total_rounds_a_half_minor_unit_up() -> None:
    # 2.5 x 0.01 = 2.5 cents -> 3 (half-even would give 2)
    assert price_lines([line("2.5", "0.01")], "EUR").lines[0].line_total == 3


def test_tax_rounds_a_half_minor_unit_up() -> None:
    # 250 x 5% = 12.5 -> 13 (half-even would give 12)
    assert price_lines([line("2.5", "1.00", "5")], "EUR").lines[0].tax_amount == 13


def test_tax_below_half_a_minor_unit_rounds_down() -> None:
    # 149 x 7.5% = 11.175 -> 11
    assert price_lines([line("1", "1.49", "7.5")], "EUR").lines[0].tax_amount == 11


def test_tax_is_computed_from_the_rounded_line_total() -> None:
    # 0.5 x 0.01 = 0.5 -> 1 cent; 50% of the rounded 1 cent = 0.5 -> 1 (of the exact 0.5 it would be 0)
    priced = price_lines([line("0.5", "0.01", "50")], "EUR").lines[0]
    assert (priced.line_total, priced.tax_amount) == (1, 1)


def test_price_lines_rounds_in_whole_yen_for_jpy() -> None:
    priced = price_lines([line("1.5", "5", "10", "JPY")], "JPY").lines[0]
    # 7.5 -> 8 yen, 0.8 -> 1 yen
    assert (priced.line_total, priced.tax_amount) == (8, 1)


def test_totals_are_exact_sums_of_rounded_lines() -> None:
    totals = price_lines([line("3", "0.35", "19"), line("2.5", "0.01", "7"), line("1", "10", "0")], "EUR")
    assert [p.line_total for p in totals.lines] == [105, 3, 1000]
    assert [p.tax_amount for p in totals.lines] == [20, 0, 0]
    assert (totals.subtotal, totals.tax_total, totals.total) == (1108, 20, 1128)


def test_price_lines_keeps_the_lines_in_order() -> None:
    lines = [line("1"), line("2"), line("3")]
    assert [p.line for p in price_lines(lines, "EUR").lines] == lines


def test_price_lines_of_no_lines_totals_zero() -> None:
    totals = price_lines([], "EUR")
    assert (totals.lines, totals.subtotal, totals.tax_total, totals.total) == ((), 0, 0, 0)


def test_price_lines_refuses_a_total_over_max_minor() -> None:
    big = line("1000000", "10000000000.00")  # 10^6 x 10^12 minor = 10^18
    with pytest.raises(MoneyError) as excinfo:
        price_lines([big], "EUR")
    assert excinfo.value.code == "invalid_amount"


def test_a_tax_rate_with_more_than_four_decimals_is_refused() -> None:
    with pytest.raises(MoneyError) as excinfo:
        line("1", "1.00", "0.49999")
    assert excinfo.value.code == "invalid_line"


def test_tax_is_rounded_once_from_the_exact_product() -> None:
    priced = price_lines([line("3", "0.35", "19.9999")], "EUR").lines[0]  # 105 x 19.9999% = 20.9998...
    assert (priced.line_total, priced.tax_amount) == (105, 21)


@pytest.mark.parametrize(("value", "rounded"), [("0.5", 1), ("1.5", 2), ("2.5", 3), ("2.4999", 2), ("0", 0)])
def test_half_up_rounds_a_half_up_and_less_than_half_down(value: str, rounded: int) -> None:
    assert half_up(Decimal(value)) == rounded


def plain(value: Decimal) -> str:
    return format(value, "f")


valid_lines = st.builds(
    line,
    quantity=st.decimals(min_value="0.0001", max_value="10000", places=4).map(plain),
    unit_price=st.decimals(min_value="0", max_value="100000", places=2).map(plain),
    tax_rate=st.decimals(min_value="0", max_value="100", places=2).map(plain),
)


@settings(max_examples=200)
@given(lines=st.lists(valid_lines, max_size=8))
def test_totals_add_up_exactly(lines: list[Line]) -> None:
    totals = price_lines(lines, "EUR")
    assert totals.subtotal == sum(p.line_total for p in totals.lines)
    assert totals.tax_total == sum(p.tax_amount for p in totals.lines)
    assert totals.total == totals.subtotal + totals.tax_total
    assert all(p.line_total >= 0 and p.tax_amount >= 0 for p in totals.lines)
    assert min(totals.subtotal, totals.tax_total, totals.total) >= 0


@settings(max_examples=200)
@given(lines=st.lists(valid_lines, min_size=1, max_size=8))
def test_each_line_is_within_half_a_minor_unit_of_its_exact_value(lines: list[Line]) -> None:
    for priced in price_lines(lines, "EUR").lines:
        exact_total = Decimal(priced.line.quantity) * priced.line.unit_price
        exact_tax = priced.line_total * Decimal(priced.line.tax_rate) / 100
        assert Decimal("-0.5") < priced.line_total - exact_total <= Decimal("0.5")
        assert Decimal("-0.5") < priced.tax_amount - exact_tax <= Decimal("0.5")


@settings(max_examples=200)
@given(quantity=st.decimals(min_value="0.0001", max_value="1000000", places=4))
def test_parsed_quantity_is_canonical_and_equal_in_value(quantity: Decimal) -> None:
    text = line(quantity=plain(quantity)).quantity
    assert Decimal(text) == quantity
    assert "E" not in text.upper()
    assert text == line(quantity=text).quantity


# --- tax categories (EN 16931 BT-151) -----------------------------------------------------------


def categorised(tax_category: str | None, tax_rate: str = "0", exemption_reason: str | None = None) -> Line:
    return parse_line("Widget", "1", "1.00", tax_rate, "EUR", 0, tax_category, exemption_reason)


def category_refusal(tax_category: str | None, tax_rate: str = "0", exemption_reason: str | None = None,
                     index: int = 0) -> MoneyError:
    with pytest.raises(MoneyError) as excinfo:
        parse_line("Widget", "1", "1.00", tax_rate, "EUR", index, tax_category, exemption_reason)
    assert excinfo.value.code == ErrorType.INVALID_TAX_CATEGORY
    return excinfo.value


def test_a_line_without_a_category_is_standard_rated_at_any_rate_as_before() -> None:
    assert (line(tax_rate="19").tax_category, line(tax_rate="19").exemption_reason) == ("S", None)
    assert line(tax_rate="0").tax_category == "S"


def test_a_standard_rated_line_keeps_its_rate() -> None:
    assert categorised("S", "19") == Line("Widget", "1", 100, "19", "S", None)


def test_a_line_named_standard_rated_at_0_percent_is_refused() -> None:
    assert "lines[2].tax_category S" in category_refusal("S", "0", index=2).message


@pytest.mark.parametrize("category", ["Z", "E", "AE", "K", "G", "O"])
def test_a_category_that_charges_no_vat_refuses_a_rate(category: str) -> None:
    error = category_refusal(category, "19", exemption_reason="Section 4 UStG")

    assert error.message.startswith(f"lines[0].tax_category {category} charges no VAT")


def test_an_unknown_category_is_refused_naming_the_field() -> None:
    assert category_refusal("X").message.startswith("lines[0].tax_category 'X' is not one of S, Z, E, AE")


@pytest.mark.parametrize(
    ("category", "reason"),
    [("AE", "Reverse charge"), ("K", "Intra-community supply"), ("G", "Export outside the EU"),
     ("O", "Not subject to VAT")],
)
def test_a_category_that_needs_a_reason_gets_the_standard_text(category: str, reason: str) -> None:
    assert categorised(category).exemption_reason == reason


def test_the_merchants_own_reason_is_kept_trimmed() -> None:
    reason = " Steuerschuldnerschaft des Leistungsempfängers "

    assert categorised("AE", exemption_reason=reason).exemption_reason == reason.strip()


def test_an_exempt_line_keeps_the_merchants_reason() -> None:
    assert categorised("E", exemption_reason="Exempt under Art. 135 VAT Directive") == Line(
        "Widget", "1", 100, "0", "E", "Exempt under Art. 135 VAT Directive"
    )


@pytest.mark.parametrize("reason", [None, "   "])
def test_an_exempt_line_without_a_reason_is_refused(reason: str | None) -> None:
    assert category_refusal("E", exemption_reason=reason).message.startswith(
        "lines[0].exemption_reason is needed for tax category E"
    )


@pytest.mark.parametrize(("category", "rate"), [("S", "19"), ("Z", "0"), (None, "19")])
def test_a_taxed_or_zero_rated_line_takes_no_exemption_reason(category: str | None, rate: str) -> None:
    assert category_refusal(category, rate, exemption_reason="why").message.startswith(
        "lines[0].exemption_reason is only for"
    )


def test_a_line_decoded_from_a_payload_before_categories_is_standard_rated() -> None:
    assert Line("Widget", "1", 100, "19") == Line("Widget", "1", 100, "19", "S", None)


def test_reverse_charge_needs_the_buyers_vat_id() -> None:
    lines = [categorised("S", "19"), categorised("AE")]

    with pytest.raises(MoneyError) as excinfo:
        check_tax_categories(lines, buyer_vat_id=None)

    assert excinfo.value.code == ErrorType.INVALID_TAX_CATEGORY
    assert excinfo.value.message.startswith("lines[1].tax_category AE needs the buyer's VAT identifier")


def test_an_intra_community_supply_to_a_buyer_with_a_vat_id_is_accepted() -> None:
    check_tax_categories([categorised("K"), categorised("S", "19")], buyer_vat_id="ATU57194903")


def test_a_line_outside_the_scope_of_vat_cannot_share_an_invoice_with_taxed_ones() -> None:
    with pytest.raises(MoneyError) as excinfo:
        check_tax_categories([categorised("O"), categorised("O"), categorised("Z")], buyer_vat_id=None)

    assert excinfo.value.message.startswith("lines[2].tax_category Z cannot share an invoice")


def test_lines_all_outside_the_scope_of_vat_are_accepted() -> None:
    check_tax_categories([categorised("O"), categorised("O")], buyer_vat_id=None)
