"""How long a hosted page's link (`/i/{token}` and its PDF) lives: while the invoice is issued and
not settled, and `days` (of the invoice's own day length, like its terms and refund window) after
it became paid or void. Pure: `now` is the caller's."""

from datetime import datetime, timedelta

from payinvoice.contracts import InvoiceView
from payinvoice.domain.status import InvoiceStatus
from payinvoice.webhooks import EventType

# The history entry (`InvoiceView.events`, the webhook event type without `invoice.`) of each
# settled status.
SETTLING_EVENTS = {
    InvoiceStatus.PAID: EventType.INVOICE_PAID.removeprefix("invoice."),
    InvoiceStatus.VOID: EventType.INVOICE_VOIDED.removeprefix("invoice."),
}


def settled_at(view: InvoiceView) -> datetime | None:
    """When the invoice became what it is, if it is paid or void: its history's last entry of
    that (a paid invoice refunded and paid again counts from the second time). None while it is
    neither, or when its history has no such entry."""
    kind = SETTLING_EVENTS.get(view.status)
    if kind is None:
        return None
    return max((event.at for event in view.events if event.kind == kind), default=None)


def link_expired(view: InvoiceView, days: int, now: datetime) -> bool:
    """True once `days` of the invoice's days have passed since it was paid or voided."""
    settled = settled_at(view)
    return settled is not None and now >= settled + timedelta(seconds=days * view.day_seconds)
