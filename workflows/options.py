"""How long each kind of activity the invoice workflow runs may take, and how it retries."""

from datetime import timedelta

from temporalio.common import RetryPolicy

# The decision path runs as local activities: no server round trip while the checkout waits.
DECISION = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=2)),
}
# The merchant's scoring endpoint has its own hard timeout (at most 30 s) inside the activity.
EXTERNAL_CHECK = {**DECISION, "start_to_close_timeout": timedelta(seconds=35)}
# Database writes retry until they succeed: an outage delays them, never drops them. The timeout
# is short because it is also how long an attempt lost with a killed worker holds the invoice up;
# the back-off stops at 30 s because an attempt that lost a race for a hot row (a burst of one
# buyer's payments) should come back soon, not minutes later. Retry policies are not part of
# what replay compares: changing them needs no patch.
SIDE_EFFECT = {
    "start_to_close_timeout": timedelta(seconds=15),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}
# An email renders its PDF and talks SMTP (which times out after 30 s) in one attempt.
EMAIL = {**SIDE_EFFECT, "start_to_close_timeout": timedelta(seconds=60)}
# The credit note's number and the balance taken at issue: short database writes.
LEDGER_WRITE = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=2)),
}
