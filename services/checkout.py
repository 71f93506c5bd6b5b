"""The checkout: decide and reserve the buyer's credit while the shop waits, then issue.

`create_invoice` is the whole use case: validate the order, freeze what is in force now (policy,
ladder, terms, discount, late interest) into the workflow's input, start the invoice's workflow
(or join the one already running for this order) and wait for its decision.
"""

import asyncio
import logging
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from payinvoice.balances import balance_of
from payinvoice.contracts import (
    CheckoutRequest,
    InvoiceInput,
    InvoiceView,
    from_document,
    invoice_id_for,
    invoice_workflow_id,
    new_invoice_view,
)
from payinvoice.contracts.schemas import InvoiceCreate
from payinvoice.db.models import Buyer, CreditCheckSettings, Invoice, Merchant
from payinvoice.domain.discount import EarlyPaymentDiscount, parse_discount
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.late_interest import LateInterest
from payinvoice.domain.lines import Line, check_tax_categories, parse_line
from payinvoice.domain.money import exponent, from_minor
from payinvoice.domain.policy import CreditPolicy
from payinvoice.domain.schedule import ReminderStage
from payinvoice.domain.status import InvoiceStatus
from payinvoice.observability import record_decision
from payinvoice.settings import Settings
from services.buyers import get_own_buyer
from services.dunning import ladder_in_force
from services.invoices import find_by_order
from services.policies import policy_in_force
from services.temporal import started_invoice
from workflows.invoice import InvoiceWorkflow

log = logging.getLogger(__name__)

# Decisions still running after their checkout answered; held so they are not collected.
_pending_decisions: set[asyncio.Future[Any]] = set()


class CheckoutOutcome(StrEnum):
    DECIDED = "decided"  # approved and issued, or declined, while the shop waited
    REPEATED = "repeated"  # the same order again: the same invoice
    PENDING = "pending"  # the decision is still running, or waits for a person's review


@dataclass(frozen=True)
class Checkout:
    outcome: CheckoutOutcome
    invoice: InvoiceView


async def create_invoice(
    client: Client, session: AsyncSession, settings: Settings, merchant: Merchant, body: InvoiceCreate
) -> Checkout:
    """The checkout: the credit decision and, if approved, the issued invoice."""
    lines = checked_lines(body)  # a repeat of an order with a body that is not valid is refused too
    existing = await find_by_order(session, merchant, body.order_id)
    if existing is not None:
        return Checkout(CheckoutOutcome.REPEATED, existing)
    buyer = await get_own_buyer(session, merchant, body.buyer_id)
    policy = await policy_in_force(session, merchant)
    ladder = await ladder_in_force(session, merchant, buyer)
    balance = await balance_of(session, buyer.id)
    external = await external_check_configured(session, merchant)
    invoice = checkout_input(
        body, lines, merchant, buyer, policy, settings, ladder, balance, external_check=external
    )
    await session.close()  # hold no connection while the decision is made
    started = time.perf_counter()
    memo = invoice_memo(invoice, merchant, buyer)
    outcome, view = await _decide(client, session, invoice, settings, memo)
    if outcome != CheckoutOutcome.REPEATED:  # a repeat joined a decision counted already
        record_decision(
            view.status, time.perf_counter() - started,
            invoice_id=view.invoice_id, workflow_id=invoice_workflow_id(view.invoice_id),
        )
    return Checkout(outcome, view)


def checked_lines(body: InvoiceCreate) -> list[Line]:
    """The checkout's currency and lines, validated: bad input raises, even for a repeated order."""
    exponent(body.currency)
    return [
        parse_line(
            line.description, line.quantity, line.unit_price, line.tax_rate, body.currency, i,
            tax_category=line.tax_category, exemption_reason=line.exemption_reason,
        )
        for i, line in enumerate(body.lines)
    ]  # fmt: skip


async def external_check_configured(session: AsyncSession, merchant: Merchant) -> bool:
    """Whether the merchant has an external credit check: frozen into the invoice, so that the
    decision for a merchant without one does not spend a local activity finding that out."""
    return await session.get(CreditCheckSettings, merchant.id) is not None


