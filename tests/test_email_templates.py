"""The email templates render every kind and stage into a readable, escaped multipart message."""

from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from payinvoice.contracts import EmailKind, InvoiceView, Payment
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
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_invoice_email_lists_every_line_the_total_and_the_payment_reference() -> None:
    view = make_view(("Blue widget", "Installation", "Screws"))
    text, html = parts(render(EmailKind.INVOICE, view))
    assert view.total == 16172
    for body in (text, html):
        for description in ("Blue widget", "Installation", "Screws"):
            assert description in body
        assert "25.00 EUR" in body  # line total of 2 x 12.50
        assert "9.00 EUR" in body  # 7.5 % tax on 120.00
        assert "161.72 EUR" in body  # total
        assert "RF18INV000042" in body
        assert "2025-02-09" in body
        assert "net 30 days" in body


def test_invoice_email_shows_the_purchase_order_only_when_there_is_one() -> None:
    without_text, without_html = parts(render(EmailKind.INVOICE, make_view()))
    with_text, with_html = parts(render(EmailKind.INVOICE, make_view(purchase_order="PO-7781")))
    assert "Purchase order" not in without_text and "Purchase order" not in without_html
    assert "PO-7781" in with_text and "PO-7781" in with_html


@pytest.mark.parametrize("stage", STAGES)
def test_each_reminder_stage_has_its_header_and_its_own_wording(stage: str) -> None:
    message = render(EmailKind.REMINDER, make_view(), stage)
    text, html = parts(message)
    assert message["X-Reminder-Stage"] == stage
    for body in (text, html):
        assert STAGE_WORDING[stage] in body.lower()
        for other, wording in STAGE_WORDING.items():
            if other != stage:
                assert wording not in body.lower()
        assert "INV-000042" in body
        assert "2025-02-09" in body
        assert "RF18INV000042" in body


def test_reminder_shows_the_amount_still_due_after_a_partial_payment() -> None:
    view = make_view(amount_paid=10000)
    text, html = parts(render(EmailKind.REMINDER, view, "overdue_1"))
    assert "Amount due:         58.75 EUR" in text
    assert "58.75 EUR" in html


def test_final_notice_says_the_credit_line_is_suspended() -> None:
    message = render(EmailKind.REMINDER, make_view(), "final_notice")
    text, html = parts(message)
    assert message["Subject"] == "Final notice: invoice INV-000042"
    assert "credit line for pay-by-invoice is suspended" in text
    assert "credit line for pay-by-invoice is suspended" in html


def test_reminder_without_a_known_stage_falls_back_to_a_plain_reminder() -> None:
    message = render(EmailKind.REMINDER, make_view(), None)
    text, _ = parts(message)
    assert message["X-Reminder-Stage"] is None
    assert message["Subject"] == "Reminder: invoice INV-000042"
    assert "This is a reminder that invoice INV-000042" in text


def test_html_part_escapes_a_script_in_a_line_description() -> None:
    view = make_view(("<script>alert(1)</script>", "Installation"))
    text, html = parts(render(EmailKind.INVOICE, view))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in text  # plain text is not HTML: shown as typed


def test_html_part_escapes_buyer_and_merchant_supplied_text() -> None:
    view = make_view(purchase_order='PO "7" <b>', void_reason="<img src=x onerror=alert(1)>")
    _, invoice_html = parts(render(EmailKind.INVOICE, view))
    _, void_html = parts(render(EmailKind.VOID, view))
    assert "<b>" not in invoice_html and "PO &#34;7&#34; &lt;b&gt;" in invoice_html
    assert "<img" not in void_html and "&lt;img src=x onerror=alert(1)&gt;" in void_html


def test_receipt_mentions_an_overpayment_when_there_is_one() -> None:
    payment = Payment("pay-1", 20000, "EUR", datetime(2025, 2, 1, tzinfo=UTC), "bank_transfer")
    view = make_view(amount_paid=20000, payments=[payment])
    text, html = parts(render(EmailKind.RECEIPT, view))
    for body in (text, html):
        assert "200.00 EUR" in body  # amount paid
        assert "158.75 EUR" in body  # invoice total
        assert "41.25 EUR" in body  # overpaid
        assert "credited to your account or refunded" in body


