"""The invoices every e-invoice format is validated on, built directly (no Temporal): several tax
rates, a reverse-charge buyer, an exempt line, a partial payment, a late fee, credit notes, German
and English buyers."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from payinvoice.contracts import CreditNote, Fee, InvoiceView, Payment
from payinvoice.contracts.kinds import FeeKind
from payinvoice.domain.lines import Line, price_lines
from payinvoice.domain.parties import Company, ElectronicAddress, PostalAddress
from payinvoice.domain.status import InvoiceStatus
from payinvoice.einvoice.build import BuyerData, SellerData

ISSUED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class TaxedLine(Line):
    """A line with its VAT category; the same fields `Line` has once checkout takes categories."""

    tax_category: str = "S"
    exemption_reason: str | None = None


def line(
    description: str,
    quantity: str,
    unit_price: int,
    rate: str,
    category: str = "S",
    reason: str | None = None,
) -> Line:
    return TaxedLine(description, quantity, unit_price, rate, tax_category=category, exemption_reason=reason)


SELLER = SellerData(
    name="Widgets",
    company=Company(
        legal_name="Widgets GmbH",
        address=PostalAddress(line1="Hauptstraße 1", postcode="10115", city="Berlin", country="DE"),
        contact_name="Erika Mustermann",
        contact_phone="+49 30 1234567",
        contact_email="billing@widgets.example",
        vat_id="DE136695976",
        tax_number="2893081508152",
        registration="HRB 12345 B",
        electronic_address=ElectronicAddress("EM", "einvoice@widgets.example"),
    ),
    iban="DE02120300000000202051",
    bic="BYLADEM1001",
    account_holder="Widgets GmbH",
)

GERMAN_PUBLIC_BUYER = BuyerData(
    name="Stadt Musterstadt",
    email="rechnung@musterstadt.example",
    locale="de",
    address=PostalAddress(line1="Rathausplatz 1", postcode="12345", city="Musterstadt", country="DE"),
    buyer_reference="04011000-12345-03",
    electronic_address=ElectronicAddress("0204", "04011000-12345-03"),
)

ENGLISH_BUYER = BuyerData(
    name="Gadgets Ltd",
    email="accounts@gadgets.example",
    locale="en",
    address=PostalAddress(
        line1="1 High Street", line2="Floor 2", postcode="SW1A 1AA", city="London", country="GB"
    ),
    vat_id="GB980780684",
    buyer_reference="PO-DEPT-7",
    electronic_address=ElectronicAddress("EM", "ap@gadgets.example"),
)

AUSTRIAN_BUSINESS = BuyerData(
    name="Bauteile GmbH",
    email="buchhaltung@bauteile.example",
    locale="de",
    address=PostalAddress(line1="Ringstraße 5", postcode="1010", city="Wien", country="AT"),
    vat_id="ATU13585627",
    buyer_reference="AT-REF-1",
    electronic_address=ElectronicAddress("9914", "ATU13585627"),
)


def invoice(lines: list[Line], **changes: object) -> InvoiceView:
    totals = price_lines(lines, "EUR")
    view = InvoiceView(
        invoice_id="inv_1",
        merchant_id="m_1",
        buyer_id="b_1",
        order_id="order-1001",
        currency="EUR",
        lines=list(totals.lines),
        subtotal=totals.subtotal,
        tax_total=totals.tax_total,
        total=totals.total,
        payment_terms_days=30,
        created_at=ISSUED,
        status=InvoiceStatus.OPEN,
        number="INV-2026-0042",
        payment_reference="RF18539007547034",
        issued_at=ISSUED,
        issue_date="2026-11-02",
        due_at=datetime(2026, 12, 2, tzinfo=UTC),
        due_date="2026-12-02",
        purchase_order="PO-4711",
    )
    return replace(view, **changes)  # type: ignore[arg-type]


SEVERAL_RATES = [
    line("Widget, blue", "3", 1999, "19"),
    line("Manual (printed book)", "1", 2450, "7"),
    line("Consulting hours", "2.5", 9000, "19"),
]


def several_rates() -> InvoiceView:
    return invoice(SEVERAL_RATES)


def reverse_charge() -> InvoiceView:
    return invoice([line("Installation service", "8", 7500, "0", "AE")], purchase_order=None)


def exempt_line() -> InvoiceView:
    return invoice(
        [
            line("Widget, blue", "2", 1999, "19"),
            line("Training course", "1", 45000, "0", "E", "Exempt under § 4 Nr. 21 UStG"),
        ]
    )


def partial_payment() -> InvoiceView:
    view = several_rates()
    paid = Payment(payment_id="p_1", amount=10000, currency="EUR", paid_at=ISSUED, method="bank_transfer")
    return replace(view, payments=[paid], amount_paid=10000)


def late_fee() -> InvoiceView:
    fees = [
        Fee(
            kind=FeeKind.LATE_FEE,
            description="Late fee (first reminder)",
            amount=500,
            at=ISSUED,
            stage="first",
        ),
        Fee(
            kind=FeeKind.INTEREST,
            description="Late-payment interest at 9.12 % a year, 14 days",
            amount=173,
            at=ISSUED,
        ),
    ]
    return replace(several_rates(), status=InvoiceStatus.OVERDUE, fees=fees)


def many_small_lines() -> InvoiceView:
    """Thirty lines whose VAT, rounded per line, sums to 0.13 more than the group's rounded VAT."""
    return invoice([line(f"Sticker {i}", "1", 3, "19") for i in range(30)])


def with_credit_notes() -> InvoiceView:
    """An invoice of several rates with two credit notes: one of lines, one of an amount."""
    view = several_rates()
    returned = price_lines([line("Widget, blue (returned)", "1", 1999, "19")], "EUR")
    notes = [
        CreditNote(
            credit_note_id="cn_lines",
            number="CN-2026-0007",
            amount=returned.total,
            reason="returned goods",
            issued_at=datetime(2026, 11, 10, tzinfo=UTC),
            lines=list(returned.lines),
        ),
        CreditNote(
            credit_note_id="cn_amount",
            number="CN-2026-0008",
            amount=1500,
            reason="goodwill",
            issued_at=datetime(2026, 11, 12, tzinfo=UTC),
        ),
    ]
    return replace(view, credit_notes=notes)


def half_cent_lines(count: int) -> InvoiceView:
    """`count` lines of 0.50 at 19 %: 0.095 VAT each, rounded up to 0.10, the most a line can drift."""
    return invoice([line(f"Sticker {i}", "1", 50, "19") for i in range(count)])


def credited_after_late_fee() -> InvoiceView:
    """A late-fee invoice with a credit note of an amount, which spans its fees too."""
    note = CreditNote(
        credit_note_id="cn_fee",
        number="CN-2026-0009",
        amount=9999,
        reason="fee waived and goodwill",
        issued_at=datetime(2026, 12, 20, tzinfo=UTC),
    )
    return replace(late_fee(), credit_notes=[note])
