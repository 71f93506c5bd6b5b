"""payinvoice.rules: which statuses each action needs, and each check's refusals (code and message)."""

import ast
import inspect
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payinvoice import rules
from payinvoice.contracts import (
    BALANCE_METHOD,
    Actor,
    CreditNote,
    CreditNoteInput,
    ExtendInput,
    InstalmentPlanInput,
    InvoiceEvent,
    InvoiceView,
    PauseInput,
    Payment,
    Promise,
    PromiseInput,
    RecordPaymentInput,
    Refund,
    RefundInput,
    ReminderSent,
    ResendReminderInput,
    Review,
)
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.instalments import Instalment
from payinvoice.domain.lines import Line, PricedLine
from payinvoice.domain.status import FINAL, PAYABLE, InvoiceStatus
from payinvoice.rules import ALLOWED, CHANGEABLE, CORRECTABLE, Action

S = InvoiceStatus
ISSUED = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
NOW = ISSUED + timedelta(days=5)  # the invoice's 2025-01-06
WHO = Actor("merchant", "key_1")


def view(**fields: Any) -> InvoiceView:
    """An issued invoice of 100.00 EUR, open, due on 2025-01-31."""
    base = InvoiceView(
        invoice_id="inv_1",
        merchant_id="m_1",
        buyer_id="b_1",
        order_id="o_1",
        currency="EUR",
        lines=[],
        subtotal=10000,
        tax_total=0,
        total=10000,
        payment_terms_days=30,
        created_at=ISSUED,
        status=S.OPEN,
        issued_at=ISSUED,
        issue_date="2025-01-01",
        due_at=ISSUED + timedelta(days=30),
        due_date="2025-01-31",
    )
    return replace(base, **fields)


def paid(amount: int = 4000, payment_id: str = "p_1", method: str = "bank_transfer") -> Payment:
    return Payment(payment_id, amount, "EUR", ISSUED, method)


def refusal(check: Callable[..., object], *args: Any, **kwargs: Any) -> tuple[ErrorType, str]:
    """The code and message `check(*args, **kwargs)` refuses with."""
    with pytest.raises(Refusal) as raised:
        check(*args, **kwargs)
    return raised.value.code, raised.value.message


def plan(*amounts: int, first: str = "2025-02-01") -> InstalmentPlanInput:
    start = date.fromisoformat(first)
    parts = [
        Instalment(i + 1, (start + timedelta(days=30 * i)).isoformat(), a) for i, a in enumerate(amounts)
    ]
    return InstalmentPlanInput(instalments=parts, who=WHO)


# The status sets


def test_changeable_statuses_are_open_and_overdue() -> None:
    assert CHANGEABLE == {S.OPEN, S.OVERDUE}


def test_correctable_statuses_are_the_payable_ones_and_paid() -> None:
    assert CORRECTABLE == PAYABLE | {S.PAID}


def test_no_final_status_is_open_for_changes() -> None:
    assert not CHANGEABLE & FINAL


def test_every_action_names_the_statuses_it_needs() -> None:
    assert set(ALLOWED) == set(Action)


def test_the_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        ALLOWED[Action.VOID] = frozenset(InvoiceStatus)  # type: ignore[index]


# A valid request per status-gated action, and the code it is refused with in another status.
GATED: dict[Action, tuple[Callable[[InvoiceView], object], ErrorType]] = {
    Action.PAY: (
        lambda v: rules.check_payment(v, RecordPaymentInput("p_new", 100, "EUR")),
        ErrorType.INVOICE_NOT_PAYABLE,
    ),
    Action.MARK_PAID: (rules.check_mark_paid, ErrorType.INVOICE_NOT_MARKABLE_PAID),
    Action.RESEND_REMINDER: (
        lambda v: rules.check_resend(v, ResendReminderInput("upcoming")),
        ErrorType.INVOICE_NOT_PAYABLE,
    ),
    Action.VOID: (rules.check_void, ErrorType.INVOICE_NOT_VOIDABLE),
    Action.EXTEND: (
        lambda v: rules.check_extend(v, ExtendInput(WHO, "", by_days=7)),
        ErrorType.INVOICE_NOT_EXTENDABLE,
    ),
    Action.PAUSE: (
        lambda v: rules.check_pause(v, PauseInput(WHO, "asked"), NOW),
        ErrorType.INVOICE_NOT_PAUSABLE,
    ),
    Action.DISPUTE: (
        lambda v: rules.check_pause(v, PauseInput(WHO, "wrong", dispute=True), NOW),
        ErrorType.INVOICE_NOT_DISPUTABLE,
    ),
    Action.PROMISE: (
        lambda v: rules.check_promise(v, PromiseInput(WHO, 100, "2025-02-10"), NOW),
        ErrorType.INVOICE_NOT_PROMISABLE,
    ),
    Action.PLAN_INSTALMENTS: (
        lambda v: rules.check_instalment_plan(v, plan(5000, 5000), NOW),
        ErrorType.INSTALMENTS_NOT_ALLOWED,
    ),
    Action.REFUND: (
        lambda v: rules.check_refund(replace(v, payments=[paid()]), RefundInput("r_1", "p_1", 100)),
        ErrorType.INVOICE_NOT_REFUNDABLE,
    ),
    Action.CREDIT: (
        lambda v: rules.check_credit_note(v, CreditNoteInput("cn_1", 100, "damaged")),
        ErrorType.INVOICE_NOT_CREDITABLE,
    ),
    Action.REVIEW: (rules.check_review, ErrorType.INVOICE_NOT_IN_REVIEW),
}


