"""Emails to a merchant about its own account, each sent once (keyed by its Message-ID)."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.email import MailSettings, send_message
from payinvoice.contracts import BankDetailsChangedInput
from payinvoice.db.models import Merchant, SentEmail, utcnow
from payinvoice.db.session import dialect_insert
from payinvoice.emails import Recipient, render_bank_details_changed


class NoticeActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], mail: MailSettings) -> None:
        self._sessions = sessions
        self._mail = mail

    @activity.defn
    async def send_bank_details_changed(self, notice: BankDetailsChangedInput) -> None:
        msg_id = f"<bank_details.{notice.notice_id}@{self._mail.domain}>"
        async with self._sessions() as session:
            merchant = await session.get(Merchant, notice.merchant_id)
            if await session.get(SentEmail, msg_id) is not None:
                return
        if merchant is None or merchant.email is None:
            activity.logger.warning("merchant %s has no email: bank details change not notified",
                                    notice.merchant_id)
            return
        message = render_bank_details_changed(
            merchant=Recipient(merchant.name, merchant.email), changed_at=notice.changed_at,
            account_before=notice.account_before, account_after=notice.account_after,
            mail_from=self._mail.mail_from, public_url=self._mail.public_url, message_id=msg_id,
            sent_at=utcnow(),
        )
        if await send_message(self._mail, message) is not None:
            return  # refused for good: logged, not retried
        async with self._sessions.begin() as session:
            # The email log is keyed by Message-ID; `invoice_id` holds the merchant's id here.
            await session.execute(
                dialect_insert(session, SentEmail)
                .values(message_id=msg_id, invoice_id=merchant.id, kind="merchant", stage="bank_details",
                        sent_at=utcnow())
                .on_conflict_do_nothing()
            )
