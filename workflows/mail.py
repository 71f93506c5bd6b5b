"""The buyer's emails, sent one after another by a loop of their own, so that the lifecycle never
waits on the mail server (EMAIL_OFF_LIFECYCLE_PATCH).

The lifecycle posts an email and goes on: an invoice turns overdue, fires its webhooks, suspends
the buyer and lets the payment record learn on schedule while SMTP is down for days. The loop
sends what was posted in order, each once (the send activity retries until the server answers),
and records the outcome under the workflow's lock: a reminder counts as sent once delivered. A
ladder reminder whose turn comes after the invoice was paid or voided is dropped, never sent.
"""

import asyncio

from temporalio import workflow

from workflows.effects import Effects
from workflows.state import InvoiceState, Outgoing

with workflow.unsafe.imports_passed_through():
    from payinvoice.contracts import EmailKind, ReminderSent
    from payinvoice.domain.status import PAYABLE
    from payinvoice.webhooks import EventType

# Emails leave the lifecycle for a loop of their own; see the module docstring and the patch
# notes in workflows/invoice.py.
EMAIL_OFF_LIFECYCLE_PATCH = "email-off-lifecycle-v1"


class Mailer:
    def __init__(self, state: InvoiceState, effects: Effects, lock: asyncio.Lock) -> None:
        self._state = state
        self._effects = effects
        self._lock = lock
        self._closing = False

    def posts(self) -> bool:
        """Whether this run posts its emails to the loop: runs that sent emails inline before
        the patch keep doing so (`workflow.patched` answers the same for the whole run)."""
        return workflow.patched(EMAIL_OFF_LIFECYCLE_PATCH)

    def post(self, email: Outgoing) -> Outgoing:
        self._state.outbox.append(email)
        return email

    def pending_resends(self, stage: str) -> int:
        """Resends of `stage` posted and not sent yet: the next one is numbered after them."""
        outbox = self._state.outbox
        return sum(e.resend > 0 and e.reminder is not None and e.reminder.name == stage for e in outbox)

    async def run(self) -> None:
        """Send what is posted, in order, until the workflow closes with nothing left to send."""
        outbox = self._state.outbox
        while True:
            await workflow.wait_condition(lambda: bool(outbox) or self._closing)
            if not outbox:
                return
            email = outbox[0]
            skipped = self._stale(email)
            delivered = not skipped and await self._effects.send(
                email.kind, email.reminder, email.resend, email.stage
            )
            async with self._lock:
                outbox.pop(0)
                if self._record(email, delivered, skipped):
                    await self._effects.save()
            email.done = True

    async def close(self) -> None:
        """Wait until everything posted is sent, then end the loop."""
        await workflow.wait_condition(lambda: not self._state.outbox)
        self._closing = True

    def _stale(self, email: Outgoing) -> bool:
        """A ladder reminder for an invoice that was paid or voided while it waited its turn."""
        ladder_reminder = email.kind == EmailKind.REMINDER and not email.resend
        return ladder_reminder and self._state.view.status not in PAYABLE

    def _record(self, email: Outgoing, delivered: bool, skipped: bool) -> bool:
        """The outcome on the invoice; True when there is something new to save (a reminder
        sent, or a failure `Effects.send` noted)."""
        view = self._state.view
        if not delivered:
            return not skipped
        if email.kind != EmailKind.REMINDER or email.reminder is None:
            return False
        sent = ReminderSent(stage=email.reminder.name, sent_at=workflow.now())
        if email.resend:
            view.resent_reminders.append(sent)
        else:
            view.reminders.append(sent)
            self._state.events.append(EventType.INVOICE_REMINDER_SENT)
        return True
