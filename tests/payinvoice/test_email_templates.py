"""The email templates render every kind and stage into a readable, escaped multipart message."""

from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from payinvoice.contracts import EmailKind, Payment
from payinvoice.domain.discount import EarlyPaymentDiscount
from payinvoice.emails import Recipient, message_id
from tests.utils.emails import (
    LATE_FEE,
    NEEDS,
    NOTE,
    STAGE_OF,
    STAGE_WORDING,
    STAGES,
    make_view,
    parts,
    render,
)


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
    view = make_view(purchase_order="PO-1", void_reason="duplicate", **NEEDS.get(kind, {}))
    message = render(kind, view, STAGE_OF.get(kind))
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["X-Payinvoice-Kind"] == str(kind)
    assert message["X-Invoice-Number"] == "INV-000042"


@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_greets_the_buyer_and_signs_off_once_from_the_shared_layout(kind: EmailKind) -> None:
    message = render(kind, make_view(**NEEDS.get(kind, {})), STAGE_OF.get(kind))
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
    + [(EmailKind.REMINDER, stage) for stage in STAGES]
    + [(EmailKind.CREDIT_NOTE, "CN-000001")],
)
def test_html_part_is_a_self_contained_balanced_document(kind: EmailKind, stage: str | None) -> None:
    view = make_view(
        purchase_order="PO-1", void_reason="duplicate", amount_paid=20000, fees=[LATE_FEE],
        credit_notes=[NOTE], discount=300, to_balance=5425, status="paid",
    )
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
    stage = "overdue_1" if kind == EmailKind.REMINDER else STAGE_OF.get(kind)

    view = make_view(**NEEDS.get(kind, {}))

    message = render(kind, view, stage, buyer=buyer, merchant_name="Widgets\r\nGmbH")

    assert message["To"] == "Ada Buyer GmbH <ada@example.com>"
    assert "\n" not in message["Subject"]
    message.as_bytes()  # a header with a line break in it would raise here


# Fees, credit notes and discounts: below the original lines, then the amount due


def test_reminder_after_a_late_fee_shows_the_fee_and_the_new_amount_due() -> None:
    view = make_view(status="overdue", fees=[LATE_FEE])

    text, html = parts(render(EmailKind.REMINDER, view, "overdue_1"))

    assert "A late fee of 10.00 EUR has been added to this invoice; the amount due is now 168.75 EUR." in text
    assert (
        "Invoice total:      158.75 EUR\nLate fee (overdue_1): 10.00 EUR\nAmount due:         168.75 EUR"
    ) in text
    assert "A late fee of <strong>10.00 EUR</strong> has been added" in html
    assert "Late fee (overdue_1)" in html and "168.75 EUR" in html


def test_german_reminder_after_a_late_fee_shows_the_fee_and_the_new_amount_due_in_german() -> None:
    view = make_view(status="overdue", fees=[LATE_FEE])

    text, html = parts(render(EmailKind.REMINDER, view, "overdue_1", locale="de"))

    for body in (text, html):
        assert "Mahngebühr (overdue_1)" in body
        assert "10,00\xa0€" in body and "168,75\xa0€" in body
    assert "Dieser Rechnung wurde eine Mahngebühr von 10,00\xa0€ hinzugefügt" in text


def test_reminder_of_a_later_stage_lists_an_earlier_fee_without_announcing_it_again() -> None:
    view = make_view(status="overdue", fees=[LATE_FEE])

    text, _ = parts(render(EmailKind.REMINDER, view, "overdue_2"))

    assert "Late fee (overdue_1): 10.00 EUR" in text
    assert "A late fee of" not in text


def test_reminder_without_fees_or_credit_notes_shows_no_breakdown() -> None:
    text, html = parts(render(EmailKind.REMINDER, make_view(), "overdue_1"))

    assert "Invoice total" not in text and "Invoice total" not in html


def test_invoice_email_lists_fees_credit_notes_and_the_discount_below_the_unchanged_lines() -> None:
    view = make_view(fees=[LATE_FEE], credit_notes=[NOTE], discount=500)

    text, html = parts(render(EmailKind.INVOICE, view))

    assert view.amount_due() == 14375
    assert (
        "Total:      158.75 EUR\n"
        "Late fee (overdue_1): 10.00 EUR\n"
        "Credit note CN-000001 (Damaged widget): -20.00 EUR\n"
        "Early-payment discount: -5.00 EUR\n"
        "Amount due: 143.75 EUR\n"
    ) in text
    assert "Amount:     25.00 EUR" in text  # the original lines as they were
    for expected in ("Late fee (overdue_1)", "Credit note CN-000001 (Damaged widget)", "-20.00 EUR"):
        assert expected in html
    assert html.index("Blue widget") < html.index("Late fee (overdue_1)") < html.index("143.75 EUR")


def test_german_invoice_email_lists_credit_notes_and_the_discount_in_german() -> None:
    view = make_view(credit_notes=[NOTE], discount=500)

    text, html = parts(render(EmailKind.INVOICE, view, locale="de"))

    for body in (text, html):
        assert "Gutschrift CN-000001 (Damaged widget)" in body
        assert "-20,00\xa0€" in body
        assert "Skonto" in body and "-5,00\xa0€" in body
        assert "133,75\xa0€" in body


def test_invoice_email_offers_the_early_payment_discount_until_its_deadline() -> None:
    view = make_view(
        status="open", early_payment_discount=EarlyPaymentDiscount("2", 10),
        discount_deadline=datetime(2025, 3, 10, 12, 0, tzinfo=UTC),
    )

    text, html = parts(render(EmailKind.INVOICE, view))

    assert "2% discount if paid by 2025-03-10: 155.57 EUR" in text  # 158.75 less 3.18
    assert "2% discount if paid by 2025-03-10: <strong>155.57 EUR</strong>" in html


def test_german_invoice_email_offers_the_discount_with_a_german_date_and_amount() -> None:
    view = make_view(
        status="open", early_payment_discount=EarlyPaymentDiscount("2.5", 10),
        discount_deadline=datetime(2025, 3, 10, 12, 0, tzinfo=UTC),
    )

    text, _ = parts(render(EmailKind.INVOICE, view, locale="de"))

    assert "2,5\xa0% Skonto bei Zahlung bis 10.03.2025: 154,78\xa0€" in text  # 158.75 less 3.97


def test_invoice_email_makes_no_discount_offer_once_its_deadline_has_passed() -> None:
    view = make_view(
        status="open", early_payment_discount=EarlyPaymentDiscount("2", 10),
        discount_deadline=datetime(2025, 2, 28, 12, 0, tzinfo=UTC),  # before SENT_AT
    )

    text, html = parts(render(EmailKind.INVOICE, view))

    assert "discount" not in text and "discount" not in html


def test_receipt_lists_the_discount_taken_with_the_payment() -> None:
    view = make_view(status="paid", amount_paid=15557, discount=318)

    text, html = parts(render(EmailKind.RECEIPT, view))

    assert "Early-payment discount: -3.18 EUR" in text
    assert "Early-payment discount" in html and "-3.18 EUR" in html
    assert "Still due" not in text


def test_receipt_says_an_overpayment_went_to_the_buyers_balance() -> None:
    view = make_view(status="paid", amount_paid=20000, to_balance=4125)

    text, html = parts(render(EmailKind.RECEIPT, view))

    for body in (text, html):
        assert "41.25 EUR" in body
        assert "credited to your balance with Widgets GmbH" in body
        assert "or refunded" not in body


# The credit note email


def test_credit_note_email_subject_names_the_credit_note_and_the_invoice() -> None:
    message = render(EmailKind.CREDIT_NOTE, make_view(credit_notes=[NOTE]), "CN-000001")

    assert message["Subject"] == "Credit note CN-000001 for invoice INV-000042"
    assert message["X-Credit-Note-Number"] == "CN-000001"