@given(action=st.sampled_from(Action), status=st.sampled_from(InvoiceStatus))
def test_a_check_refuses_exactly_the_statuses_its_action_does_not_allow(
    action: Action, status: InvoiceStatus
) -> None:
    check, code = GATED[action]
    invoice = view(status=status, reminders=[ReminderSent("upcoming", ISSUED)])
    if status in ALLOWED[action]:
        check(invoice)
    else:
        assert refusal(check, invoice)[0] == code


def test_the_rules_import_neither_temporal_nor_a_clock() -> None:
    tree = ast.parse(inspect.getsource(rules))
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name.startswith("temporalio") for name in imported)
    assert "now(" not in inspect.getsource(rules)


# Payments


def test_a_payment_already_recorded_passes_even_on_a_paid_invoice() -> None:
    invoice = view(status=S.PAID, payments=[paid(10000)], amount_paid=10000)
    rules.check_payment(invoice, RecordPaymentInput("p_1", 10000, "EUR"))


def test_a_payment_kept_as_unapplied_counts_as_recorded() -> None:
    assert rules.payment_recorded(view(unapplied_payments=[paid(payment_id="late")]), "late")


@pytest.mark.parametrize("amount", [0, -1])
def test_a_payment_of_nothing_is_an_invalid_amount(amount: int) -> None:
    assert refusal(rules.check_payment, view(), RecordPaymentInput("p_1", amount, "EUR")) == (
        ErrorType.INVALID_AMOUNT,
        "amount must be greater than 0",
    )


def test_a_payment_in_another_currency_is_a_currency_mismatch() -> None:
    assert refusal(rules.check_payment, view(), RecordPaymentInput("p_1", 100, "USD")) == (
        ErrorType.CURRENCY_MISMATCH,
        "payment in USD, invoice in EUR",
    )


def test_a_void_invoice_takes_no_payment() -> None:
    assert refusal(rules.check_payable, view(status=S.VOID)) == (
        ErrorType.INVOICE_NOT_PAYABLE,
        "invoice is void: payments are not accepted",
    )


def test_a_paid_invoice_cannot_be_marked_paid() -> None:
    assert refusal(rules.check_mark_paid, view(status=S.PAID)) == (
        ErrorType.INVOICE_NOT_MARKABLE_PAID,
        "invoice is paid and cannot be marked paid",
    )


def test_only_a_reminder_sent_can_be_sent_again() -> None:
    assert refusal(rules.check_resend, view(), ResendReminderInput("final")) == (
        ErrorType.REMINDER_NOT_SENT,
        "reminder 'final' was not sent on this invoice",
    )


# Refunds


def test_a_refund_already_recorded_passes_even_after_the_window_closed() -> None:
    invoice = view(status=S.PAID, payments=[paid()], refunds=[Refund("r_1", "p_1", 100, ISSUED)])
    rules.check_refund(invoice, RefundInput("r_1", "p_1", 100), refunds_closed=True)


def test_a_paid_invoice_whose_window_closed_takes_no_refund() -> None:
    invoice = view(status=S.PAID, payments=[paid()])
    assert refusal(rules.check_refund, invoice, RefundInput("r_1", "p_1", 100), refunds_closed=True) == (
        ErrorType.INVOICE_NOT_REFUNDABLE,
        "invoice is paid: refunds are not accepted (refund window closed)",
    )


