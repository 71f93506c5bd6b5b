"""The credit rule: may this buyer take on this amount, and if not, why not."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from payinvoice.domain.credit import decline_reason
from payinvoice.domain.status import BuyerStatus, DeclineReason


def decide(**overrides: Any) -> DeclineReason | None:
    values: dict[str, Any] = {
        "buyer_status": "active",
        "buyer_currency": "EUR",
        "credit_limit": 10_000,
        "exposure": 0,
        "currency": "EUR",
        "amount": 1_000,
    }
    values.update(overrides)
    return decline_reason(**values)


def test_an_active_buyer_within_limit_in_its_currency_is_accepted() -> None:
    assert decide() is None


def test_an_amount_that_exactly_fills_the_limit_fits() -> None:
    assert decide(credit_limit=10_000, exposure=7_000, amount=3_000) is None


def test_one_minor_unit_over_the_limit_is_declined() -> None:
    assert decide(credit_limit=10_000, exposure=7_000, amount=3_001) == DeclineReason.CREDIT_LIMIT_EXCEEDED


def test_existing_exposure_counts_against_the_limit() -> None:
    assert decide(credit_limit=10_000, exposure=9_500, amount=1_000) == DeclineReason.CREDIT_LIMIT_EXCEEDED


def test_a_zero_limit_declines_any_positive_amount() -> None:
    assert decide(credit_limit=0, amount=1) == DeclineReason.CREDIT_LIMIT_EXCEEDED


def test_a_suspended_buyer_is_declined() -> None:
    assert decide(buyer_status=BuyerStatus.SUSPENDED) == DeclineReason.BUYER_SUSPENDED


def test_any_status_other_than_active_counts_as_suspended() -> None:
    assert decide(buyer_status="closed") == DeclineReason.BUYER_SUSPENDED


def test_a_currency_other_than_the_buyers_is_declined() -> None:
    assert decide(currency="USD") == DeclineReason.CURRENCY_MISMATCH


def test_suspension_is_reported_before_a_currency_mismatch() -> None:
    assert decide(buyer_status="suspended", currency="USD") == DeclineReason.BUYER_SUSPENDED


def test_suspension_is_reported_before_the_limit() -> None:
    assert decide(buyer_status="suspended", amount=20_000) == DeclineReason.BUYER_SUSPENDED


def test_currency_mismatch_is_reported_before_the_limit() -> None:
    assert decide(currency="USD", amount=20_000) == DeclineReason.CURRENCY_MISMATCH


def test_a_currency_mismatch_is_declined_even_within_limit() -> None:
    assert decide(currency="GBP", amount=1) == DeclineReason.CURRENCY_MISMATCH


amounts = st.integers(min_value=0, max_value=10**15)


@settings(max_examples=200)
@given(limit=amounts, exposure=amounts, amount=amounts)
def test_an_active_buyer_is_declined_exactly_when_the_limit_would_be_exceeded(
    limit: int, exposure: int, amount: int
) -> None:
    reason = decide(credit_limit=limit, exposure=exposure, amount=amount)
    expected = DeclineReason.CREDIT_LIMIT_EXCEEDED if exposure + amount > limit else None
    assert reason == expected
