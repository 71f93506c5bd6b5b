"""Rendering invoice emails from Jinja2 templates into multipart MIME messages."""

import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from payinvoice.adjustments import adjustments, discount_offer, find_credit_note, stage_fees
from payinvoice.contracts import EmailKind, InvoiceView
from payinvoice.documents import BuyerParty, Seller, buyer_lines, day_length_note, exemption_text, seller_ids
from payinvoice.domain.dunning import tone_of
from payinvoice.domain.instalments import Instalment, split_label
from payinvoice.domain.schedule import DEFAULT_LADDER, ReminderStage
from payinvoice.i18n import DEFAULT_LOCALE, format_day, format_money, install_filters, translations
from payinvoice.reminder_templates import (
    render_body_html,
    render_body_text,
    render_subject,
    template_variables,
)

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"

# Reminders are keyed by their tone (payinvoice.domain.dunning.Tone), not by their stage's name.
SUBJECTS: dict[str, str] = {
    "invoice": "{% trans %}Invoice {{ number }} from {{ merchant_name }}{% endtrans %}",
    "reminder:upcoming": "{% trans %}Invoice {{ number }} is due on {{ due }}{% endtrans %}",
    "reminder:due": "{% trans %}Invoice {{ number }} is due today{% endtrans %}",
    "reminder:overdue_1": "{% trans %}Invoice {{ number }} is overdue{% endtrans %}",
    "reminder:overdue_2": "{% trans %}Second reminder: invoice {{ number }} is overdue{% endtrans %}",
    "reminder:final_notice": "{% trans %}Final notice: invoice {{ number }}{% endtrans %}",
    "reminder": "{% trans %}Reminder: invoice {{ number }}{% endtrans %}",
    "receipt": "{% trans %}Payment received for invoice {{ number }}, thank you{% endtrans %}",
    "void": "{% trans %}Invoice {{ number }} has been cancelled{% endtrans %}",
    "credit_note": (
        "{% trans note=credit_note.number %}Credit note {{ note }} for invoice {{ number }}{% endtrans %}"
    ),
}


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


@pass_context
def _money(context: Context, minor: int, currency: str) -> str:
    """Money in the locale of the email being rendered (payinvoice.i18n.format_money)."""
    return format_money(minor, currency, context.get("locale", DEFAULT_LOCALE))


def _label(text: str, width: int) -> str:
    """A plain-text label padded into its column ("Amount due:         "), at least one space."""
    return f"{text}:".ljust(max(width, len(text) + 2))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],  # the buyer's language: see payinvoice.i18n
    )
    env.policies["ext.i18n.trimmed"] = True
    install_filters(env)
    env.filters["money"] = _money
    env.filters["label"] = _label
    return env


_ENV = _environment()


def message_id(invoice_id: str, kind: EmailKind, stage: str | None, domain: str, resend: int = 0) -> str:
    """Same (invoice, kind, stage), same Message-ID: a resend after a crash is recognisable. An
    operator's deliberate resend is a message of its own (`.resend<n>`)."""
    again = f".resend{resend}" if resend else ""
    return f"<{kind}.{stage or 'main'}{again}.{invoice_id}@{domain}>"


def _reminder_context(
    stage: str | None, reminder: ReminderStage | None, tone: str | None, variables: dict[str, str]
) -> dict[str, Any]:
    """The tone, the suspension notice and the merchant's own subject and body of a reminder.

    Without the frozen stage (an email scheduled before stages travelled with it) the default
    ladder's stage of that name stands in. Templates were checked when the ladder was saved; if
    one fails anyway, the built-in wording goes out rather than no reminder.
    """
    if reminder is None and stage is not None:
        reminder = next((s for s in DEFAULT_LADDER if s.name == stage), None)
        tone = tone or tone_of(DEFAULT_LADDER, stage)
    context: dict[str, Any] = {
        "tone": tone, "suspends_credit": bool(reminder and reminder.suspends_credit),
        "custom_subject": None, "custom_body": None, "custom_paragraphs": None,
    }
    if reminder is None:
        return context
    try:
        if reminder.subject is not None:
            context["custom_subject"] = render_subject(reminder.subject, variables)
        if reminder.body is not None:
            context["custom_body"] = render_body_text(reminder.body, variables)
            context["custom_paragraphs"] = render_body_html(reminder.body, variables)
    except (TemplateError, TypeError, ValueError, RecursionError) as error:
        log.warning("stage %r: own template failed, built-in wording used: %s", reminder.name, error)
        context.update(custom_subject=None, custom_body=None, custom_paragraphs=None)
    return context


