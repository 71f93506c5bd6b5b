"""What a request may do to an invoice, said once: the status sets by meaning, and one check per action.

Every check reads the invoice's view (the workflow's live one, or the read model's stored one for
an invoice whose workflow has finished) and the request, and raises `Refusal(ErrorType.X, message)`
when the invoice cannot take it. The workflow's validators turn a refusal into an ApplicationError
(workflows/refusals.py), the API into its error body.

Pure: no Temporal, no clock (`now` is passed in), no I/O.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NoReturn

from payinvoice.contracts import (
    BALANCE_METHOD,
    CreditNote,
    CreditNoteInput,
    ExtendInput,
    InstalmentPlanInput,
    InvoiceView,
    PauseInput,
    PromiseInput,
    RecordPaymentInput,
    RefundInput,
    ResendReminderInput,
)
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.instalments import Instalment, InstalmentError, parse_plan
from payinvoice.domain.money import from_minor
from payinvoice.domain.rescheduling import ResumePolicy, day_of, instant_of
from payinvoice.domain.status import PAYABLE, InvoiceStatus

# Open for changes: issued, and its ladder still runs (void, extend, pause, dispute, promise, plan).
CHANGEABLE = frozenset({InvoiceStatus.OPEN, InvoiceStatus.OVERDUE})
# Money it took can be corrected: given back (refunds) or credited (credit notes; on a paid invoice
# the credit goes to the buyer's balance). Void and declined invoices never took any.
CORRECTABLE = PAYABLE | {InvoiceStatus.PAID}


class Action(StrEnum):
    """What a request asks of an invoice, as far as its status decides it."""

    PAY = "pay"
    MARK_PAID = "mark_paid"
    RESEND_REMINDER = "resend_reminder"
    VOID = "void"
    EXTEND = "extend"
    PAUSE = "pause"
    DISPUTE = "dispute"
    PROMISE = "promise"
    PLAN_INSTALMENTS = "plan_instalments"
    REFUND = "refund"
    CREDIT = "credit"
    REVIEW = "review"


# The statuses each action needs; the checks below add what else it needs. (Resuming and
# resolving a dispute depend on the hold, not on the status.)
ALLOWED: Mapping[Action, frozenset[InvoiceStatus]] = MappingProxyType(
    {
        Action.PAY: PAYABLE,
        Action.MARK_PAID: PAYABLE,
        Action.RESEND_REMINDER: PAYABLE,
        Action.VOID: CHANGEABLE,
        Action.EXTEND: CHANGEABLE,
        Action.PAUSE: CHANGEABLE,
        Action.DISPUTE: CHANGEABLE,
        Action.PROMISE: CHANGEABLE,
        Action.PLAN_INSTALMENTS: CHANGEABLE,
        Action.REFUND: CORRECTABLE,
        Action.CREDIT: CORRECTABLE,
        Action.REVIEW: frozenset({InvoiceStatus.PENDING_REVIEW}),
    }
)


def refuse(check: Callable[..., object], *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the refusal `check` gives a request the caller knows cannot be taken (an invoice
    whose workflow has finished): the same code and message as the workflow's validator."""
    check(*args, **kwargs)
    raise AssertionError(f"{check.__name__} let a request through that cannot be taken")


def allows(view: InvoiceView, action: Action) -> bool:
    """Whether the invoice's status lets `action` through (the API sends the update only then)."""
    return view.status in ALLOWED[action]


# What the invoice already holds: the same request again changes nothing.


def payment_recorded(view: InvoiceView, payment_id: str) -> bool:
    return any(p.payment_id == payment_id for p in view.payments + view.unapplied_payments)


def refund_recorded(view: InvoiceView, refund_id: str) -> bool:
    return any(r.refund_id == refund_id for r in view.refunds)


def recorded_credit_note(view: InvoiceView, credit_note_id: str) -> CreditNote | None:
    return next((n for n in view.credit_notes if n.credit_note_id == credit_note_id), None)


