"""The email activity sends each (invoice, kind, stage) once, and tells lasting refusals apart."""

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities, MailSettings
from activities.issuing import IssuingActivities
from payinvoice.contracts import CreditNote, EmailKind, SaveInvoiceInput, SendEmailInput
from payinvoice.mailsink import MailSink, start_mail_sink
from payinvoice.ports import free_port
from payinvoice.settings import Settings
from tests.documents.pdf import needs_pdf, pdf_text
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


@needs_pdf
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
    controller = start_mail_sink(sink, port=(port := free_port()))
    try:
        emails = email_activities(sessions, settings_factory(smtp_port=port))
        request = SendEmailInput(invoice_id=view.invoice_id, kind=EmailKind.REMINDER, stage="due")
        environment = ActivityEnvironment()
        attempt = asyncio.create_task(environment.run(emails.send_email, request))
        await asyncio.to_thread(sink.receiving.wait, 10)
        environment.cancel()  # what a worker's shutdown does to the activities it runs

        with pytest.raises(asyncio.CancelledError):
            await attempt
        retry = await ActivityEnvironment().run(emails.send_email, request)
    finally:
        controller.stop()

    assert retry.delivered
    assert len(mails_to(sink, buyer.email)) == 1
