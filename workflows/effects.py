"""What the invoice workflow does outside itself, a plain helper over its state: record the invoice
(the read model, its webhook events, the UI's search attributes), make the credit it holds match
its exposure, email the buyer, suspend the buyer. Every one is an activity that retries until it
succeeds.

- `MAIL_QUEUE_PATCH` and `NOTICE_QUEUE_PATCH`: which task queue an email runs on; see the patch
  notes in workflows/invoice.py.
"""

from temporalio import workflow

from workflows.charges import Charges
from workflows.instalments import Instalments
from workflows.options import DECISION, EMAIL, SIDE_EFFECT
from workflows.state import InvoiceState

with workflow.unsafe.imports_passed_through():
    from activities.credit import CreditActivities
    from activities.email import EmailActivities
    from activities.issuing import IssuingActivities
    from payinvoice.contracts import (
        SYSTEM,
        AdjustCreditInput,
        BuyerCreditInput,
        EmailFailure,
        EmailKind,
        InvoiceEvent,
        SaveInvoiceInput,
        SendEmailInput,
        mail_task_queue,
        notice_task_queue,
    )
    from payinvoice.domain.dunning import tone_of
    from payinvoice.domain.money import exponent
    from payinvoice.domain.schedule import ReminderStage
    from payinvoice.domain.status import EXPOSED
    from payinvoice.search import (
        AMOUNT_DUE,
        BUYER_ID,
        DUE_DATE,
        DUNNING_STAGE,
        INVOICE_NUMBER,
        INVOICE_STATUS,
        MERCHANT_ID,
        ORDER_ID,
    )
    from payinvoice.webhooks import EventType

# See workflows/invoice.py: emails go to a task queue of their own.
MAIL_QUEUE_PATCH = "mail-task-queue-v1"
# See workflows/invoice.py: every email after the invoice email goes to a queue of its own.
NOTICE_QUEUE_PATCH = "notice-task-queue-v1"


class Effects:
    def __init__(self, state: InvoiceState, charges: Charges, instalments: Instalments) -> None:
        self._state = state
        self._charges = charges
        self._instalments = instalments

    async def save(self, local: bool = False) -> None:
        """Record the invoice's new state: the read model, the webhook events it reports, and
        the UI's search attributes. The first snapshot reports the invoice's creation."""
        state, view = self._state, self._state.view
        self._instalments.follow_plan()
        self._charges.accrue()
        self._charges.move_overpayment_to_balance()
        self._upsert_search_attributes()
        events = [EventType.INVOICE_CREATED] if view.version == 0 else []
        events += state.events
        self._log_events([str(e) for e in events])
        state.events = []
        movements, state.movements = state.movements, []
        view.version = state.next_version()
        request = SaveInvoiceInput(
            invoice=view,
            events=[str(e) for e in events],
            day_seconds=state.input.day_seconds,
            movements=movements,
        )
        if local:
            await workflow.execute_local_activity_method(IssuingActivities.save_invoice, request, **DECISION)
        else:
            await workflow.execute_activity_method(IssuingActivities.save_invoice, request, **SIDE_EFFECT)

    async def hold_credit(self) -> None:
        """Make the credit this invoice holds equal to what still counts as exposure."""
        state, view = self._state, self._state.view
        held = view.amount_due() if view.status in EXPOSED else 0
        await workflow.execute_activity_method(
            CreditActivities.adjust_credit,
            AdjustCreditInput(invoice_id=view.invoice_id, amount=held, version=state.next_version()),
            **SIDE_EFFECT,
        )

    async def send(
        self,
        kind: EmailKind,
        reminder: ReminderStage | None = None,
        resend: int = 0,
        stage: str | None = None,
    ) -> bool:
        """Email the buyer; False (and the failure on the invoice) when it could not be delivered."""
        state, view = self._state, self._state.view
        # A reminder carries its frozen stage (the merchant's own subject and body) and its tone;
        # other emails sent more than once per invoice (credit notes) name theirs in `stage`.
        stage = reminder.name if reminder else stage
        # On an instalment plan a reminder's stage is named after its instalment (`due-i2`).
        name, instalment = self._instalments.plan_part(stage) if reminder and stage else (stage, None)
        tone = tone_of(state.input.ladder, name) if reminder and name else None
        result = await workflow.execute_activity_method(
            EmailActivities.send_email,
            SendEmailInput(
                invoice_id=view.invoice_id,
                kind=kind,
                stage=stage,
                reminder=reminder,
                tone=tone,
                resend=resend,
                instalment=instalment,
            ),
            summary=f"send_{kind}:{stage}" if stage else f"send_{kind}",
            task_queue=_mail_queue(kind),
            **EMAIL,
        )
        if not result.delivered:
            view.email_failures.append(
                EmailFailure(kind=kind, stage=stage, error=result.error or "", at=workflow.now())
            )
        return result.delivered

    async def suspend_buyer(self, reason: str) -> None:
        state, view = self._state, self._state.view
        view.suspends_buyer = True
        await workflow.execute_activity_method(
            CreditActivities.suspend_buyer,
            BuyerCreditInput(
                buyer_id=view.buyer_id,
                invoice_id=view.invoice_id,
                reason=reason,
                day_seconds=state.input.day_seconds,
            ),
            **SIDE_EFFECT,
        )

    # Helpers

    def _log_events(self, events: list[str]) -> None:
        """The snapshot's webhook events, as entries of the invoice's history."""
        state = self._state
        for event in events:
            who, details = state.event_context.pop(event, (SYSTEM, {}))
            kind = event.removeprefix("invoice.")
            state.view.events.append(InvoiceEvent(workflow.now(), kind, who, details))

    def _upsert_search_attributes(self) -> None:
        view = self._state.view
        updates = [
            INVOICE_STATUS.value_set(str(view.status)),
            ORDER_ID.value_set(view.order_id),
            MERCHANT_ID.value_set(view.merchant_id),
            BUYER_ID.value_set(view.buyer_id),
            AMOUNT_DUE.value_set(view.amount_due() / 10 ** exponent(view.currency)),
        ]
        if view.number:
            updates.append(INVOICE_NUMBER.value_set(view.number))
        if view.due_at:
            updates.append(DUE_DATE.value_set(view.due_at))
        if view.reminders:
            updates.append(DUNNING_STAGE.value_set(view.reminders[-1].stage))
        workflow.upsert_search_attributes(updates)


def _mail_queue(kind: EmailKind) -> str | None:
    """The invoice email on the mail queue (MAIL_QUEUE_PATCH) and every later one on the
    notice queue (NOTICE_QUEUE_PATCH); None: this invoice's own queue."""
    own = workflow.info().task_queue
    if kind != EmailKind.INVOICE and workflow.patched(NOTICE_QUEUE_PATCH):
        return notice_task_queue(own)
    if workflow.patched(MAIL_QUEUE_PATCH):
        return mail_task_queue(own)
    return None
