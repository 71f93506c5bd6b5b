"""The email activity sends each (invoice, kind, stage) once, tells lasting refusals apart, and prints
an invoice PDF only when the invoice shows something its archived PDF does not; a receipt carries
the receipt PDF."""

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities, MailSettings
from activities.issuing import IssuingActivities
from dev.mailsink import MailSink, start_mail_sink
from dev.ports import free_port
from payinvoice.contracts import (
    CreditNote,
    EmailKind,
    InvoiceView,
    Payment,
    SaveInvoiceInput,
    SendEmailInput,
)
from payinvoice.db import models
from payinvoice.documents import document_for, pdf_sha256
from payinvoice.domain.status import InvoiceStatus
from payinvoice.settings import Settings
from tests.utils.pdf import pdf_text
from tests.utils.rows import invoice_view, merchant_and_buyer
from tests.utils.waiting import mails_to


async def stored_invoice_for(sessions: async_sessionmaker[AsyncSession], email: str | None = None):
    merchant, buyer = await merchant_and_buyer(sessions, email=email)
    view = invoice_view(merchant, buyer)
    view.number = "INV-000001"
    await ActivityEnvironment().run(IssuingActivities(sessions).save_invoice, SaveInvoiceInput(view))
    return view, buyer


def email_activities(sessions, settings: Settings) -> EmailActivities:
    mail = MailSettings(settings.smtp_host, settings.smtp_port, settings.mail_from, settings.public_url)
    return EmailActivities(sessions, mail)


@contextmanager
def emails_through(
    sink: MailSink, sessions: async_sessionmaker[AsyncSession], settings_factory: Callable[..., Settings]
) -> Iterator[EmailActivities]:
    """Email activities that talk SMTP to `sink`, served on a free port while the block runs."""
    controller = start_mail_sink(sink, port=(port := free_port()))
    try:
        yield email_activities(sessions, settings_factory(smtp_port=port))
    finally:
        controller.stop()


async def archived_pdf(sessions: async_sessionmaker[AsyncSession], invoice_id: str) -> Row[Any] | None:
    """The invoice's archived (html_sha256, rendered_at, pdf); a new print changes rendered_at."""
    row = models.InvoicePdf
    query = select(row.html_sha256, row.rendered_at, row.pdf).where(row.invoice_id == invoice_id)
    async with sessions() as session:
        return (await session.execute(query)).one_or_none()


def attached_pdf(message: EmailMessage) -> bytes:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    return attachment.get_content()


async def payment_recorded(
    sessions: async_sessionmaker[AsyncSession], view: InvoiceView, amount: int
) -> None:
    """The read model's next snapshot of the invoice, `amount` paid: what its PDF shows changes."""
    view.amount_paid, view.version = amount, view.version + 1
    await ActivityEnvironment().run(IssuingActivities(sessions).save_invoice, SaveInvoiceInput(view))


async def test_sending_the_same_reminder_twice_delivers_it_once(sessions, settings, mail: MailSink) -> None:
    view, buyer = await stored_invoice_for(sessions)
    emails = email_activities(sessions, settings)
    request = SendEmailInput(invoice_id=view.invoice_id, kind=EmailKind.REMINDER, stage="due")

    first = await ActivityEnvironment().run(emails.send_email, request)
    again = await ActivityEnvironment().run(emails.send_email, request)

    assert first == again
    assert first.delivered
    received = mails_to(mail, buyer.email)
    assert len(received) == 1
    assert received[0]["Message-ID"].strip() == first.message_id  # long ids are folded
    assert received[0]["X-Reminder-Stage"] == "due"


async def test_a_permanent_refusal_is_returned_not_retried(sessions, settings, mail: MailSink) -> None:
    view, _ = await stored_invoice_for(sessions, email="gone@bounce.invalid")
    emails = email_activities(sessions, settings)

    result = await ActivityEnvironment().run(
        emails.send_email, SendEmailInput(invoice_id=view.invoice_id, kind=EmailKind.INVOICE)
    )

    assert not result.delivered
    assert result.error is not None and result.error.startswith("550")


