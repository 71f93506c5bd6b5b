"""Everything the invoice workflow keeps between events, in one dataclass (STYLE.md §2): the
helpers (payments, charges, changes, instalments, effects) share it, and continue-as-new carries it
to the next run (`InvoiceInput.carried`).

The lock and the re-anchorable `Deadline` are not state: they live only while a run does.
"""

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from temporalio import workflow
from temporalio.converter import value_to_type

with workflow.unsafe.imports_passed_through():
    from payinvoice.contracts import (
        Actor,
        EmailKind,
        InvoiceInput,
        InvoiceNumber,
        InvoiceView,
        Movement,
        new_invoice_view,
    )
    from payinvoice.domain.schedule import ReminderStage, Step
    from payinvoice.domain.status import InvoiceStatus
    from payinvoice.webhooks import EventType


@dataclass
class Outgoing:
    """An email posted to the mail loop (workflows/mail.py); `resend` numbers an operator's
    resend of a reminder; `done` once it was sent (or dropped) and its outcome recorded."""

    kind: EmailKind
    reminder: ReminderStage | None = None
    stage: str | None = None
    resend: int = 0
    done: bool = False


@dataclass
class InvoiceState:
    input: InvoiceInput
    # What queries and updates answer, and what each snapshot records.
    view: InvoiceView
    # The checkout's wait is over: the order was declined, sent to review, or issued.
    decided: bool = False
    # Taken with the approval (NUMBER_AT_APPROVAL_PATCH); None: taken at issue.
    number: InvoiceNumber | None = None
    # The ladder's steps still to take, in order.
    steps: list[Step] = field(default_factory=list)
    # Of the last write (snapshot or credit adjustment): each write takes the next one.
    version: int = 0
    # Webhook events and ledger movements that the next snapshot reports.
    events: list[str] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    # Who made the changes the next snapshot reports, and their details, by event type.
    event_context: dict[str, tuple[Actor, dict[str, str]]] = field(default_factory=dict)
    # Where the ladder had the invoice when it was paid in full: a refund reopens it there.
    status_when_paid: InvoiceStatus = InvoiceStatus.OPEN
    # The refund window closed: refunds and credit notes are refused from then on.
    refunds_closed: bool = False
    # Since when the current hold on reminders counts (a later due date restarts it).
    held_since: datetime | None = None
    # Emails posted and not sent yet, oldest first (EMAIL_OFF_LIFECYCLE_PATCH).
    outbox: list[Outgoing] = field(default_factory=list)
    # When the current refund window closes (set as it opens), so that a run continued as new
    # during the window waits out only what is left of it.
    window_closes_at: datetime | None = None
    # Runs this invoice continued as new into so far (CONTINUE_AS_NEW_PATCH).
    continued: int = 0

    @classmethod
    def start(cls, invoice: InvoiceInput) -> "InvoiceState":
        """The invoice before its credit decision; or, on a run continued as new, the state
        its predecessor handed over."""
        if invoice.carried is not None:
            return value_to_type(InvoiceState, invoice.carried, [])
        return cls(input=invoice, view=new_invoice_view(invoice))

    def carried_over(self) -> InvoiceInput:
        """The input of the next run: this one's, carrying the state (without itself twice)."""
        self.continued += 1
        return replace(self.input, carried=asdict(self))

    def next_version(self) -> int:
        self.version += 1
        return self.version

    def paid_in_full(self) -> None:
        """Nothing is due any more (paid, credited, marked paid): no more reminders."""
        self.status_when_paid = self.view.status
        self.view.status = InvoiceStatus.PAID
        self.view.next_reminder = None
        self.events.append(EventType.INVOICE_PAID)
