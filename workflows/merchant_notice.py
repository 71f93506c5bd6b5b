"""MerchantNoticeWorkflow: one email to a merchant about its own account (its bank details
changed), sent once however often the use case that starts it is retried: the workflow id is the
notice's, and the activity skips a Message-ID it already sent. A workflow rather than a send from
the API so that an SMTP outage delays the notice instead of losing it."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notices import NoticeActivities
    from payinvoice.contracts import MERCHANT_NOTICE_WORKFLOW, BankDetailsChangedInput


@workflow.defn(name=MERCHANT_NOTICE_WORKFLOW)
class MerchantNoticeWorkflow:
    @workflow.run
    async def run(self, notice: BankDetailsChangedInput) -> None:
        await workflow.execute_activity_method(
            NoticeActivities.send_bank_details_changed, notice,
            start_to_close_timeout=timedelta(seconds=60),
            # SMTP down for days: keep trying, at most every ten minutes.
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=10)),
        )