async def test_a_credit_note_email_carries_the_credit_notes_pdf(sessions, settings, mail: MailSink) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    view = invoice_view(merchant, buyer)
    view.number, view.status = "INV-000002", "open"
    view.credit_notes = [CreditNote("cn-key-1", "CN-000001", 2500, "Damaged widget", datetime.now(UTC))]
    await ActivityEnvironment().run(IssuingActivities(sessions).save_invoice, SaveInvoiceInput(view))
    request = SendEmailInput(invoice_id=view.invoice_id, kind=EmailKind.CREDIT_NOTE, stage="CN-000001")

    result = await ActivityEnvironment().run(email_activities(sessions, settings).send_email, request)

    assert result.delivered
    [received] = mails_to(mail, buyer.email)
    assert received["Subject"] == "Credit note CN-000001 for invoice INV-000002"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "CN-000001.pdf"
    text = pdf_text(attachment.get_content())
    assert "Credit note CN-000001" in text and "Amount credited 25.00 EUR" in text


async def test_a_receipt_email_carries_the_receipt_pdf_with_the_payment_and_nothing_due(
    sessions, settings, mail: MailSink
) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    view = invoice_view(merchant, buyer)
    view.number, view.status, view.amount_paid = "INV-000003", InvoiceStatus.PAID, 11900
    view.payments = [Payment("pay-rcpt-1", 11900, "EUR", datetime(2025, 3, 4, 10, 0, tzinfo=UTC), "card")]
    await ActivityEnvironment().run(IssuingActivities(sessions).save_invoice, SaveInvoiceInput(view))
    request = SendEmailInput(invoice_id=view.invoice_id, kind=EmailKind.RECEIPT)

    result = await ActivityEnvironment().run(email_activities(sessions, settings).send_email, request)

    assert result.delivered
    [received] = mails_to(mail, buyer.email)
    assert received["X-Payinvoice-Kind"] == "receipt"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "receipt-INV-000003.pdf"
    text = pdf_text(attachment.get_content())
    assert "Receipt for invoice INV-000003" in text and "Paid on 2025-03-04" in text
    assert "2025-03-04 card pay-rcpt-1 119.00 EUR" in text
    assert "Total 119.00 EUR" in text and "Amount due 0.00 EUR" in text
    body = received.get_body(("plain",))
    assert body is not None and "Your receipt is attached as a PDF." in body.get_content()


async def test_the_invoice_email_archives_the_pdf_it_carries_with_the_hash_of_its_input(
    sessions, settings, mail: MailSink
) -> None:
    view, buyer = await stored_invoice_for(sessions)

    await ActivityEnvironment().run(
        email_activities(sessions, settings).send_email,
        SendEmailInput(invoice_id=view.invoice_id, kind=EmailKind.INVOICE),
    )

    archived = await archived_pdf(sessions, view.invoice_id)
    assert archived is not None
    [received] = mails_to(mail, buyer.email)
    assert archived.pdf == attached_pdf(received)
    async with sessions() as session:
        merchant = await session.get(models.Merchant, view.merchant_id)
    assert archived.html_sha256 == pdf_sha256(document_for(view, merchant, buyer, settings.public_url))