def holds_reminders(view: InvoiceView) -> bool:
    """Paused (or disputed), or a promise to pay is pending: no reminders go out."""
    promise = view.promise
    return view.paused or (promise is not None and promise.status == "pending")


# Money in

# How far ahead of payinvoice's clock a reported `paid_at` may be: clocks differ a little.
PAID_AT_SKEW = timedelta(minutes=5)
# The payment ids payinvoice gives its own sources (bank statement entries, the buyer's balance):
# a payment or settlement reported with one could swallow a real transfer, so none is accepted.
RESERVED_PAYMENT_PREFIXES = ("camt053:", "balance:")


def check_reported_payment_id(payment_id: str) -> None:
    if payment_id.startswith(RESERVED_PAYMENT_PREFIXES):
        prefixes = " or ".join(RESERVED_PAYMENT_PREFIXES)
        raise Refusal(ErrorType.INVALID_REQUEST, f"payment ids starting with {prefixes} are payinvoice's own")


def reported_paid_at(view: InvoiceView, paid_at: datetime, now: datetime) -> datetime:
    """A reported payment's time within [the invoice's issue, now + PAID_AT_SKEW]: it decides
    interest and the payment record, and none was paid before the invoice existed or in the future."""
    earliest = view.issued_at or paid_at
    return min(max(paid_at, earliest), now + PAID_AT_SKEW)


def discount_time(payment: RecordPaymentInput, now: datetime) -> datetime:
    """When a payment counts for the early-payment discount: when it was paid, or when payinvoice
    heard of it if that was later (`received_at`), so a backdated report earns no discount."""
    paid_at = payment.paid_at or now
    return max(paid_at, payment.received_at) if payment.received_at else paid_at



# What one invoice takes at most of each thing that grows with requests: its workflow carries
# them in every snapshot and its history (Temporal caps a payload at 2 MB and a history at 50 MB),
# so beyond these a request is refused with 409 `invoice_limit_reached` instead. Far above any
# real invoice: 1,000 partial payments and 300 pause/resume cycles stay well inside.
MAX_PAYMENTS = 2000
MAX_REFUNDS = 500
MAX_CREDIT_NOTES = 200
MAX_RESENT_REMINDERS = 50
MAX_EVENTS = 2000


# What the invoice's view may weigh as JSON: a snapshot (`save_invoice`) and an Update's answer
# each carry it whole, and Temporal refuses a payload above 2 MB. Credit notes of many lines can
# weigh more than the counts above suggest, so the view itself is weighed once it is large.
MAX_VIEW_BYTES = 1_000_000
# Below this many entries a view weighs far less than MAX_VIEW_BYTES: not worth encoding.
_WEIGH_FROM_ENTRIES = 1000


def check_room(view: InvoiceView, what: str, count: int, limit: int) -> None:
    if count >= limit:
        raise Refusal(
            ErrorType.INVOICE_LIMIT_REACHED,
            f"invoice already has {count} {what}, the most one invoice takes",
        )
    check_weight(view)


def check_weight(view: InvoiceView) -> None:
    """Refuse what would grow a view that already weighs MAX_VIEW_BYTES as JSON."""
    entries = (
        len(view.payments) + len(view.unapplied_payments) + len(view.refunds) + len(view.events)
        + len(view.fees) + len(view.reminders) + len(view.resent_reminders) + len(view.email_failures)
        + sum(1 + len(note.lines) for note in view.credit_notes)
    )
    if entries < _WEIGH_FROM_ENTRIES:
        return
    weight = len(json.dumps(asdict(view), default=str, separators=(",", ":")))
    if weight >= MAX_VIEW_BYTES:
        raise Refusal(
            ErrorType.INVOICE_LIMIT_REACHED,
            f"invoice weighs {weight} bytes, the most one invoice carries: nothing more can be added",
        )