def test_a_void_invoice_takes_no_refund() -> None:
    invoice = view(status=S.VOID, payments=[paid()])
    assert refusal(rules.check_refund, invoice, RefundInput("r_1", "p_1", 100)) == (
        ErrorType.INVOICE_NOT_REFUNDABLE,
        "invoice is void: refunds are not accepted",
    )


def test_a_refund_is_checked_against_the_payments_before_the_status() -> None:
    invoice = view(status=S.PAID, payments=[paid(amount=100)])
    code, _ = refusal(rules.check_refund, invoice, RefundInput("r_1", "p_1", 200), refunds_closed=True)
    assert code == ErrorType.REFUND_EXCEEDS_PAYMENT


def test_a_refund_of_nothing_is_an_invalid_amount() -> None:
    assert (
        refusal(rules.check_refund, view(payments=[paid()]), RefundInput("r_1", "p_1", 0))[0]
        == ErrorType.INVALID_AMOUNT
    )


def test_what_the_buyers_balance_paid_is_credited_not_refunded() -> None:
    invoice = view(payments=[paid(payment_id="balance:inv_1", method=BALANCE_METHOD)])
    assert (
        refusal(rules.check_refund, invoice, RefundInput("r_1", "balance:inv_1", 100))[0]
        == ErrorType.INVALID_REQUEST
    )


def test_a_refund_of_an_unknown_payment_is_refused() -> None:
    assert refusal(rules.check_refund, view(payments=[paid()]), RefundInput("r_1", "p_9", 100)) == (
        ErrorType.PAYMENT_NOT_FOUND,
        "invoice has no payment 'p_9'",
    )


def test_a_refund_beyond_what_is_left_of_the_payment_names_what_is_left() -> None:
    invoice = view(payments=[paid(4000)], refunds=[Refund("r_0", "p_1", 1000, ISSUED)])
    assert refusal(rules.check_refund, invoice, RefundInput("r_1", "p_1", 3001)) == (
        ErrorType.REFUND_EXCEEDS_PAYMENT,
        "payment 'p_1' has 30.00 EUR left to refund",
    )


@given(payment=st.integers(1, 10**9), refunded=st.integers(0, 10**9), amount=st.integers(1, 2 * 10**9))
def test_a_payment_is_never_refunded_beyond_what_it_paid(payment: int, refunded: int, amount: int) -> None:
    refunded = min(refunded, payment)
    invoice = view(payments=[paid(payment)], refunds=[Refund("r_0", "p_1", refunded, ISSUED)])
    request = RefundInput("r_1", "p_1", amount)
    if amount <= payment - refunded:
        rules.check_refund(invoice, request)
    else:
        assert refusal(rules.check_refund, invoice, request)[0] == ErrorType.REFUND_EXCEEDS_PAYMENT


# Credit notes


def test_a_credit_note_already_recorded_for_the_same_amount_passes() -> None:
    invoice = view(status=S.PAID, credit_notes=[CreditNote("cn_1", "CN-1", 100, "", ISSUED)])
    rules.check_credit_note(invoice, CreditNoteInput("cn_1", 100, ""), refunds_closed=True)


def test_a_credit_note_id_reused_for_another_amount_is_refused() -> None:
    invoice = view(credit_notes=[CreditNote("cn_1", "CN-1", 100, "", ISSUED)])
    assert refusal(rules.check_credit_note, invoice, CreditNoteInput("cn_1", 200, "")) == (
        ErrorType.CREDIT_NOTE_ID_REUSED,
        "credit note 'cn_1' was issued for another amount",
    )


def test_a_paid_invoice_whose_window_closed_takes_no_credit_note() -> None:
    request = CreditNoteInput("cn_1", 100, "")
    assert refusal(rules.check_credit_note, view(status=S.PAID), request, refunds_closed=True) == (
        ErrorType.INVOICE_NOT_CREDITABLE,
        "invoice is paid: credit notes are not accepted",
    )


def test_a_credit_note_cannot_credit_more_than_the_invoice_charges() -> None:
    assert refusal(rules.check_credit_note, view(), CreditNoteInput("cn_1", 10001, "")) == (
        ErrorType.CREDIT_EXCEEDS_CHARGED,
        "the invoice charges 100.00 EUR: a credit note cannot credit more",
    )


# Review and void


def test_an_order_is_reviewed_once() -> None:
    invoice = view(status=S.PENDING_REVIEW, review=Review("approve", "", ISSUED))
    assert refusal(rules.check_review, invoice) == (
        ErrorType.INVOICE_NOT_IN_REVIEW,
        "invoice is pending_review, not waiting for review",
    )