async def invoice_emailed(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> tuple[InvoiceView, models.Buyer, EmailActivities, models.InvoicePdf | None]:
    """A stored invoice whose invoice email went out: what each reminder below starts from."""
    view, buyer = await stored_invoice_for(sessions)
    emails = email_activities(sessions, settings)
    await ActivityEnvironment().run(
        emails.send_email, SendEmailInput(invoice_id=view.invoice_id, kind=EmailKind.INVOICE)
    )
    return view, buyer, emails, await archived_pdf(sessions, view.invoice_id)


async def remind(emails: EmailActivities, view: InvoiceView) -> None:
    await ActivityEnvironment().run(
        emails.send_email, SendEmailInput(invoice_id=view.invoice_id, kind=EmailKind.REMINDER, stage="due")
    )


async def test_a_reminder_for_an_invoice_unchanged_since_issue_carries_the_pdf_archived_at_issue(
    sessions, settings, mail: MailSink
) -> None:
    view, buyer, emails, at_issue = await invoice_emailed(sessions, settings)

    await remind(emails, view)

    invoice_email, reminder = mails_to(mail, buyer.email)
    assert at_issue is not None and attached_pdf(reminder) == attached_pdf(invoice_email) == at_issue.pdf
    # Nothing printed: a new PDF would have been archived with the moment it was printed.
    assert await archived_pdf(sessions, view.invoice_id) == at_issue


async def test_a_reminder_for_an_invoice_paid_in_part_since_issue_carries_a_new_pdf_and_archives_it(
    sessions, settings, mail: MailSink
) -> None:
    view, buyer, emails, at_issue = await invoice_emailed(sessions, settings)
    await payment_recorded(sessions, view, 5000)

    await remind(emails, view)

    _, reminder = mails_to(mail, buyer.email)
    text = pdf_text(attached_pdf(reminder))
    assert "Paid 50.00 EUR" in text and "Amount due 69.00 EUR" in text
    archived = await archived_pdf(sessions, view.invoice_id)
    assert at_issue is not None and archived is not None
    assert archived.pdf == attached_pdf(reminder)
    assert archived.html_sha256 != at_issue.html_sha256
    assert archived.rendered_at > at_issue.rendered_at


class RefusingOnceSink(MailSink):
    """Refuses the first recipient for now (451), as a busy server does, and takes every later one."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if not self.refused:
            self.refused = True
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


async def test_a_retried_reminder_carries_the_pdf_its_first_attempt_archived_and_prints_none(
    sessions, settings_factory
) -> None:
    view, buyer = await stored_invoice_for(sessions)
    sink = RefusingOnceSink()
    with emails_through(sink, sessions, settings_factory) as emails:
        request = SendEmailInput(invoice_id=view.invoice_id, kind=EmailKind.REMINDER, stage="due")
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):  # transient: Temporal would retry it
            await ActivityEnvironment().run(emails.send_email, request)
        first = await archived_pdf(sessions, view.invoice_id)

        retry = await ActivityEnvironment().run(emails.send_email, request)

    assert retry.delivered
    [received] = mails_to(sink, buyer.email)
    assert first is not None and attached_pdf(received) == first.pdf
    assert await archived_pdf(sessions, view.invoice_id) == first


class SlowSink(MailSink):
    """Takes its time to accept a message: a cancellation can land mid-conversation."""

    def __init__(self) -> None:
        super().__init__()
        self.receiving = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.receiving.set()
        await asyncio.sleep(0.5)
        return await super().handle_DATA(server, session, envelope)


async def test_a_send_cancelled_by_a_worker_shutdown_is_recorded_and_not_sent_again(
    sessions, settings_factory
) -> None:
    view, buyer = await stored_invoice_for(sessions)
    sink = SlowSink()
    with emails_through(sink, sessions, settings_factory) as emails:
        request = SendEmailInput(invoice_id=view.invoice_id, kind=EmailKind.REMINDER, stage="due")
        environment = ActivityEnvironment()
        attempt = asyncio.create_task(environment.run(emails.send_email, request))
        await asyncio.to_thread(sink.receiving.wait, 10)
        environment.cancel()  # what a worker's shutdown does to the activities it runs

        with pytest.raises(asyncio.CancelledError):
            await attempt
        retry = await ActivityEnvironment().run(emails.send_email, request)

    assert retry.delivered
    assert len(mails_to(sink, buyer.email)) == 1