def check_payable(view: InvoiceView) -> None:
    if not allows(view, Action.PAY):
        raise Refusal(ErrorType.INVOICE_NOT_PAYABLE, f"invoice is {view.status}: payments are not accepted")


def check_payment(view: InvoiceView, payment: RecordPaymentInput) -> None:
    """A payment already recorded passes: it is answered with the invoice as it stands."""
    if payment_recorded(view, payment.payment_id):
        return
    check_payment_request(view, payment)
    check_payable(view)
    check_room(view, "payments", len(view.payments) + len(view.unapplied_payments), MAX_PAYMENTS)


def check_payment_request(view: InvoiceView, payment: RecordPaymentInput) -> None:
    """What a payment reports: in the invoice's currency, more than nothing."""
    if payment.currency != view.currency:
        message = f"payment in {payment.currency}, invoice in {view.currency}"
        raise Refusal(ErrorType.CURRENCY_MISMATCH, message)
    _check_positive(payment.amount)


def check_mark_paid(view: InvoiceView) -> None:
    if not allows(view, Action.MARK_PAID):
        raise Refusal(
            ErrorType.INVOICE_NOT_MARKABLE_PAID, f"invoice is {view.status} and cannot be marked paid"
        )


def check_resend(view: InvoiceView, request: ResendReminderInput) -> None:
    check_payable(view)
    check_room(view, "resent reminders", len(view.resent_reminders), MAX_RESENT_REMINDERS)
    if not any(r.stage == request.stage for r in view.reminders):
        raise Refusal(ErrorType.REMINDER_NOT_SENT, f"reminder {request.stage!r} was not sent on this invoice")


# Money back


def check_refund(view: InvoiceView, request: RefundInput, refunds_closed: bool = False) -> None:
    """A refund id already recorded passes. The request is checked against the payments first,
    then the invoice's status (`check_refundable`)."""
    check_refund_request(view, request)
    if not refund_recorded(view, request.refund_id):
        check_refundable(view, refunds_closed)
        check_room(view, "refunds", len(view.refunds), MAX_REFUNDS)


def check_refund_request(view: InvoiceView, request: RefundInput) -> None:
    """What is refunded: more than nothing, of a payment the invoice has, at most what is left
    of it; a refund id already recorded passes."""
    _check_positive(request.amount)
    if refund_recorded(view, request.refund_id):
        return
    if any(p.payment_id == request.payment_id and p.method == BALANCE_METHOD for p in view.payments):
        # The balance's ledger gets it back through a credit note, never as money to the buyer.
        message = "the buyer's balance paid this: credit the invoice instead (POST …/credit-notes)"
        raise Refusal(ErrorType.INVALID_REQUEST, message)
    left = view.left_to_refund(request.payment_id)
    if left is None:
        raise Refusal(ErrorType.PAYMENT_NOT_FOUND, f"invoice has no payment {request.payment_id!r}")
    if request.amount > left:
        raise Refusal(
            ErrorType.REFUND_EXCEEDS_PAYMENT,
            f"payment {request.payment_id!r} has {_money(left, view)} left to refund",
        )


def check_refundable(view: InvoiceView, refunds_closed: bool = False) -> None:
    """`refunds_closed`: the paid invoice's refund window closed (the workflow knows; for a
    finished workflow the use case passes `status == PAID`)."""
    if not allows(view, Action.REFUND) or refunds_closed:
        closed = " (refund window closed)" if refunds_closed else ""
        raise Refusal(
            ErrorType.INVOICE_NOT_REFUNDABLE, f"invoice is {view.status}: refunds are not accepted{closed}"
        )


def check_credit_note(view: InvoiceView, request: CreditNoteInput, refunds_closed: bool = False) -> None:
    """A credit note id already recorded for the same amount passes; for another amount it is
    refused. `refunds_closed` as for `check_refundable`: a credit note is a correction too."""
    _check_positive(request.amount)
    recorded = recorded_credit_note(view, request.credit_note_id)
    if recorded is not None:
        if recorded.amount != request.amount:
            message = f"credit note {request.credit_note_id!r} was issued for another amount"
            raise Refusal(ErrorType.CREDIT_NOTE_ID_REUSED, message)
        return
    if not allows(view, Action.CREDIT) or refunds_closed:
        message = f"invoice is {view.status}: credit notes are not accepted"
        raise Refusal(ErrorType.INVOICE_NOT_CREDITABLE, message)
    check_room(view, "credit notes", len(view.credit_notes), MAX_CREDIT_NOTES)
    charged = view.charged()
    if request.amount > charged:
        raise Refusal(
            ErrorType.CREDIT_EXCEEDS_CHARGED,
            f"the invoice charges {_money(charged, view)}: a credit note cannot credit more",
        )


# Before issue, and cancelling


def check_review(view: InvoiceView) -> None:
    """Once, while the order waits for a person."""
    if not allows(view, Action.REVIEW) or view.review is not None:
        raise Refusal(ErrorType.INVOICE_NOT_IN_REVIEW, f"invoice is {view.status}, not waiting for review")


def check_void(view: InvoiceView) -> None:
    if view.amount_paid > 0:
        raise Refusal(ErrorType.INVOICE_HAS_PAYMENTS, "invoice has payments and cannot be voided")
    if not allows(view, Action.VOID):
        raise Refusal(ErrorType.INVOICE_NOT_VOIDABLE, f"invoice is {view.status} and cannot be voided")


# Changing an open invoice's schedule


def check_extend(view: InvoiceView, request: ExtendInput) -> date:
    """The new due date: `due_date`, or `by_days` after the current one."""
    _check_changeable(view, Action.EXTEND, ErrorType.INVOICE_NOT_EXTENDABLE, "extended")
    if view.instalments:
        raise Refusal(
            ErrorType.INVOICE_NOT_EXTENDABLE,
            "invoice has an instalment plan, whose instalments have their own due dates",
        )
    assert view.due_date is not None  # open or overdue: issued
    current = date.fromisoformat(view.due_date)
    if (request.due_date is None) == (request.by_days is None):
        raise Refusal(ErrorType.INVALID_REQUEST, "give exactly one of due_date and by_days")
    if request.by_days is not None:
        if request.by_days < 1:
            raise Refusal(ErrorType.INVALID_DUE_DATE, "by_days must be at least 1")
        return current + timedelta(days=request.by_days)
    try:
        new_date = date.fromisoformat(request.due_date or "")
    except ValueError:
        raise Refusal(ErrorType.INVALID_DUE_DATE, "due_date must be an ISO date") from None
    if new_date <= current:
        message = f"the new due date must be later than {current.isoformat()}"
        raise Refusal(ErrorType.INVALID_DUE_DATE, message)
    return new_date


def check_pause(view: InvoiceView, request: PauseInput, now: datetime) -> None:
    """A pause (until resumed or `until`), or with `dispute` a dispute (until resolved)."""
    if request.dispute:
        action, error, verb = Action.DISPUTE, ErrorType.INVOICE_NOT_DISPUTABLE, "disputed"
    else:
        action, error, verb = Action.PAUSE, ErrorType.INVOICE_NOT_PAUSABLE, "paused"
    _check_changeable(view, action, error, verb)
    if view.disputed or (view.paused and not request.dispute):
        raise Refusal(error, "invoice is already disputed" if view.disputed else "invoice is already paused")
    if holds_reminders(view) and not view.paused:
        raise Refusal(error, "a promise to pay is pending")
    policies = sorted(str(p) for p in ResumePolicy)
    if request.resume_policy not in policies:
        raise Refusal(ErrorType.INVALID_REQUEST, f"resume_policy must be one of {policies}")
    if request.until is not None and not request.dispute:
        future_date(view, request.until, "until", now)