def test_an_invoice_with_payments_cannot_be_voided_whatever_its_status() -> None:
    assert refusal(rules.check_void, view(status=S.PAID, amount_paid=1)) == (
        ErrorType.INVOICE_HAS_PAYMENTS,
        "invoice has payments and cannot be voided",
    )


def test_an_uncollectible_invoice_cannot_be_voided() -> None:
    assert refusal(rules.check_void, view(status=S.UNCOLLECTIBLE)) == (
        ErrorType.INVOICE_NOT_VOIDABLE,
        "invoice is uncollectible and cannot be voided",
    )


# Extend


def test_extending_by_days_moves_the_due_date_by_that_many_days() -> None:
    assert rules.check_extend(view(), ExtendInput(WHO, "", by_days=10)) == date(2025, 2, 10)


def test_extending_to_a_date_answers_that_date() -> None:
    assert rules.check_extend(view(), ExtendInput(WHO, "", due_date="2025-03-01")) == date(2025, 3, 1)


@pytest.mark.parametrize(("due_date", "by_days"), [(None, None), ("2025-03-01", 3)])
def test_an_extension_gives_exactly_one_of_date_and_days(due_date: str | None, by_days: int | None) -> None:
    assert refusal(rules.check_extend, view(), ExtendInput(WHO, "", due_date, by_days)) == (
        ErrorType.INVALID_REQUEST,
        "give exactly one of due_date and by_days",
    )


def test_an_extension_by_no_days_is_refused() -> None:
    assert refusal(rules.check_extend, view(), ExtendInput(WHO, "", by_days=0)) == (
        ErrorType.INVALID_DUE_DATE,
        "by_days must be at least 1",
    )


def test_an_extension_to_a_date_that_is_not_one_is_refused() -> None:
    assert refusal(rules.check_extend, view(), ExtendInput(WHO, "", due_date="soon")) == (
        ErrorType.INVALID_DUE_DATE,
        "due_date must be an ISO date",
    )


def test_an_extension_must_be_later_than_the_current_due_date() -> None:
    assert refusal(rules.check_extend, view(), ExtendInput(WHO, "", due_date="2025-01-31")) == (
        ErrorType.INVALID_DUE_DATE,
        "the new due date must be later than 2025-01-31",
    )


def test_an_invoice_on_an_instalment_plan_is_not_extended() -> None:
    invoice = view(instalments=plan(5000, 5000).instalments)
    assert (
        refusal(rules.check_extend, invoice, ExtendInput(WHO, "", by_days=3))[0]
        == ErrorType.INVOICE_NOT_EXTENDABLE
    )


# Pause, dispute, resume


def test_a_paused_invoice_is_not_paused_again() -> None:
    assert refusal(rules.check_pause, view(paused=True), PauseInput(WHO, ""), NOW) == (
        ErrorType.INVOICE_NOT_PAUSABLE,
        "invoice is already paused",
    )


def test_a_paused_invoice_can_still_be_disputed() -> None:
    rules.check_pause(view(paused=True), PauseInput(WHO, "", dispute=True), NOW)


def test_a_disputed_invoice_is_not_disputed_again() -> None:
    invoice = view(paused=True, disputed=True)
    assert refusal(rules.check_pause, invoice, PauseInput(WHO, "", dispute=True), NOW) == (
        ErrorType.INVOICE_NOT_DISPUTABLE,
        "invoice is already disputed",
    )


def test_an_invoice_promised_to_be_paid_is_not_paused() -> None:
    invoice = view(promise=Promise(100, "2025-02-10", ISSUED, 0))
    assert refusal(rules.check_pause, invoice, PauseInput(WHO, ""), NOW) == (
        ErrorType.INVOICE_NOT_PAUSABLE,
        "a promise to pay is pending",
    )


def test_a_pause_names_the_resume_policies_it_knows() -> None:
    code, message = refusal(rules.check_pause, view(), PauseInput(WHO, "", resume_policy="later"), NOW)
    assert code == ErrorType.INVALID_REQUEST
    assert message.startswith("resume_policy must be one of [")


def test_a_pause_until_today_is_not_in_the_future() -> None:
    assert refusal(rules.check_pause, view(), PauseInput(WHO, "", until="2025-01-06"), NOW) == (
        ErrorType.INVALID_DATE,
        "until must be in the future",
    )


def test_a_pause_until_tomorrow_is() -> None:
    rules.check_pause(view(), PauseInput(WHO, "", until="2025-01-07"), NOW)


