"""The workflow's side of payinvoice.rules: a refused request fails its Update with an
ApplicationError whose `type` is the refusal's code (STYLE.md §3). Any other exception raised in a
handler would fail the workflow task instead, and retry it without end."""

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from payinvoice.domain.errors import Refusal

P = ParamSpec("P")
T = TypeVar("T")


def enforce(check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`check(*args, **kwargs)`, its refusal raised as the ApplicationError the caller reads."""
    try:
        return check(*args, **kwargs)
    except Refusal as refusal:
        raise ApplicationError(refusal.message, type=refusal.code, non_retryable=True) from None