def check_resume(view: InvoiceView) -> None:
    if not view.paused:
        raise Refusal(ErrorType.INVOICE_NOT_PAUSED, "invoice is not paused")
    check_room(view, "events", len(view.events), MAX_EVENTS)


def check_resolve_dispute(view: InvoiceView) -> None:
    if not view.disputed:
        raise Refusal(ErrorType.INVOICE_NOT_DISPUTED, "invoice is not disputed")
    check_room(view, "events", len(view.events), MAX_EVENTS)


def check_promise(view: InvoiceView, request: PromiseInput, now: datetime) -> None:
    _check_changeable(view, Action.PROMISE, ErrorType.INVOICE_NOT_PROMISABLE, "promised")
    if holds_reminders(view):
        what = "paused" if view.paused else "already promised"
        raise Refusal(ErrorType.INVOICE_NOT_PROMISABLE, f"invoice is {what}")
    if not 0 < request.amount <= view.amount_due():
        raise Refusal(ErrorType.INVALID_AMOUNT, "amount must be greater than 0 and at most the amount due")
    future_date(view, request.date, "date", now)


def check_instalment_plan(view: InvoiceView, request: InstalmentPlanInput, now: datetime) -> list[Instalment]:
    """The plan, checked against the invoice's amount due and its today (the first instalment
    may not be due before it)."""
    refused = ErrorType.INSTALMENTS_NOT_ALLOWED
    if not allows(view, Action.PLAN_INSTALMENTS):
        raise Refusal(refused, f"invoice is {view.status}: an instalment plan is not possible")
    if view.instalments:
        raise Refusal(refused, "invoice already has an instalment plan")
    if holds_reminders(view):
        what = "disputed" if view.disputed else "paused" if view.paused else "promised to be paid"
        raise Refusal(refused, f"invoice is {what}: an instalment plan is not possible")
    parts = [(i.due_date, from_minor(i.amount, view.currency)) for i in request.instalments]
    try:
        return list(parse_plan(parts, view.currency, view.amount_due(), invoice_today(view, now)))
    except (InstalmentError, TypeError, ValueError) as error:
        raise Refusal(ErrorType.INVALID_INSTALMENTS, str(error)) from None


# The invoice's calendar: its days count from the moment of issue, in its own day length.


def invoice_instant(view: InvoiceView, day: date) -> datetime:
    """The instant `day` begins for the invoice."""
    assert view.issued_at is not None and view.issue_date is not None  # open or overdue: issued
    return instant_of(day, view.issued_at, date.fromisoformat(view.issue_date), view.day_seconds)


def invoice_today(view: InvoiceView, now: datetime) -> date:
    """The date `now` falls on for the invoice."""
    assert view.issued_at is not None and view.issue_date is not None  # open or overdue: issued
    return day_of(now, view.issued_at, date.fromisoformat(view.issue_date), view.day_seconds)


def future_date(view: InvoiceView, iso: str, what: str, now: datetime) -> date:
    """`iso` as a date of the invoice's calendar that begins after `now`."""
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        raise Refusal(ErrorType.INVALID_DATE, f"{what} must be an ISO date") from None
    if invoice_instant(view, day) <= now:
        raise Refusal(ErrorType.INVALID_DATE, f"{what} must be in the future")
    return day


# Helpers


def _check_positive(amount: int) -> None:
    if amount <= 0:
        raise Refusal(ErrorType.INVALID_AMOUNT, "amount must be greater than 0")


def _check_changeable(view: InvoiceView, action: Action, error: ErrorType, verb: str) -> None:
    if not allows(view, action):
        raise Refusal(error, f"invoice is {view.status} and cannot be {verb}")
    check_room(view, "events", len(view.events), MAX_EVENTS)


def _money(amount: int, view: InvoiceView) -> str:
    return f"{from_minor(amount, view.currency)} {view.currency}"