def test_only_a_paused_invoice_is_resumed() -> None:
    assert refusal(rules.check_resume, view()) == (ErrorType.INVOICE_NOT_PAUSED, "invoice is not paused")


def test_only_a_disputed_invoice_has_its_dispute_resolved() -> None:
    assert refusal(rules.check_resolve_dispute, view(paused=True)) == (
        ErrorType.INVOICE_NOT_DISPUTED,
        "invoice is not disputed",
    )


# Promise to pay


def test_a_paused_invoice_takes_no_promise() -> None:
    assert refusal(rules.check_promise, view(paused=True), PromiseInput(WHO, 100, "2025-02-10"), NOW) == (
        ErrorType.INVOICE_NOT_PROMISABLE,
        "invoice is paused",
    )


def test_a_kept_promise_holds_nothing_any_more() -> None:
    invoice = view(promise=Promise(100, "2025-01-03", ISSUED, 0, status="kept"))
    rules.check_promise(invoice, PromiseInput(WHO, 100, "2025-02-10"), NOW)


@pytest.mark.parametrize("amount", [0, 10001])
def test_a_promise_is_of_more_than_nothing_and_at_most_the_amount_due(amount: int) -> None:
    assert refusal(rules.check_promise, view(), PromiseInput(WHO, amount, "2025-02-10"), NOW) == (
        ErrorType.INVALID_AMOUNT,
        "amount must be greater than 0 and at most the amount due",
    )


def test_a_promise_for_a_date_that_is_not_one_is_refused() -> None:
    assert refusal(rules.check_promise, view(), PromiseInput(WHO, 100, "next week"), NOW) == (
        ErrorType.INVALID_DATE,
        "date must be an ISO date",
    )


# Instalment plans


def test_a_valid_plan_is_answered_as_its_instalments() -> None:
    assert rules.check_instalment_plan(view(), plan(6000, 4000), NOW) == plan(6000, 4000).instalments


def test_an_invoice_has_one_instalment_plan_at_most() -> None:
    invoice = view(instalments=plan(5000, 5000).instalments)
    assert refusal(rules.check_instalment_plan, invoice, plan(5000, 5000), NOW) == (
        ErrorType.INSTALMENTS_NOT_ALLOWED,
        "invoice already has an instalment plan",
    )


def test_a_disputed_invoice_is_not_planned() -> None:
    assert refusal(rules.check_instalment_plan, view(paused=True, disputed=True), plan(5000, 5000), NOW) == (
        ErrorType.INSTALMENTS_NOT_ALLOWED,
        "invoice is disputed: an instalment plan is not possible",
    )


def test_a_plan_that_does_not_add_up_is_invalid() -> None:
    code, message = refusal(rules.check_instalment_plan, view(), plan(5000, 4000), NOW)
    assert code == ErrorType.INVALID_INSTALMENTS
    assert "add up to 90.00 EUR" in message


def test_a_plan_whose_first_instalment_is_due_before_the_invoices_today_is_invalid() -> None:
    late = plan(5000, 5000, first="2025-01-05")
    code, message = refusal(rules.check_instalment_plan, view(), late, NOW)
    assert code == ErrorType.INVALID_INSTALMENTS
    assert "before today (2025-01-06)" in message


# The invoice's calendar


def test_an_invoice_day_begins_at_the_moment_of_issue() -> None:
    assert rules.invoice_instant(view(), date(2025, 1, 2)) == ISSUED + timedelta(days=1)


def test_an_invoice_with_short_days_counts_its_dates_in_them() -> None:
    assert rules.invoice_today(view(day_seconds=1.0), ISSUED + timedelta(seconds=3.5)) == date(2025, 1, 4)


# Reported payments: their ids and their times


@pytest.mark.parametrize("payment_id", ["camt053:E-1", "camt053:DE89:E-1", "balance:inv_1"])
def test_a_reported_payment_may_not_take_an_id_of_payinvoices_own_sources(payment_id: str) -> None:
    code, message = refusal(rules.check_reported_payment_id, payment_id)
    assert code == ErrorType.INVALID_REQUEST
    assert "payinvoice's own" in message


def test_a_reported_payment_id_of_its_own_passes() -> None:
    rules.check_reported_payment_id("pay_camt053:1")


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_a_reported_paid_at_lies_between_the_issue_and_a_little_after_now(paid_at: datetime) -> None:
    clamped = rules.reported_paid_at(view(), paid_at, NOW)
    assert ISSUED <= clamped <= NOW + rules.PAID_AT_SKEW
    if ISSUED <= paid_at <= NOW + rules.PAID_AT_SKEW:
        assert clamped == paid_at