def test_receipt_does_not_mention_an_overpayment_when_paid_exactly() -> None:
    view = make_view(amount_paid=15875)
    text, html = parts(render(EmailKind.RECEIPT, view))
    for body in (text, html):
        assert "Thank you" in body
        assert "158.75 EUR" in body
        assert "refunded" not in body


def test_void_email_gives_the_reason_and_says_there_is_nothing_to_pay() -> None:
    text, html = parts(render(EmailKind.VOID, make_view(void_reason="Order cancelled by buyer")))
    for body in (text, html):
        assert "cancelled" in body
        assert "Order cancelled by buyer" in body
        assert "nothing to pay" in body


def test_void_email_without_a_reason_leaves_the_reason_out() -> None:
    text, html = parts(render(EmailKind.VOID, make_view()))
    assert "Reason" not in text and "Reason" not in html
    assert "nothing to pay" in text


@pytest.mark.parametrize("kind", list(EmailKind))
def test_message_is_multipart_alternative_with_text_and_html_parts(kind: EmailKind) -> None:
    stage = "due" if kind == EmailKind.REMINDER else None
    message = render(kind, make_view(purchase_order="PO-1", void_reason="duplicate"), stage)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["X-Payinvoice-Kind"] == str(kind)
    assert message["X-Invoice-Number"] == "INV-000042"


@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_greets_the_buyer_and_signs_off_once_from_the_shared_layout(kind: EmailKind) -> None:
    stage = "due" if kind == EmailKind.REMINDER else None
    message = render(kind, make_view(), stage)
    text, html = parts(message)
    for body in (text, html):
        assert body.count("Hello Ada Buyer,") == 1
        assert body.count("Kind regards,") == 1
        assert body.count("http://localhost:8000") >= 1
    assert "INV-000042" in html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert html.count("<h1 ") == 1


class _TagBalance(HTMLParser):
    VOID_TAGS = frozenset({"meta", "br", "img", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.seen: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.add(tag)
        assert len({name for name, _ in attrs}) == len(attrs), f"duplicate attribute on <{tag}>"
        if tag not in self.VOID_TAGS:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"unbalanced </{tag}> after {self.open}"
        self.open.pop()


@pytest.mark.parametrize(
    ("kind", "stage"),
    [(EmailKind.INVOICE, None), (EmailKind.RECEIPT, None), (EmailKind.VOID, None)]
    + [(EmailKind.REMINDER, stage) for stage in STAGES],
)
def test_html_part_is_a_self_contained_balanced_document(kind: EmailKind, stage: str | None) -> None:
    view = make_view(purchase_order="PO-1", void_reason="duplicate", amount_paid=20000)
    _, html = parts(render(kind, view, stage))
    assert html.lstrip().startswith("<!DOCTYPE html>")
    parser = _TagBalance()
    parser.feed(html)
    parser.close()
    assert parser.open == []
    assert {"html", "head", "title", "body"} <= parser.seen
    assert "<link" not in html and "<script" not in html and "src=" not in html


def test_subject_keeps_special_characters_of_the_merchant_name_as_typed() -> None:
    message = render(
        EmailKind.INVOICE, make_view(), buyer=Recipient("Ada", "a@b.c"), merchant_name="Smith & Sons <Ltd>"
    )
    assert message["Subject"] == "Invoice INV-000042 from Smith & Sons <Ltd>"


def test_to_header_is_one_recipient_when_the_buyer_name_has_a_comma() -> None:
    message = render(EmailKind.INVOICE, make_view(), buyer=Recipient("Doe, John", "john@example.com"))
    addresses = message["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in addresses] == [("Doe, John", "john@example.com")]


@pytest.mark.parametrize("kind", list(EmailKind))
def test_names_with_line_breaks_still_make_a_sendable_message(kind: EmailKind) -> None:
    buyer = Recipient("Ada\nBuyer\tGmbH", "ada@example.com")
    stage = "overdue_1" if kind == EmailKind.REMINDER else None

    message = render(kind, make_view(), stage, buyer=buyer, merchant_name="Widgets\r\nGmbH")

    assert message["To"] == "Ada Buyer GmbH <ada@example.com>"
    assert "\n" not in message["Subject"]
    message.as_bytes()  # a header with a line break in it would raise here
