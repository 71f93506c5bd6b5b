"""Rendering invoice emails from Jinja2 templates into multipart MIME messages."""

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from payinvoice.contracts import EmailKind, InvoiceView
from payinvoice.domain.money import from_minor
from payinvoice.domain.status import amount_due, overpaid_amount

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"

SUBJECTS: dict[str, str] = {
    "invoice": "Invoice {{ invoice.number }} from {{ merchant_name }}",
    "reminder:upcoming": "Invoice {{ invoice.number }} is due on {{ invoice.due_date }}",
    "reminder:due": "Invoice {{ invoice.number }} is due today",
    "reminder:overdue_1": "Invoice {{ invoice.number }} is overdue",
    "reminder:overdue_2": "Second reminder: invoice {{ invoice.number }} is overdue",
    "reminder:final_notice": "Final notice: invoice {{ invoice.number }}",
    "reminder": "Reminder: invoice {{ invoice.number }}",
    "receipt": "Payment received for invoice {{ invoice.number }}, thank you",
    "void": "Invoice {{ invoice.number }} has been cancelled",
}


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda minor, currency: f"{from_minor(minor, currency)} {currency}"
    return env


_ENV = _environment()


def message_id(invoice_id: str, kind: EmailKind, stage: str | None, domain: str) -> str:
    """Same (invoice, kind, stage), same Message-ID: a resend after a crash is recognisable."""
    return f"<{kind}.{stage or 'main'}.{invoice_id}@{domain}>"


def render_email(
    *, kind: EmailKind, stage: str | None, invoice: InvoiceView, buyer: Recipient,
    merchant_name: str, mail_from: str, public_url: str, message_id: str, sent_at: datetime,
) -> EmailMessage:
    context: dict[str, Any] = {
        "invoice": invoice,
        "stage": stage,
        "buyer": buyer,
        "merchant_name": merchant_name,
        "public_url": public_url,
        "amount_due": amount_due(invoice.total, invoice.amount_paid),
        "overpaid": overpaid_amount(invoice.total, invoice.amount_paid),
    }
    subject_key = f"{kind}:{stage}" if f"{kind}:{stage}" in SUBJECTS else str(kind)
    message = EmailMessage()
    message["Subject"] = _ENV.from_string(SUBJECTS[subject_key]).render(context)
    message["From"] = mail_from
    message["To"] = formataddr((buyer.name, buyer.email))
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(sent_at)
    message["X-Payinvoice-Kind"] = str(kind)
    message["X-Invoice-Number"] = invoice.number or ""
    if kind == EmailKind.REMINDER and stage:
        message["X-Reminder-Stage"] = stage
    message.set_content(_ENV.get_template(f"{kind}.txt").render(context))
    message.add_alternative(_ENV.get_template(f"{kind}.html").render(context), subtype="html")
    return message
