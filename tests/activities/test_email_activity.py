"""The email activity sends each (invoice, kind, stage) once, and tells lasting refusals apart."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities, MailSettings
from activities.issuing import IssuingActivities
from payinvoice.contracts import EmailKind, SaveInvoiceInput, SendEmailInput
from payinvoice.mailsink import MailSink
from payinvoice.settings import Settings
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