def render_email(
    *, kind: EmailKind, stage: str | None, invoice: InvoiceView, buyer: Recipient,
    merchant_name: str, mail_from: str, public_url: str, message_id: str, sent_at: datetime,
    reminder: ReminderStage | None = None, tone: str | None = None, locale: str = DEFAULT_LOCALE,
    hosted_url: str | None = None, instalment: Instalment | None = None, seller: Seller | None = None,
    bill_to: BuyerParty | None = None,
) -> EmailMessage:
    """`reminder` is the invoice's frozen ladder stage and `tone` its place in the escalation;
    `locale` the buyer's language and `hosted_url` the invoice's hosted page, linked when given.
    A credit note's email names its credit note's number in `stage` (LookupError if the invoice
    does not have it). A reminder of an instalment plan names its instalment (`instalment`, or
    the one its stage label names) and that instalment's due date. `seller` and `bill_to` are the
    parties as the invoice states them (payinvoice.documents.document_for): the invoice email
    names them with their addresses and tax ids, and the account to pay to; without them, the
    merchant's and the buyer's names alone."""
    messages = translations(locale)
    locale = messages["locale"]
    gettext = messages["gettext"]
    seller = seller or Seller(name=merchant_name)
    bill_to = bill_to or BuyerParty(name=buyer.name, email=buyer.email, locale=locale)
    credit_note = find_credit_note(invoice, stage) if kind == EmailKind.CREDIT_NOTE else None
    credit_note_date = credit_note.issued_at.date().isoformat() if credit_note else None
    context: dict[str, Any] = {
        **messages,
        "number": invoice.number or "",
        "due": format_day(invoice.due_date, locale),
        "issued": format_day(invoice.issue_date, locale),
        # Checkout takes no delivery date nor service period: the supply is dated on the issue date.
        "supplied": format_day(invoice.issue_date, locale),
        "seller": seller,
        "seller_ids": seller_ids(seller, gettext),
        "bill_to": bill_to,
        "buyer_lines": buyer_lines(bill_to, gettext),
        "exemption": lambda item: exemption_text(item, gettext),
        "hosted_url": hosted_url,
        "day_note": day_length_note(invoice.day_seconds, locale),
        "invoice": invoice,
        "stage": stage,
        "buyer": buyer,
        "merchant_name": merchant_name,
        "public_url": public_url,
        "amount_due": invoice.amount_due(),
        "overpaid": invoice.overpaid(),
        # Below the lines and the total: fees, credit notes and a discount taken (signed).
        "adjustments": adjustments(invoice, messages["gettext"], locale),
        "offer": discount_offer(invoice, locale, sent_at) if kind == EmailKind.INVOICE else None,
        "stage_fees": stage_fees(invoice, stage) if kind == EmailKind.REMINDER else [],
        "credit_note": credit_note,
        "credit_note_date": format_day(credit_note_date, locale),
        "tone": None, "suspends_credit": False, "custom_subject": None, "custom_body": None,
        "custom_paragraphs": None,
        "instalment": None, "instalments": len(invoice.instalments),
    }
    if kind == EmailKind.REMINDER:
        instalment = instalment or instalment_of(invoice, stage)
    if instalment is not None:
        context.update(instalment=instalment, due=format_day(instalment.due_date, locale))
    subject_key = str(kind)
    if kind == EmailKind.REMINDER:
        variables = template_variables(
            invoice, stage=stage or "", buyer_name=buyer.name, merchant_name=merchant_name,
            pay_link=public_url,
        )
        context.update(_reminder_context(stage, reminder, tone, variables))
        if f"{kind}:{context['tone']}" in SUBJECTS:
            subject_key = f"{kind}:{context['tone']}"
    message = EmailMessage()
    subject = context["custom_subject"] or _ENV.from_string(SUBJECTS[subject_key]).render(context)
    message["Subject"] = one_line(subject)
    message["From"] = mail_from
    message["To"] = formataddr((one_line(buyer.name), buyer.email))
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(sent_at)
    message["X-Payinvoice-Kind"] = str(kind)
    message["X-Invoice-Number"] = invoice.number or ""
    if kind == EmailKind.REMINDER and stage:
        message["X-Reminder-Stage"] = stage
    if credit_note is not None:
        message["X-Credit-Note-Number"] = credit_note.number
    message.set_content(_ENV.get_template(f"{kind}.txt").render(context))
    message.add_alternative(_ENV.get_template(f"{kind}.html").render(context), subtype="html")
    return message


