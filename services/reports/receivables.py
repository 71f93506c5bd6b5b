"""What the aging and DSO reports agree on: which invoices are receivables, and date arithmetic."""

from datetime import date, timedelta

from payinvoice.domain.status import InvoiceStatus

# Issued invoices still owed: their amount_due is a receivable (pending ones are not issued yet,
# declined, paid and void ones are owed nothing).
RECEIVABLE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE)


def days_before(day: date, days: int) -> date:
    """`day` minus `days`, or the first representable date when that falls before it (no invoice
    is older, so a comparison against it keeps its meaning)."""
    return day - timedelta(days=days) if day.toordinal() > days else date.min
