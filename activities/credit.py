"""Credit line activities: reserve, adjust and release what an invoice holds; suspend and
reinstate buyers; learn from settled invoices. Each is atomic and safe to run twice."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.issuing import new_invoice_number, numbered
from payinvoice.contracts import (
    AdjustCreditInput,
    BuyerCreditInput,
    CreditDecision,
    RecordSettlementInput,
    ReserveCreditInput,
)
from payinvoice.db.models import Buyer, CreditEvent, CreditReservation, Invoice, Merchant, Settlement, utcnow
from payinvoice.db.outbox import Outgoing, WebhookOutbox
from payinvoice.db.session import dialect_insert
from payinvoice.domain.credit import Assessment, Outcome, Rule, approval, decline
from payinvoice.domain.policy import next_limit, record_settlement
from payinvoice.domain.status import BuyerStatus, DeclineReason, InvoiceStatus
from payinvoice.views import buyer_out
from payinvoice.webhooks import EventType

# Suspensions the lifecycle sets and lifts; a merchant's own ("manual") is never lifted here.
AUTOMATIC_SUSPENSIONS = ("final_notice", "overdue")


class _CapReached(Exception):
    """The merchant's total exposure cap is full: undo the buyer's hold."""


def _decision(request: ReserveCreditInput, assessment: Assessment, limit: int, seen: int) -> CreditDecision:
    """What the decision saw (the buyer's limit, and `seen`: its exposure before this order) and
    what decided."""
    policy = request.policy
    return CreditDecision(
        outcome=assessment.outcome, rule=assessment.rule,
        reason=assessment.reason, limit=limit, exposure=seen,
        amount=request.amount, evaluated_at=utcnow(),
        policy_version=policy.version if policy else None,
    )


@dataclass(frozen=True)
class _Hold:
    """The buyer as its hold left it: `exposure` includes this order."""

    credit_limit: int
    exposure: int
    review_all: bool
    retry: bool  # the reservation had committed before: this is a retry of it


class CreditActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], webhooks: WebhookOutbox | None = None
    ) -> None:
        self._sessions = sessions
        self._webhooks = webhooks

    @activity.defn
    async def reserve_credit(self, request: ReserveCreditInput) -> CreditDecision:
        """Hold the amount on the buyer's line, and on the merchant's total when a cap applies,
        in conditional UPDATEs: racing checkouts can never push either over its limit. Asked to
        (`take_number`), an approval takes the invoice's number in the same transaction."""
        declined_externally = request.external_decision == "decline"
        try:
            async with self._sessions.begin() as session:
                hold = None if declined_externally else await self._hold(session, request)
                if hold is not None:
                    return await self._held(session, request, hold)
        except _CapReached:
            pass
        async with self._sessions() as session:
            buyer = await session.get(Buyer, request.buyer_id)
            merchant = await session.get(Merchant, request.merchant_id)
        if buyer is None or merchant is None:
            raise LookupError(f"buyer {request.buyer_id} of merchant {request.merchant_id} is gone")
        if declined_externally:
            assessment = Assessment(
                Outcome.DECLINED, Rule.EXTERNAL_CHECK, DeclineReason.EXTERNAL_CHECK_DECLINED
            )
        else:
            policy = request.policy
            assessment = decline(
                buyer_status=buyer.status, buyer_currency=buyer.currency,
                credit_limit=buyer.credit_limit, exposure=buyer.exposure, currency=request.currency,
                amount=request.amount, merchant_exposure=merchant.exposure,
                max_total_exposure=policy.max_total_exposure if policy else None,
            ) or Assessment(Outcome.DECLINED, Rule.CREDIT_LIMIT, DeclineReason.CREDIT_LIMIT_EXCEEDED)
        return _decision(request, assessment, buyer.credit_limit, seen=buyer.exposure)

    async def _held(self, session: AsyncSession, request: ReserveCreditInput, hold: _Hold) -> CreditDecision:
        """The decision on an order whose amount is held: approve, or wait for a person."""
        # An invoice with a number was approved by an attempt that committed: a retry keeps that.
        issued = await numbered(session, request.invoice_id) if request.take_number and hold.retry else None
        policy = request.policy
        assessment = Assessment(Outcome.APPROVED, Rule.WITHIN_LIMIT) if issued else approval(
            amount=request.amount, review_all=hold.review_all,
            auto_approve_up_to=policy.auto_approve_up_to if policy else None,
            external_review=request.external_decision == "review",
        )
        decision = _decision(request, assessment, hold.credit_limit, seen=hold.exposure - request.amount)
        if request.take_number and assessment.outcome == Outcome.APPROVED:
            decision.issued = issued or await new_invoice_number(
                session, request.invoice_id, request.merchant_id
            )
        return decision

    async def _hold(self, session: AsyncSession, request: ReserveCreditInput) -> _Hold | None:
        """Hold the amount (None: it does not fit), or find the hold a committed attempt made."""
        buyer_seen = (Buyer.credit_limit, Buyer.exposure, Buyer.review_all)
        if await session.get(CreditReservation, request.invoice_id) is not None:
            row = (await session.execute(select(*buyer_seen).where(Buyer.id == request.buyer_id))).first()
            if row is None:
                raise LookupError(f"buyer {request.buyer_id} is gone")
            return _Hold(*row, retry=True)
        held = (
            await session.execute(
                update(Buyer)
                .where(
                    Buyer.id == request.buyer_id,
                    Buyer.status == BuyerStatus.ACTIVE,
                    Buyer.currency == request.currency,
                    Buyer.exposure + request.amount <= Buyer.credit_limit,
                )
                .values(exposure=Buyer.exposure + request.amount)
                .returning(*buyer_seen)
            )
        ).first()
        if held is None:
            return None
        policy = request.policy
        counts_for_merchant = policy is not None and policy.currency == request.currency
        if counts_for_merchant:
            conditions = [Merchant.id == request.merchant_id]
            if policy is not None and policy.max_total_exposure is not None:
                conditions.append(Merchant.exposure + request.amount <= policy.max_total_exposure)
            on_merchant = await session.execute(
                update(Merchant).where(*conditions).values(exposure=Merchant.exposure + request.amount)
            )
            if on_merchant.rowcount != 1:  # type: ignore[attr-defined]
                raise _CapReached
        session.add(
            CreditReservation(
                invoice_id=request.invoice_id, buyer_id=request.buyer_id, amount=request.amount,
                version=0, merchant_id=request.merchant_id if counts_for_merchant else None,
            )
        )
        return _Hold(*held, retry=False)

    @activity.defn
    async def adjust_credit(self, request: AdjustCreditInput) -> None:
        """Set what the invoice holds to `amount`; older or repeated calls change nothing."""
        async with self._sessions.begin() as session:
            # Claiming the version first takes the row lock; RETURNING gives the amount before.
            claimed = (
                await session.execute(
                    update(CreditReservation)
                    .where(
                        CreditReservation.invoice_id == request.invoice_id,
                        CreditReservation.version < request.version,
                    )
                    .values(version=request.version)
                    .returning(
                        CreditReservation.buyer_id, CreditReservation.amount,
                        CreditReservation.merchant_id,
                    )
                )
            ).first()
            if claimed is None or claimed.amount == request.amount:
                return
            delta = claimed.amount - request.amount
            await session.execute(
                update(CreditReservation)
                .where(CreditReservation.invoice_id == request.invoice_id)
                .values(amount=request.amount)
            )
            await session.execute(
                update(Buyer).where(Buyer.id == claimed.buyer_id).values(exposure=Buyer.exposure - delta)
            )
            if claimed.merchant_id is not None:
                await session.execute(
                    update(Merchant)
                    .where(Merchant.id == claimed.merchant_id)
                    .values(exposure=Merchant.exposure - delta)
                )

    @activity.defn
    async def suspend_buyer(self, request: BuyerCreditInput) -> None:
        """No new credit until this buyer pays (final notice, or overdue past the policy's days)."""
        async with self._sessions.begin() as session:
            suspended = await session.execute(
                update(Buyer)
                .where(Buyer.id == request.buyer_id, Buyer.status == BuyerStatus.ACTIVE)
                .values(status=BuyerStatus.SUSPENDED, suspended_reason=request.reason)
            )
            if suspended.rowcount == 1:  # type: ignore[attr-defined]
                await self._event(
                    session, f"suspended:{request.invoice_id}", request.buyer_id, "suspended",
                    f"invoice {request.invoice_id}: {request.reason.replace('_', ' ')}",
                    request.invoice_id,
                )
            outgoing = await self._buyer_event(
                session, request.buyer_id, f"suspended:{request.invoice_id}",
                EventType.BUYER_CREDIT_SUSPENDED, new=suspended.rowcount == 1,  # type: ignore[attr-defined]
            )
        await self._dispatch(outgoing, request.day_seconds)

    @activity.defn
    async def reinstate_buyer(self, request: BuyerCreditInput) -> None:
        """Lift an automatic suspension unless another invoice still holds one.

        A suspension the merchant set by hand is left alone."""
        still_suspending = (
            select(Invoice.id)
            .where(
                Invoice.buyer_id == request.buyer_id,
                Invoice.id != request.invoice_id,
                Invoice.suspends_buyer.is_(True),
                Invoice.status.in_([InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE]),
            )
            .exists()
        )
        async with self._sessions.begin() as session:
            reinstated = await session.execute(
                update(Buyer)
                .where(
                    Buyer.id == request.buyer_id,
                    Buyer.suspended_reason.in_(AUTOMATIC_SUSPENSIONS),
                    ~still_suspending,
                )
                .values(status=BuyerStatus.ACTIVE, suspended_reason=None)
            )
            if reinstated.rowcount == 1:  # type: ignore[attr-defined]
                await self._event(
                    session, f"reinstated:{request.invoice_id}", request.buyer_id, "reinstated",
                    f"invoice {request.invoice_id} settled", request.invoice_id,
                )
            outgoing = await self._buyer_event(
                session, request.buyer_id, f"reinstated:{request.invoice_id}",
                EventType.BUYER_CREDIT_REINSTATED, new=reinstated.rowcount == 1,  # type: ignore[attr-defined]
            )
        await self._dispatch(outgoing, request.day_seconds)

    @activity.defn
    async def record_settlement(self, request: RecordSettlementInput) -> None:
        """Add a settled invoice to the buyer's payment record and let a policy limit learn."""
        async with self._sessions.begin() as session:
            learned = await self._learn(session, request)
            outgoing = await self._buyer_event(
                session, request.buyer_id, f"learned:{request.invoice_id}",
                EventType.BUYER_CREDIT_LIMIT_CHANGED, new=learned,
            )
        await self._dispatch(outgoing, request.day_seconds)

    async def _learn(self, session: AsyncSession, request: RecordSettlementInput) -> bool:
        """Record the settlement; True if the buyer's policy limit changed because of it."""
        # Written first: it takes the write lock, and a retry stops here.
        inserted = await session.execute(
            dialect_insert(session, Settlement)
            .values(
                invoice_id=request.invoice_id, buyer_id=request.buyer_id,
                days_late=request.days_late, settled_at=utcnow(),
            )
            .on_conflict_do_nothing()
            .returning(Settlement.invoice_id)
        )
        if inserted.first() is None:
            return False
        # FOR NO KEY UPDATE (`key_share=True`): the settlement just inserted holds a KEY SHARE
        # lock on the buyer (its foreign key), which FOR UPDATE would have to upgrade; two
        # settlements of one buyer then deadlocked (the scale-out test: 250 payments of one buyer).
        buyer = await session.scalar(
            select(Buyer).where(Buyer.id == request.buyer_id).with_for_update(key_share=True)
        )
        if buyer is None:
            return False
        record = record_settlement(buyer.payment_record(), request.days_late)
        buyer.invoices_paid, buyer.paid_on_time = record.invoices_paid, record.paid_on_time
        buyer.on_time_streak, buyer.total_days_late = record.on_time_streak, record.total_days_late
        buyer.worst_days_late = record.worst_days_late
        policy = request.policy
        if policy is None or buyer.limit_source != "policy" or policy.currency != buyer.currency:
            return False
        change = next_limit(buyer.credit_limit, record, request.days_late, policy)
        if change.reason is None:
            return False
        await self._event(
            session, f"learned:{request.invoice_id}", buyer.id, "limit_changed", change.reason,
            request.invoice_id, old_limit=buyer.credit_limit, new_limit=change.limit,
        )
        buyer.credit_limit = change.limit
        await session.flush()
        return True

    async def _buyer_event(
        self, session: AsyncSession, buyer_id: str, key: str, event_type: str, *, new: bool
    ) -> list[Outgoing]:
        """The webhook event caused by the credit event `key`: recorded in this transaction if the
        change is `new`, otherwise what a previous run of this activity recorded."""
        if self._webhooks is None:
            return []
        cause = f"buyer:{buyer_id}:{key}"
        if not new:
            return await self._webhooks.recorded(
                session, subject_id=buyer_id, cause=cause, types=[event_type]
            )
        buyer = await session.get(Buyer, buyer_id, populate_existing=True)
        if buyer is None:
            return []

        async def buyer_json() -> dict[str, Any]:
            return (await buyer_out(session, buyer)).model_dump(mode="json")

        return await self._webhooks.record(
            session, merchant_id=buyer.merchant_id, subject_id=buyer.id, cause=cause, types=[event_type],
            data=buyer_json,
        )

    async def _dispatch(self, outgoing: list[Outgoing], day_seconds: float) -> None:
        if self._webhooks is not None and outgoing:
            await self._webhooks.dispatch(outgoing, day_seconds, activity.info().task_queue)

    @staticmethod
    async def _event(
        session: AsyncSession, key: str, buyer_id: str, kind: str, reason: str, invoice_id: str | None,
        old_limit: int | None = None, new_limit: int | None = None,
    ) -> None:
        await session.execute(
            dialect_insert(session, CreditEvent)
            .values(
                key=key, buyer_id=buyer_id, kind=kind, reason=reason, invoice_id=invoice_id,
                old_limit=old_limit, new_limit=new_limit, created_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )

