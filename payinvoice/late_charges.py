"""One invoice's late-payment interest and recovery compensation as of an instant.

The invoice's payments, refunds, late fees and credit notes become the unpaid principal of each
day late; payinvoice.domain.late_interest does the arithmetic. The workflow records the result as
fee lines at every change of the invoice (and the ledger the difference), and the API shows them
up to the moment it answers. Payments go to the principal first: interest never bears interest.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from payinvoice.contracts import Fee, FeeKind, InvoiceView
from payinvoice.domain.late_interest import InterestMode, accrued_interest, recovery_compensation
from payinvoice.domain.policy import days_late
from payinvoice.domain.status import PAYABLE

# Fee lines recomputed as time passes; late fees are fixed when their stage is reached.
ACCRUING = frozenset({FeeKind.INTEREST, FeeKind.COMPENSATION})


def unpaid_from_day(view: InvoiceView, due_at: datetime) -> list[tuple[int, int]]:
    """The unpaid principal as a step function of the day late: (day, unpaid from that day on)."""
    changes = [(fee.at, fee.amount) for fee in view.fees if fee.kind == FeeKind.LATE_FEE]
    changes += [(note.issued_at, -note.amount) for note in view.credit_notes]
    changes += [(payment.paid_at, -payment.amount) for payment in view.payments]
    changes += [(refund.refunded_at, refund.amount) for refund in view.refunds]
    unpaid = view.total
    steps: dict[int, int] = {0: unpaid}
    for at, change in sorted(changes, key=lambda item: item[0]):
        unpaid += change
        steps[days_late(due_at, at, view.day_seconds)] = max(unpaid, 0)  # the day's last word
    return sorted(steps.items())


def late_charges(view: InvoiceView, now: datetime) -> list[Fee]:
    """Interest and compensation owed at `now`: nothing before the day after the due date, or
    when the merchant charges no interest."""
    terms = view.late_interest
    if terms is None or terms.mode == InterestMode.OFF or view.due_at is None:
        return []
    days = days_late(view.due_at, now, view.day_seconds)
    first_late_day = view.due_at + timedelta(seconds=view.day_seconds)
    charges = []
    unpaid = unpaid_from_day(view, view.due_at)
    interest = accrued_interest(unpaid, days, terms.annual_rate)
    if interest:
        # Once the principal is paid, interest stops: the line counts the days it ran.
        last_day, last_unpaid = unpaid[-1]
        counted = min(days, last_day - 1) if last_unpaid == 0 else days
        description = f"Late-payment interest at {terms.annual_rate} % a year, {counted} days"
        charges.append(Fee(FeeKind.INTEREST, description, interest, now))
    compensation = recovery_compensation(terms, days)
    if compensation:
        description = "Compensation for recovery costs (Directive 2011/7/EU)"
        charges.append(Fee(FeeKind.COMPENSATION, description, compensation, first_late_day))
    return charges


def fees_as_of(view: InvoiceView, now: datetime) -> list[Fee]:
    """The invoice's fee lines with interest and compensation brought up to `now`; an invoice
    no longer payable (paid, void) keeps the ones it had."""
    if view.status not in PAYABLE:
        return view.fees
    kept = [fee for fee in view.fees if fee.kind not in ACCRUING]
    return kept + late_charges(view, now)


def as_of(view: InvoiceView, now: datetime) -> InvoiceView:
    """The invoice as it stands at `now`: interest up to then (what GET and the hosted page show)."""
    return replace(view, fees=fees_as_of(view, now))