def instalment_of(invoice: InvoiceView, stage: str | None) -> Instalment | None:
    """The instalment a reminder's stage label names (`overdue_1-i2`: workflows/instalments.py)."""
    part = split_label(stage or "", len(invoice.instalments))
    return invoice.instalments[part[1] - 1] if part else None


def attach_pdf(message: EmailMessage, pdf: bytes, filename: str) -> None:
    """Attach a PDF (the invoice, a credit note): the message becomes multipart/mixed around its
    text and HTML."""
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)


def one_line(text: str) -> str:
    """Header text from names the API took verbatim: a newline or tab in a buyer's or merchant's
    name would make the header invalid (and the email unsendable), so whitespace collapses."""
    return " ".join(text.split())


def render_webhook_disabled(
    *, merchant: Recipient, endpoint_id: str, endpoint_host: str, delivery_id: str, mail_from: str,
    public_url: str, message_id: str, sent_at: datetime,
) -> EmailMessage:
    """To the merchant: one of its webhook endpoints failed for a whole retry window."""
    context = {
        "endpoint_id": endpoint_id, "endpoint_host": endpoint_host, "delivery_id": delivery_id,
    }
    return _merchant_notice(
        "webhook_disabled", "Your payinvoice webhook endpoint has been disabled", context,
        merchant=merchant, mail_from=mail_from, public_url=public_url, message_id=message_id,
        sent_at=sent_at,
    )


def render_bank_details_changed(
    *, merchant: Recipient, changed_at: datetime, account_before: str | None, account_after: str | None,
    mail_from: str, public_url: str, message_id: str, sent_at: datetime,
) -> EmailMessage:
    """To the merchant: the bank account its new invoices name changed (masked accounts)."""
    context = {
        "changed_at": changed_at.strftime("%Y-%m-%d %H:%M UTC"),
        "account_before": account_before or "none", "account_after": account_after or "none",
    }
    return _merchant_notice(
        "bank_details_changed", "The bank details on your payinvoice invoices changed", context,
        merchant=merchant, mail_from=mail_from, public_url=public_url, message_id=message_id,
        sent_at=sent_at,
    )


def _merchant_notice(
    kind: str, subject: str, context: dict[str, Any], *, merchant: Recipient, mail_from: str,
    public_url: str, message_id: str, sent_at: datetime,
) -> EmailMessage:
    """An email to a merchant about its own account, in English, from `templates/email/<kind>.*`."""
    context = {
        **translations(DEFAULT_LOCALE), "merchant_name": merchant.name, "public_url": public_url,
        **context,
    }
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = mail_from
    message["To"] = formataddr((one_line(merchant.name), merchant.email))
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(sent_at)
    message["X-Payinvoice-Kind"] = kind
    message.set_content(_ENV.get_template(f"{kind}.txt").render(context))
    message.add_alternative(_ENV.get_template(f"{kind}.html").render(context), subtype="html")
    return message
