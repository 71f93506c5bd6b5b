"""Instalment plans: the amount due split into dated parts that are paid oldest first.

A plan is validated once (`parse_plan`) and then read against the total paid so far: payments
fill the instalments in order, so the invoice is paid when the last one is.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.money import MoneyError, from_minor, to_minor

MAX_INSTALMENTS = 24
MIN_INSTALMENTS = 2
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Between a ladder step's key and the number of the instalment it belongs to.
LABEL_SEPARATOR = "-i"


@dataclass(frozen=True)
class Instalment:
    """One part of a plan: `number` from 1, `due_date` as an ISO date, `amount` in minor units."""

    number: int
    due_date: str
    amount: int


class InstalmentError(Refusal, ValueError):
    """A plan that cannot be accepted; the message names the instalment (`instalments[1].amount`)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorType.INVALID_INSTALMENTS, message)


def parse_plan(
    items: Sequence[tuple[str, str]],
    currency: str,
    amount_due: int,
    today: date,
    max_instalments: int = MAX_INSTALMENTS,
) -> tuple[Instalment, ...]:
    """Validate (due_date, amount) pairs as sent: 2 to `max_instalments` of them, due dates
    (YYYY-MM-DD) strictly increasing and the first not before `today`, amounts > 0 in `currency`
    adding up to exactly `amount_due`."""
    if not MIN_INSTALMENTS <= len(items) <= max_instalments:
        raise InstalmentError(
            f"instalments: a plan has {MIN_INSTALMENTS} to {max_instalments} instalments, not {len(items)}"
        )
    plan: list[Instalment] = []
    previous: date | None = None
    for index, (due_text, amount_text) in enumerate(items):
        where = f"instalments[{index}]"
        due = _date(due_text, f"{where}.due_date")
        if previous is None and due < today:
            raise InstalmentError(f"{where}.due_date {due} is before today ({today})")
        if previous is not None and due <= previous:
            raise InstalmentError(
                f"{where}.due_date {due} must be after the previous instalment's ({previous})"
            )
        try:
            amount = to_minor(amount_text, currency, f"{where}.amount")
        except MoneyError as error:
            raise InstalmentError(error.message) from None
        if amount <= 0:
            raise InstalmentError(f"{where}.amount must be greater than 0")
        plan.append(Instalment(number=index + 1, due_date=due.isoformat(), amount=amount))
        previous = due
    total = sum(instalment.amount for instalment in plan)
    if total != amount_due:
        raise InstalmentError(
            f"instalments: the amounts add up to {from_minor(total, currency)} {currency},"
            f" not the amount due of {from_minor(amount_due, currency)} {currency}"
        )
    return tuple(plan)


def allocate(plan: Sequence[Instalment], paid: int) -> list[int]:
    """How much of `paid` goes to each instalment, in plan order (oldest first); each gets at
    most its amount, and whatever is paid beyond the plan's total is left out."""
    left = max(paid, 0)
    shares = []
    for instalment in plan:
        share = min(instalment.amount, left)
        shares.append(share)
        left -= share
    return shares


def next_unpaid(plan: Sequence[Instalment], paid: int) -> Instalment | None:
    """The oldest instalment `paid` does not cover in full, or None when the plan is paid."""
    for instalment, share in zip(plan, allocate(plan, paid), strict=True):
        if share < instalment.amount:
            return instalment
    return None


def step_label(key: str, number: int) -> str:
    """A ladder step's key (or stage name) for one instalment: unique on the invoice, and fit
    for a Message-ID and a header (`overdue_1-i2`)."""
    return f"{key}{LABEL_SEPARATOR}{number}"


def split_label(label: str, plan_size: int) -> tuple[str, int] | None:
    """(key, instalment number) of a label `step_label` made for a plan of `plan_size`; None for
    any other label."""
    key, separator, number = label.rpartition(LABEL_SEPARATOR)
    if separator and key and number.isdigit() and 1 <= int(number) <= plan_size:
        return key, int(number)
    return None


def _date(text: str, field: str) -> date:
    if isinstance(text, str) and _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise InstalmentError(f"{field} {text!r} is not a date (YYYY-MM-DD)")