def test_german_credit_note_email_subject_is_german() -> None:
    message = render(EmailKind.CREDIT_NOTE, make_view(credit_notes=[NOTE]), "CN-000001", locale="de")

    assert message["Subject"] == "Gutschrift CN-000001 zur Rechnung INV-000042"


def test_credit_note_email_gives_number_date_reason_lines_credit_and_the_new_amount_due() -> None:
    view = make_view(status="open", credit_notes=[NOTE])

    text, html = parts(render(EmailKind.CREDIT_NOTE, view, "CN-000001"))

    assert "Credit note number: CN-000001\nDate:               2025-02-20" in text
    assert "Reason:             Damaged widget" in text
    assert "Amount credited:    20.00 EUR" in text
    assert "Amount due:         138.75 EUR" in text
    assert "Please pay the new amount due of 138.75 EUR by bank transfer by 2025-02-09" in text
    for body in (text, html):
        assert "Blue widget" in body and "12.50 EUR" in body  # its line
        assert "RF18INV000042" in body


def test_german_credit_note_email_shows_date_credit_and_amount_due_in_german() -> None:
    view = make_view(status="open", credit_notes=[NOTE])

    text, html = parts(render(EmailKind.CREDIT_NOTE, view, "CN-000001", locale="de"))

    for body in (text, html):
        assert "Gutschriftsnummer" in body and "20.02.2025" in body
        assert "Gutgeschriebener Betrag" in body and "20,00\xa0€" in body
        assert "138,75\xa0€" in body
    assert "Bitte überweisen Sie den neuen offenen Betrag von 138,75\xa0€ bis zum 09.02.2025" in text


def test_credit_note_email_picks_its_own_credit_note_among_several() -> None:
    second = replace(NOTE, credit_note_id="cn-2", number="CN-000002", amount=500, reason="Late", lines=[])
    view = make_view(status="open", credit_notes=[NOTE, second])

    text, _ = parts(render(EmailKind.CREDIT_NOTE, view, "CN-000002"))

    assert "Credit note number: CN-000002" in text
    assert "Amount credited:    5.00 EUR" in text
    assert "Amount due:         133.75 EUR" in text  # after both notes
    assert "Items" not in text  # the second note has no lines


def test_credit_note_email_on_a_paid_invoice_says_the_credit_went_to_the_balance() -> None:
    view = make_view(status="paid", amount_paid=15875, credit_notes=[NOTE], to_balance=2000)

    text, html = parts(render(EmailKind.CREDIT_NOTE, view, "CN-000001"))

    for body in (text, html):
        assert "has been credited to your balance with Widgets GmbH" in body
        assert "Please pay" not in body
    assert "Invoice INV-000042 is paid. 20.00 EUR has been credited to your balance" in text


def test_credit_note_email_that_credits_the_invoice_to_zero_says_nothing_is_left_to_pay() -> None:
    note = replace(NOTE, amount=15875, lines=[])
    view = make_view(status="paid", credit_notes=[note], paid_by="credit_note")

    text, html = parts(render(EmailKind.CREDIT_NOTE, view, "CN-000001"))

    for body in (text, html):
        assert "Invoice INV-000042 is paid: there is nothing left to pay." in body
        assert "Please pay" not in body


def test_credit_note_email_for_a_credit_note_the_invoice_does_not_have_yet_raises() -> None:
    with pytest.raises(LookupError, match="CN-000009"):
        render(EmailKind.CREDIT_NOTE, make_view(credit_notes=[NOTE]), "CN-000009")


def test_each_credit_note_email_has_its_own_message_id() -> None:
    first = message_id("inv-1", EmailKind.CREDIT_NOTE, "CN-000001", "payinvoice.local")
    second = message_id("inv-1", EmailKind.CREDIT_NOTE, "CN-000002", "payinvoice.local")

    assert first != second
    assert first == "<credit_note.CN-000001.inv-1@payinvoice.local>"
