"""Invoice statuses: what is still due, what was overpaid, and which moves each status allows."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.money import MAX_MINOR
from payinvoice.domain.status import (
    EXPOSED,
    FINAL,
    PAYABLE,
    BuyerStatus,
    DeclineReason,
    InvoiceStatus,
    amount_due,
    overpaid_amount,
)
from payinvoice.rules import CHANGEABLE

S = InvoiceStatus


def test_status_values_are_their_lowercase_names() -> None:
    assert {s.value for s in InvoiceStatus} == {
        "pending", "pending_review", "declined", "open", "overdue", "uncollectible", "paid", "void",
    }


def test_statuses_compare_equal_to_their_string_values() -> None:
    assert S.OPEN == "open"
    assert BuyerStatus.SUSPENDED == "suspended"
    assert DeclineReason.CREDIT_LIMIT_EXCEEDED == "credit_limit_exceeded"


def test_amount_due_is_total_minus_paid() -> None:
    assert amount_due(1000, 300) == 700


def test_amount_due_is_zero_when_paid_in_full() -> None:
    assert amount_due(1000, 1000) == 0


def test_amount_due_is_never_negative_when_overpaid() -> None:
    assert amount_due(1000, 1500) == 0


def test_overpaid_amount_is_paid_beyond_the_total() -> None:
    assert overpaid_amount(1000, 1500) == 500


def test_overpaid_amount_is_zero_when_not_overpaid() -> None:
    assert overpaid_amount(1000, 300) == 0
    assert overpaid_amount(1000, 1000) == 0


amounts = st.integers(min_value=0, max_value=MAX_MINOR)


@settings(max_examples=200)
@given(total=amounts, paid=amounts)
def test_amount_due_and_overpaid_reconcile_with_the_total(total: int, paid: int) -> None:
    due, over = amount_due(total, paid), overpaid_amount(total, paid)
    assert due >= 0
    assert over >= 0
    assert due == 0 or over == 0
    assert due + paid - over == total


def test_payable_statuses_are_open_overdue_and_uncollectible() -> None:
    assert PAYABLE == {S.OPEN, S.OVERDUE, S.UNCOLLECTIBLE}


def test_voidable_statuses_are_open_and_overdue() -> None:
    assert CHANGEABLE == {S.OPEN, S.OVERDUE}


def test_exposed_statuses_are_pending_in_review_open_and_overdue() -> None:
    assert EXPOSED == {S.PENDING, S.PENDING_REVIEW, S.OPEN, S.OVERDUE}


def test_final_statuses_are_declined_paid_and_void() -> None:
    assert FINAL == {S.DECLINED, S.PAID, S.VOID}


def test_every_voidable_status_is_payable() -> None:
    assert CHANGEABLE <= PAYABLE


@pytest.mark.parametrize("status", sorted(FINAL))
def test_a_final_status_allows_neither_payment_nor_void_nor_exposure(status: InvoiceStatus) -> None:
    assert status not in PAYABLE | CHANGEABLE | EXPOSED


def test_uncollectible_is_still_payable_but_no_longer_exposed_or_voidable() -> None:
    assert S.UNCOLLECTIBLE in PAYABLE
    assert S.UNCOLLECTIBLE not in EXPOSED | CHANGEABLE | FINAL


def test_pending_counts_against_credit_but_cannot_be_paid_or_voided() -> None:
    assert S.PENDING in EXPOSED
    assert S.PENDING not in PAYABLE | CHANGEABLE | FINAL


def test_status_sets_are_immutable() -> None:
    assert all(isinstance(group, frozenset) for group in (PAYABLE, CHANGEABLE, EXPOSED, FINAL))