def test_a_payment_counts_for_the_discount_when_paid() -> None:
    payment = RecordPaymentInput("p_1", 100, "EUR", paid_at=ISSUED + timedelta(days=1))
    assert rules.discount_time(payment, NOW) == ISSUED + timedelta(days=1)


def test_a_payment_reported_later_than_it_says_it_was_paid_counts_for_the_discount_when_received() -> None:
    payment = RecordPaymentInput("p_1", 100, "EUR", paid_at=ISSUED, received_at=NOW)
    assert rules.discount_time(payment, NOW) == NOW


def test_refuse_raises_the_checks_own_refusal() -> None:
    assert refusal(rules.refuse, rules.check_void, view(status=S.PAID)) == (
        ErrorType.INVOICE_NOT_VOIDABLE, "invoice is paid and cannot be voided",
    )


def test_refuse_does_not_let_a_request_through_that_its_check_passes() -> None:
    with pytest.raises(AssertionError, match="check_void"):
        rules.refuse(rules.check_void, view())


# What one invoice takes at most (its history and payloads stay bounded)


def _event(i: int) -> InvoiceEvent:
    return InvoiceEvent(at=ISSUED, kind="paused", who=WHO, details={"i": str(i)})


def test_a_payment_beyond_the_most_one_invoice_takes_is_refused() -> None:
    full = view(total=10**9, payments=[paid(1, f"p{i}") for i in range(rules.MAX_PAYMENTS)])

    code, message = refusal(rules.check_payment, full, RecordPaymentInput("p_new", 1, "EUR"))

    assert code == ErrorType.INVOICE_LIMIT_REACHED
    assert message == f"invoice already has {rules.MAX_PAYMENTS} payments, the most one invoice takes"


def test_a_payment_already_recorded_is_answered_even_at_the_limit() -> None:
    full = view(total=10**9, payments=[paid(1, f"p{i}") for i in range(rules.MAX_PAYMENTS)])
    rules.check_payment(full, RecordPaymentInput("p0", 1, "EUR"))  # no refusal


def test_a_change_beyond_the_most_events_one_invoice_takes_is_refused() -> None:
    full = view(events=[_event(i) for i in range(rules.MAX_EVENTS)])

    limit = ErrorType.INVOICE_LIMIT_REACHED
    assert refusal(rules.check_pause, full, PauseInput(WHO, "asked"), NOW)[0] == limit
    assert refusal(rules.check_extend, full, ExtendInput(WHO, "", by_days=7))[0] == limit


def test_a_refund_beyond_the_most_one_invoice_takes_is_refused() -> None:
    refunds = [Refund(f"r{i}", "p_1", 1, ISSUED) for i in range(rules.MAX_REFUNDS)]
    full = view(payments=[paid(10000)], refunds=refunds, status=S.PAID)

    code, _ = refusal(rules.check_refund, full, RefundInput("r_new", "p_1", 1))

    assert code == ErrorType.INVOICE_LIMIT_REACHED


def test_a_resend_beyond_the_most_one_invoice_takes_is_refused() -> None:
    sent = [ReminderSent("upcoming", ISSUED)]
    full = view(reminders=sent, resent_reminders=sent * rules.MAX_RESENT_REMINDERS)

    code, _ = refusal(rules.check_resend, full, ResendReminderInput("upcoming"))

    assert code == ErrorType.INVOICE_LIMIT_REACHED


def test_a_credit_note_on_an_invoice_that_weighs_the_most_it_carries_is_refused() -> None:
    # Few credit notes, but of many long lines: the counts alone would let it grow past 2 MB.
    line = PricedLine(Line("x" * 500, "1", 1, "0"), 1, 0)
    heavy = [
        CreditNote(f"cn{i}", f"CN-{i}", 1, "r", ISSUED, lines=[line] * 200) for i in range(12)
    ]
    full = view(total=10**9, credit_notes=heavy)

    code, message = refusal(rules.check_credit_note, full, CreditNoteInput("cn_new", 1, "again"))

    assert code == ErrorType.INVOICE_LIMIT_REACHED
    assert "bytes, the most one invoice carries" in message


def test_an_ordinary_invoice_is_not_weighed() -> None:
    rules.check_weight(view(payments=[paid(1, f"p{i}") for i in range(50)]))  # no refusal
