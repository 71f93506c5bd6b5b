"""A sample invoice document for the PDF tests."""

from dataclasses import replace
from datetime import UTC, datetime

from payinvoice.contracts import InvoiceView
from payinvoice.documents import (
    BuyerParty,
    InvoiceDocument,
    Seller,
)
from payinvoice.domain.lines import Line, price_lines

SELLER = Seller(
    name="Widgets GmbH", legal_name="Widgets Handels GmbH", address="Hauptstr. 1\n10115 Berlin",
    iban="DE89370400440532013000", bic="COBADEFFXXX",
)


def make_document(locale: str = "en", **changes) -> InvoiceDocument:
    lines = [
        Line("Blue widget", "2", 1250, "19"), Line("Installation", "1.5", 8000, "7.5"),
        Line("Manual <b>", "3", 99, "0"), Line("Cable", "1", 1000, "19"),
    ]
    totals = price_lines(lines, "EUR")
    view = InvoiceView(
        invoice_id="inv-1", merchant_id="m-1", buyer_id="b-1", order_id="order-42", currency="EUR",
        lines=list(totals.lines), subtotal=totals.subtotal, tax_total=totals.tax_total,
        total=totals.total, payment_terms_days=30, created_at=datetime(2025, 1, 10, tzinfo=UTC),
        purchase_order="PO-7781", status="open", number="INV-000042", payment_reference="RF18INV000042",
        issue_date="2025-01-10", due_date="2025-02-09", hosted_token="t" * 32,
    )
    return InvoiceDocument(
        invoice=replace(view, **changes), seller=SELLER,
        buyer=BuyerParty(name="Ada Buyer AG", email="ap@ada.example", locale=locale),
    )
