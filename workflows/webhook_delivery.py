"""WebhookDeliveryWorkflow: the webhook events of one subject (an invoice or a buyer) for one
endpoint, delivered strictly in order.

Activities that record events start it, or add to its queue, with signal-with-start
(`payinvoice/db/outbox.py`). Each delivery is attempted by the `deliver_webhook` activity, and
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

Our own failures are retried a bounded number of times (DELIVERY_BOUNDS_PATCH): an attempt whose
record the database refused on every retry (before replies were made storable, a NUL in one did)
used to be retried for ever and held up every later event of its subject. After ATTEMPT_TRIES
tries, spread over about half an hour of a real day (a database outage of that long is ridden
out), the delivery is marked abandoned and the next one goes ahead; a resend on request tries it
again. Under the same patch a delivery is queued again unless it is queued or being attempted
right now (before: unless it had ever been queued in this run), so that an endpoint enabled
again gets what it missed (`services/webhook_endpoints.py`) even while the run that marked those
deliveries failed is still going.

Patches in force:
- `webhook-min-attempts-v1` (MIN_ATTEMPTS_PATCH): deprecate once no delivery run started before it
  is open (a run ends once its queue is empty, within days of the patch shipping), remove once no
  run started before its deprecation is open. Exercised by `webhook_delivered_after_a_failure`.
- `webhook-delivery-bounds-v1` (DELIVERY_BOUNDS_PATCH): the same conditions. Exercised by
  `webhook_delivered_after_a_failure` (recorded before it), `webhook_abandoned_then_next_delivered`,
  `webhook_queued_again_after_its_attempt` and `webhook_redelivered_after_enable`
  (tests/replay/test_webhook_delivery_patches.py checks which recorded it).
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import WebhookActivities
    from payinvoice.contracts import (
        WEBHOOK_DELIVERY_WORKFLOW,
        WEBHOOK_ENQUEUE_SIGNAL,
        DeliverWebhookInput,
        DeliveryResult,
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
# Our own failures end: an attempt (or the abandoning) is tried this many times at most.
ATTEMPT_TRIES = 12
DELIVERY_BOUNDS_PATCH = "webhook-delivery-bounds-v1"


def _bounded(day_seconds: float) -> dict[str, Any]:
    """The retry policy of our own failures, on the scale of the day (as the back-off is): with
    a real day, 1 s doubling up to 10 min, ATTEMPT_TRIES tries in about 27 minutes."""
    return {
        "start_to_close_timeout": timedelta(seconds=60),
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(seconds=max(day_seconds / 86_400, 0.001)),
            maximum_interval=timedelta(seconds=max(day_seconds / 144, 0.001)),
            maximum_attempts=ATTEMPT_TRIES,
        ),
    }


@workflow.defn(name=WEBHOOK_DELIVERY_WORKFLOW)
class WebhookDeliveryWorkflow:
    @workflow.init
    def __init__(self, request: WebhookDeliveryInput) -> None:
        self._queue: list[DeliverWebhookInput] = []
        self._seen: set[str] = set()
        self._current: str | None = None  # the delivery being attempted

    @workflow.run
    async def run(self, request: WebhookDeliveryInput) -> None:
        # Started by signal-with-start: the first deliveries arrive with the start.
        await workflow.wait_condition(lambda: bool(self._queue))
        while self._queue:
            delivery = self._queue.pop(0)
            self._current = delivery.delivery_id
            await self._deliver(request, delivery)
            self._current = None
        await workflow.wait_condition(workflow.all_handlers_finished)

    @workflow.signal(name=WEBHOOK_ENQUEUE_SIGNAL)
    def enqueue(self, deliveries: EnqueueDeliveries) -> None:
        """Queue deliveries after those already queued; a repeat of a queued one is ignored
        (an activity that recorded events may be retried), a resend on request is not. Under
        DELIVERY_BOUNDS_PATCH one attempted already is queued again: the attempt skips it if it
        was delivered, and sends it if it failed while its endpoint was disabled."""
        for delivery_id in deliveries.delivery_ids:
            if not deliveries.resend and self._queued(delivery_id):
                continue
            self._seen.add(delivery_id)
            self._queue.append(DeliverWebhookInput(delivery_id, resend=deliveries.resend))

    def _queued(self, delivery_id: str) -> bool:
        if not workflow.patched(DELIVERY_BOUNDS_PATCH):
            return delivery_id in self._seen
        return delivery_id == self._current or any(d.delivery_id == delivery_id for d in self._queue)

    async def _deliver(self, request: WebhookDeliveryInput, delivery: DeliverWebhookInput) -> None:
        """Attempt, and after each failure wait the next back-off; give up once the endpoint has
        been failing for the whole window (one day) and for MIN_ATTEMPTS attempts."""
        window_ends = workflow.now() + timedelta(seconds=request.day_seconds)
        waits = iter(delivery_backoff(request.day_seconds).waits())
        attempts = 0
        while True:
            result = await self._attempt(request, delivery)
            if result is None:
                return  # abandoned
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

    async def _attempt(
        self, request: WebhookDeliveryInput, delivery: DeliverWebhookInput
    ) -> DeliveryResult | None:
        """One attempt, its own failures retried; None once they were retried ATTEMPT_TRIES
        times and the delivery was abandoned (DELIVERY_BOUNDS_PATCH; before it, for ever)."""
        summary = f"deliver_webhook:{delivery.delivery_id}"
        if not workflow.patched(DELIVERY_BOUNDS_PATCH):
            return await workflow.execute_activity_method(
                WebhookActivities.deliver_webhook, delivery, summary=summary, **ATTEMPT
            )
        try:
            return await workflow.execute_activity_method(
                WebhookActivities.deliver_webhook, delivery, summary=summary,
                **_bounded(request.day_seconds),
            )
        except ActivityError:
            workflow.logger.error("webhook delivery %s not recorded: abandoned", delivery.delivery_id)
        abandon = WebhookFailedInput(request.endpoint_id, delivery.delivery_id)
        try:
            await workflow.execute_activity_method(
                WebhookActivities.abandon_webhook_delivery, abandon, **_bounded(request.day_seconds)
            )
        except ActivityError:
            # Still pending or retrying in the list: the database has been away for half an
            # hour. The next delivery goes ahead all the same.
            workflow.logger.error("webhook delivery %s could not be marked abandoned", delivery.delivery_id)
        return None


def _tried_enough(attempts: int) -> bool:
    return attempts >= MIN_ATTEMPTS or not workflow.patched(MIN_ATTEMPTS_PATCH)
