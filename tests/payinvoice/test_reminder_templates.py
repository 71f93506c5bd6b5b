"""Merchants' own reminder subjects and bodies: what they may use, how they render in both parts,
and how the built-in wording escalates with a stage's tone."""

from email.message import EmailMessage

import pytest

from payinvoice.contracts import EmailKind, Fee, FeeKind, InvoiceView
from payinvoice.domain.schedule import ReminderStage
from payinvoice.emails import Recipient, render_email
from payinvoice.reminder_templates import TEMPLATE_VARIABLES, TemplateProblem, check_template
from tests.utils.emails import BUYER, LATE_FEE, SENT_AT, make_view, parts


def remind(
    stage: ReminderStage, tone: str | None = None, buyer: Recipient = BUYER,
    merchant_name: str = "Widgets GmbH", invoice: InvoiceView | None = None,
) -> EmailMessage:
    return render_email(
        kind=EmailKind.REMINDER, stage=stage.name, invoice=invoice or make_view(), buyer=buyer,
        merchant_name=merchant_name, mail_from="billing@payinvoice.local", public_url="https://pay.example",
        message_id="<x@y>", sent_at=SENT_AT, reminder=stage, tone=tone,
    )


def problem(source: str) -> str:
    with pytest.raises(TemplateProblem) as error:
        check_template(source, "nudge")
    return error.value.message


# Rendering


def test_every_documented_variable_renders() -> None:
    source = " ".join(f"{{{{ {name} }}}}" for name in TEMPLATE_VARIABLES)

    check_template(source, "nudge")


def test_a_custom_subject_and_body_replace_the_built_in_wording_in_both_parts() -> None:
    stage = ReminderStage(
        "nudge", 5, subject="{{ invoice_number }}: {{ amount_due }} open",
        body="Dear {{ buyer_name }}, please pay {{ amount_due }} by {{ due_date }}: {{ pay_link }}",
    )

    message = remind(stage, tone="overdue_1")

    text, html = parts(message)
    assert message["Subject"] == "INV-000042: 158.75 EUR open"
    assert message["X-Reminder-Stage"] == "nudge"
    for body in (text, html):
        assert "Dear Ada Buyer, please pay 158.75 EUR by 2025-02-09: https://pay.example" in body
        assert "Perhaps it slipped through" not in body  # the built-in overdue_1 wording
        assert "RF18INV000042" in body  # the facts table stays


def test_a_custom_body_can_show_the_fee_its_stage_charged_and_every_fee_so_far() -> None:
    interest = Fee(FeeKind.INTEREST, "Late-payment interest at 12 % a year, 7 days", 37, SENT_AT)
    invoice = make_view(status="overdue", fees=[LATE_FEE, interest])
    stage = ReminderStage(
        "overdue_1", 7, subject="{{ invoice_number }}: {{ amount_due }} with fees",
        body="{% if stage_fee %}We added a late fee of {{ stage_fee }}.{% endif %}\n\n"
        "Fees so far ({{ fees_total }}):\n{{ fees }}",
    )

    message = remind(stage, invoice=invoice)

    text, html = parts(message)
    assert message["Subject"] == "INV-000042: 169.12 EUR with fees"
    assert "We added a late fee of 10.00 EUR." in text
    assert (
        "Fees so far (10.37 EUR):\nLate fee (overdue_1): 10.00 EUR\n"
        "Late-payment interest at 12 % a year, 7 days: 0.37 EUR"
    ) in text
    assert "Late fee (overdue_1): 10.00 EUR<br>\nLate-payment interest" in html
    assert "Amount due:         169.12 EUR" in text


def test_fee_variables_are_empty_or_zero_when_the_stage_charged_no_fee() -> None:
    stage = ReminderStage(
        "overdue_2", 14, body="[{% if stage_fee %}{{ stage_fee }}{% endif %}|{{ fees }}|{{ fees_total }}]",
    )

    text, _ = parts(remind(stage))

    assert "[||0.00 EUR]" in text


def test_a_stage_fee_names_only_the_fee_of_the_stage_being_sent() -> None:
    stage = ReminderStage("overdue_2", 14, body="[{{ stage_fee }}]")

    text, _ = parts(remind(stage, invoice=make_view(status="overdue", fees=[LATE_FEE])))

    assert "[]" in text


def test_the_html_part_escapes_the_merchants_text_and_the_variables() -> None:
    stage = ReminderStage("nudge", 5, body="<b>Pay</b> {{ buyer_name }} & co")

    _, html = parts(remind(stage, buyer=Recipient("<script>alert(1)</script>", "ada@example.com")))

    assert "&lt;b&gt;Pay&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<script>" not in html and "<b>" not in html


