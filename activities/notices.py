"""Emails to a merchant about its own account, each sent once (keyed by its Message-ID)."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.email import MailSettings, send_notice_once
from payinvoice.contracts import BankDetailsChangedInput
from payinvoice.db.models import Merchant, utcnow
from payinvoice.emails import Recipient, render_bank_details_changed


class NoticeActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], mail: MailSettings) -> None:
        self._sessions = sessions
        self._mail = mail

    @activity.defn
    async def send_bank_details_changed(self, notice: BankDetailsChangedInput) -> None:
        async with self._sessions() as session:
            merchant = await session.get(Merchant, notice.merchant_id)
        if merchant is None or merchant.email is None:
            activity.logger.warning("merchant %s has no email: bank details change not notified",
                                    notice.merchant_id)
            return
        message = render_bank_details_changed(
            merchant=Recipient(merchant.name, merchant.email), changed_at=notice.changed_at,
            account_before=notice.account_before, account_after=notice.account_after,
            mail_from=self._mail.mail_from, public_url=self._mail.public_url,
            message_id=f"<bank_details.{notice.notice_id}@{self._mail.domain}>", sent_at=utcnow(),
        )
        await send_notice_once(
            self._sessions, self._mail, message, subject_id=merchant.id, kind="merchant", stage="bank_details"
        )
