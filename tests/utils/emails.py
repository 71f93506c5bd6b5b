"""A sample invoice and its emails rendered and read back, for the template tests."""

from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage

from payinvoice.contracts import CreditNote, EmailKind, Fee, FeeKind, InvoiceView
from payinvoice.documents import BuyerParty, Seller
from payinvoice.domain.lines import Line, PricedLine, price_lines
from payinvoice.emails import Recipient, render_email

SENT_AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
BUYER = Recipient("Ada Buyer", "ada@example.com")
STAGES = ["upcoming", "due", "overdue_1", "overdue_2", "final_notice"]
STAGE_WORDING = {
    "upcoming": "friendly heads-up",
    "due": "due today",
    "overdue_1": "is now overdue",
    "overdue_2": "second reminder",
    "final_notice": "suspended until this invoice is paid",
}


NOTE = CreditNote(
    "cn-key-1", "CN-000001", 2000, "Damaged widget", datetime(2025, 2, 20, 10, 0, tzinfo=UTC),
    lines=[PricedLine(Line("Blue widget", "1", 1250, "19"), 1250, 238)],
)
LATE_FEE = Fee(FeeKind.LATE_FEE, "Late fee (overdue_1)", 1000, datetime(2025, 2, 16, tzinfo=UTC), "overdue_1")
# The stage an email of each kind is sent with, and what its invoice must have for it.
STAGE_OF = {EmailKind.REMINDER: "due", EmailKind.CREDIT_NOTE: "CN-000001"}
NEEDS = {EmailKind.CREDIT_NOTE: {"credit_notes": [NOTE]}}


def make_view(descriptions: tuple[str, ...] = ("Blue widget", "Installation"), **changes) -> InvoiceView:
    lines = [
        Line(description=description, quantity=quantity, unit_price=price, tax_rate=rate)
        for description, (quantity, price, rate) in zip(
            descriptions, [("2", 1250, "19"), ("1.5", 8000, "7.5"), ("3", 99, "0")], strict=False
        )
    ]
    totals = price_lines(lines, "EUR")
    view = InvoiceView(
        invoice_id="inv-1",
        merchant_id="m-1",
        buyer_id="b-1",
        order_id="order-42",
        currency="EUR",
        lines=[PricedLine(p.line, p.line_total, p.tax_amount) for p in totals.lines],
        subtotal=totals.subtotal,
        tax_total=totals.tax_total,
        total=totals.total,
        payment_terms_days=30,
        created_at=datetime(2025, 1, 10, 12, 0, tzinfo=UTC),
        number="INV-000042",
        payment_reference="RF18INV000042",
        issue_date="2025-01-10",
        due_date="2025-02-09",
    )
    return replace(view, **changes)


def render(
    kind: EmailKind,
    view: InvoiceView,
    stage: str | None = None,
    *,
    buyer: Recipient = BUYER,
    merchant_name: str = "Widgets GmbH",
    locale: str = "en",
    seller: Seller | None = None,
    bill_to: BuyerParty | None = None,
) -> EmailMessage:
    return render_email(
        kind=kind,
        stage=stage,
        invoice=view,
        buyer=buyer,
        merchant_name=merchant_name,
        mail_from="billing@payinvoice.local",
        public_url="http://localhost:8000",
        message_id="<x@y>",
        sent_at=SENT_AT,
        locale=locale,
        seller=seller,
        bill_to=bill_to,
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()