def test_blank_lines_make_paragraphs_and_single_newlines_line_breaks() -> None:
    stage = ReminderStage("nudge", 5, body="First line\nsecond line\n\nNew paragraph")

    text, html = parts(remind(stage))

    assert "First line\nsecond line\n\nNew paragraph" in text
    assert '<p style="margin:0 0 16px 0;">First line<br>\nsecond line</p>' in html
    assert '<p style="margin:0 0 16px 0;">New paragraph</p>' in html


def test_a_subject_stays_one_header_line_whatever_the_variables_hold() -> None:
    stage = ReminderStage("nudge", 5, subject="From {{ merchant_name }}")

    message = remind(stage, merchant_name="Widgets\nBcc: evil@example.com")

    assert message["Subject"] == "From Widgets Bcc: evil@example.com"
    assert message["Bcc"] is None


def test_a_template_that_fails_when_sent_falls_back_to_the_built_in_wording() -> None:
    # Saved ladders are checked; this one never was, as if the rules had changed since.
    stage = ReminderStage("nudge", 5, subject="{{ nope }}", body="{{ invoice_number.__class__ }}")

    message = remind(stage, tone="overdue_2")

    text, _ = parts(message)
    assert message["Subject"] == "Second reminder: invoice INV-000042 is overdue"
    assert "This is our second reminder" in text


# The built-in wording follows the tone


@pytest.mark.parametrize(
    ("tone", "wording"),
    [
        ("upcoming", "friendly heads-up"),
        ("due", "is due today"),
        ("overdue_1", "perhaps it slipped through"),
        ("overdue_2", "this is our second reminder"),
        ("final_notice", "remains unpaid despite our reminders"),
    ],
)
def test_a_custom_named_stage_speaks_in_the_tone_of_its_position(tone: str, wording: str) -> None:
    text, html = parts(remind(ReminderStage("custom", 1), tone=tone))

    assert wording in text.lower() and wording in html.lower()


def test_the_suspension_notice_goes_with_any_stage_that_suspends_credit() -> None:
    with_suspension = remind(ReminderStage("cut", 3, suspends_credit=True), tone="final_notice")
    without = remind(ReminderStage("last", 3), tone="final_notice")

    assert "credit line for pay-by-invoice is suspended" in parts(with_suspension)[0]
    assert "suspended" not in parts(without)[0]


def test_an_own_body_on_a_suspending_stage_keeps_the_suspension_notice() -> None:
    stage = ReminderStage("cut", 3, suspends_credit=True, body="Pay now.")

    text, html = parts(remind(stage, tone="final_notice"))

    for body in (text, html):
        assert "Pay now." in body
        assert "credit line for pay-by-invoice is suspended" in body


# Refused at save time


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ buyer_name.__class__ }}", "attribute access (.x) is not allowed"),
        ("{{ buyer_name.__class__.__mro__[1].__subclasses__() }}", "not allowed"),
        ("{{ cycler.__init__.__globals__.os }}", "not allowed"),
        ("{{ lipsum.__globals__['os'] }}", "not allowed"),
        ("{{ self._TemplateReference__context }}", "attribute access (.x) is not allowed"),
        ("{{ buyer_name['__class__'] }}", "item access ([x]) is not allowed"),
        ("{{ buyer_name.upper() }}", "calls are not allowed"),
        ("{{ range(10) }}", "calls are not allowed"),
        ("{{ 'x' * 1000000000 }}", "arithmetic is not allowed"),
        ("{{ buyer_name|center(1000000000) }}", "filter 'center' is not allowed"),
        ("{{ buyer_name|attr('__class__') }}", "filter 'attr' is not allowed"),
        ("{% for c in buyer_name %}{{ c }}{% endfor %}", "loops are not allowed"),
        ("{% set x = buyer_name %}", "assign is not allowed"),
        ("{% include 'invoice.html' %}", "include is not allowed"),
        ("{% autoescape false %}{{ buyer_name }}{% endautoescape %}", "{% autoescape %} blocks"),
        ("{{ nope }}", "unknown variable 'nope'"),
        ("{% if stage == 'x' %}{{ secret }}{% endif %}", "unknown variable 'secret'"),
        ("{{ buyer_name ", "has a syntax error on line 1"),
        ("{{ buyer_name > 5 }}", "does not render"),
        ("{{ " + "(" * 1000 + "stage" + ")" * 1000 + " }}", "is nested too deeply"),
        ("{% if stage %}" * 300 + "{% endif %}" * 300, "is nested too deeply"),
    ],
)
def test_a_template_that_could_escape_or_fail_is_refused(source: str, expected: str) -> None:
    assert expected in problem(source)


def test_a_plain_template_with_filters_and_conditions_is_accepted() -> None:
    check_template(
        "{% if stage == 'nudge' %}Hi {{ buyer_name|upper }}{% else %}Hello{% endif %}, "
        "{{ amount_due ~ ' due' }} {{ payment_reference|default('-') }} {{ merchant_name|truncate(10) }}",
        "nudge",
    )
