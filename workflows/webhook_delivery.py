"""WebhookDeliveryWorkflow: the webhook events of one subject (an invoice or a buyer) for one
endpoint, delivered strictly in order.

Activities that record events start it, or add to its queue, with signal-with-start
(`activities/outbox.py`). Each delivery is attempted by the `deliver_webhook` activity, and
between failed attempts the workflow waits on durable timers that back off exponentially over
one day of the invoice's day length (`payinvoice/domain/backoff.py`); the next delivery waits
for it. A delivery that fails for that whole window disables the endpoint and emails the
merchant. The workflow completes once its queue is empty, so its history stays short; the next
event starts a new run under the same id.

The back-off is durable timers here rather than the activity's retry policy: a failed attempt
is an answer to record, not an error (our own failures, such as the database, are retried by
the activity's policy without using up the endpoint's attempts), and the window is measured as
time since the first attempt. With real days that makes the same 20 attempts as the back-off
schedule; with a fraction-of-a-second day it still ends after one day, although the dev server
fires no timer sooner than about a second.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import WebhookActivities
    from payinvoice.contracts import (
        WEBHOOK_DELIVERY_WORKFLOW,
        WEBHOOK_ENQUEUE_SIGNAL,
        DeliverWebhookInput,
        EnqueueDeliveries,
        WebhookDeliveryInput,
        WebhookFailedInput,
    )
    from payinvoice.domain.backoff import delivery_backoff

# One attempt: the HTTP timeout is enforced inside the activity. Only our own failures (the
# database) raise, and those are retried until they pass: they are not the endpoint's fault.
ATTEMPT = {
    "start_to_close_timeout": timedelta(seconds=60),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=1)),
}
GIVE_UP = {
    "start_to_close_timeout": timedelta(seconds=60),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=5)),
}
# An endpoint is disabled only once it has failed this many attempts as well as a whole window:
# with a day of a fraction of a second, one slow attempt on a loaded machine used up the window.
# Behind a patch: deliveries recorded before it gave up after a window alone.
MIN_ATTEMPTS = 3
MIN_ATTEMPTS_PATCH = "webhook-min-attempts-v1"


@workflow.defn(name=WEBHOOK_DELIVERY_WORKFLOW)
class WebhookDeliveryWorkflow:
    @workflow.init
    def __init__(self, request: WebhookDeliveryInput) -> None:
        self._queue: list[DeliverWebhookInput] = []
        self._seen: set[str] = set()

    @workflow.run
    async def run(self, request: WebhookDeliveryInput) -> None:
        # Started by signal-with-start: the first deliveries arrive with the start.
        await workflow.wait_condition(lambda: bool(self._queue))
        while self._queue:
            await self._deliver(request, self._queue.pop(0))
        await workflow.wait_condition(workflow.all_handlers_finished)

    @workflow.signal(name=WEBHOOK_ENQUEUE_SIGNAL)
    def enqueue(self, deliveries: EnqueueDeliveries) -> None:
        """Queue deliveries after those already queued; a repeat of a queued one is ignored
        (an activity that recorded events may be retried), a resend on request is not."""
        for delivery_id in deliveries.delivery_ids:
            if delivery_id in self._seen and not deliveries.resend:
                continue
            self._seen.add(delivery_id)
            self._queue.append(DeliverWebhookInput(delivery_id, resend=deliveries.resend))

    async def _deliver(self, request: WebhookDeliveryInput, delivery: DeliverWebhookInput) -> None:
        """Attempt, and after each failure wait the next back-off; give up once the endpoint has
        been failing for the whole window (one day) and for MIN_ATTEMPTS attempts."""
        window_ends = workflow.now() + timedelta(seconds=request.day_seconds)
        waits = iter(delivery_backoff(request.day_seconds).waits())
        attempts = 0
        while True:
            result = await workflow.execute_activity_method(
                WebhookActivities.deliver_webhook, delivery,
                summary=f"deliver_webhook:{delivery.delivery_id}", **ATTEMPT,
            )
            attempts += 1
            if result.done:
                return
            wait = next(waits, None)
            if wait is None or (workflow.now() >= window_ends and _tried_enough(attempts)):
                break
            await workflow.sleep(wait, summary="webhook back-off")
        await workflow.execute_activity_method(
            WebhookActivities.disable_webhook_endpoint,
            WebhookFailedInput(request.endpoint_id, delivery.delivery_id),
            **GIVE_UP,
        )


def _tried_enough(attempts: int) -> bool:
    return attempts >= MIN_ATTEMPTS or not workflow.patched(MIN_ATTEMPTS_PATCH)