def checkout_input(
    body: InvoiceCreate,
    lines: list[Line],
    merchant: Merchant,
    buyer: Buyer,
    policy: CreditPolicy,
    settings: Settings,
    ladder: Sequence[ReminderStage],
    buyer_balance: int = 0,
    external_check: bool = True,
) -> InvoiceInput:
    """The workflow's input from the checkout body and its `checked_lines`; bad input raises before
    anything runs. The policy, ladder, late interest and early-payment discount in force now are
    frozen into the invoice; a buyer with a credit balance has it applied at issue."""
    check_tax_categories(lines, buyer.vat_id)
    terms = body.payment_terms_days if body.payment_terms_days is not None else buyer.payment_terms_days
    invoice = InvoiceInput(
        invoice_id=invoice_id_for(merchant.id, body.order_id),
        merchant_id=merchant.id,
        buyer_id=buyer.id,
        order_id=body.order_id,
        currency=body.currency,
        lines=lines,
        payment_terms_days=terms,
        created_at=datetime.now(UTC),
        request_id=str(uuid.uuid4()),
        purchase_order=body.purchase_order,
        ladder=list(ladder),
        day_seconds=settings.day_seconds,
        policy=policy,
        external_check=external_check,
        refund_window_days=settings.refund_window_days,
        hosted_token=secrets.token_urlsafe(24),  # 192 random bits: the hosted page's only key
        late_interest=LateInterest(**merchant.late_interest) if merchant.late_interest else None,
        early_payment_discount=early_payment_discount(body, buyer, terms),
        apply_balance=buyer_balance > 0,
    )
    new_invoice_view(invoice)  # prices the lines: refuses totals out of range
    return invoice


def early_payment_discount(body: InvoiceCreate, buyer: Buyer, terms: int) -> EarlyPaymentDiscount | None:
    """The invoice's own discount, else the buyer's; checked against the invoice's terms."""
    if body.early_payment_discount is not None:
        offer = body.early_payment_discount
        return parse_discount(offer.percent, offer.days, terms)
    if buyer.early_payment_discount:
        offer = EarlyPaymentDiscount(**buyer.early_payment_discount)
        return parse_discount(offer.percent, offer.days, terms) if offer.days < terms else None
    return None


def invoice_memo(invoice: InvoiceInput, merchant: Merchant, buyer: Buyer) -> dict[str, Any]:
    """The human summary the Temporal UI shows beside the workflow. It names the buyer, so it
    lives in the memo, which the payload codec encrypts, never in ids or search attributes."""
    total = new_invoice_view(invoice).total
    return {
        "summary": {
            "merchant": merchant.name,
            "buyer": buyer.name,
            "buyer_email": buyer.email,
            "order_id": invoice.order_id,
            "total": f"{from_minor(total, invoice.currency)} {invoice.currency}",
        }
    }


async def _decide(
    client: Client,
    session: AsyncSession,
    invoice: InvoiceInput,
    settings: Settings,
    memo: dict[str, Any] | None = None,
) -> tuple[CheckoutOutcome, InvoiceView]:
    """Start the invoice's workflow (or join the one already running for this order) and wait
    for its credit decision."""
    start = WithStartWorkflowOperation(
        InvoiceWorkflow.run,
        invoice,
        id=invoice_workflow_id(invoice.invoice_id),
        task_queue=settings.temporal_task_queue,
        memo=memo,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A finished invoice is never started again: its order is answered from the read model.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    decision = asyncio.ensure_future(
        client.execute_update_with_start_workflow(
            InvoiceWorkflow.checkout,
            CheckoutRequest(request_id=invoice.request_id),
            start_workflow_operation=start,
        )
    )
    try:
        # Shielded: a slow decision answers 202, but the start request itself always completes.
        result = await asyncio.wait_for(asyncio.shield(decision), settings.decision_timeout_seconds)
    except TimeoutError:
        _pending_decisions.add(decision)
        decision.add_done_callback(partial(_decision_done, invoice.invoice_id))
        return CheckoutOutcome.PENDING, new_invoice_view(invoice)
    except WorkflowAlreadyStartedError:
        row = await session.get(Invoice, invoice.invoice_id)
        if row is None:
            raise Refusal(ErrorType.ORDER_IN_PROGRESS, "this order is being processed") from None
        return CheckoutOutcome.REPEATED, from_document(row.document)
    except RPCError:
        # Under load a retried start can find the workflow it started with its first task timed
        # out, and Temporal refuses the update until that task recovers: the workflow exists
        # and decides on its own, which is what 202 says.
        started = await started_invoice(client, invoice.invoice_id)
        if started is None:
            raise
        return CheckoutOutcome.PENDING, started
    if not result.created:
        return CheckoutOutcome.REPEATED, result.invoice
    waiting = result.invoice.status == InvoiceStatus.PENDING_REVIEW
    return (CheckoutOutcome.PENDING if waiting else CheckoutOutcome.DECIDED), result.invoice


def _decision_done(invoice_id: str, decision: asyncio.Future[Any]) -> None:
    """A decision the checkout stopped waiting for. Its workflow decides whether or not this
    wait ends well (a retried start can find its first workflow task failed, and the update is
    then refused), so a failure here is worth a line, not an alarm."""
    _pending_decisions.discard(decision)
    if not decision.cancelled() and decision.exception() is not None:
        log.info("checkout %s stopped waiting for its decision: %s", invoice_id, decision.exception())
