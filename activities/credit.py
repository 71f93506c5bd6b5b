"""Credit line activities: reserve, adjust and release what an invoice holds; suspend, reinstate."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from payinvoice.contracts import (
    AdjustCreditInput,
    BuyerCreditInput,
    CreditDecision,
    ReserveCreditInput,
)
from payinvoice.db.models import Buyer, CreditReservation, Invoice
from payinvoice.domain.credit import decline_reason
from payinvoice.domain.status import BuyerStatus, InvoiceStatus

FINAL_NOTICE = "final_notice"


class CreditActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
    async def reserve_credit(self, request: ReserveCreditInput) -> CreditDecision:
        """Hold `amount` on the buyer's line in one conditional UPDATE, so racing checkouts
        can never push exposure over the limit."""
        async with self._sessions.begin() as session:
            if await session.get(CreditReservation, request.invoice_id) is not None:
                return CreditDecision(approved=True)  # a retry of a reservation that committed
            held = await session.execute(
                update(Buyer)
                .where(
                    Buyer.id == request.buyer_id,
                    Buyer.status == BuyerStatus.ACTIVE,
                    Buyer.currency == request.currency,
                    Buyer.exposure + request.amount <= Buyer.credit_limit,
                )
                .values(exposure=Buyer.exposure + request.amount)
            )
            if held.rowcount == 1:  # type: ignore[attr-defined]
                session.add(
                    CreditReservation(
                        invoice_id=request.invoice_id, buyer_id=request.buyer_id,
                        amount=request.amount, version=0,
                    )
                )
                return CreditDecision(approved=True)
            buyer = await session.get(Buyer, request.buyer_id)
        if buyer is None:
            return CreditDecision(approved=False, decline_reason="buyer_suspended")
        reason = decline_reason(
            buyer_status=buyer.status, buyer_currency=buyer.currency,
            credit_limit=buyer.credit_limit, exposure=buyer.exposure,
            currency=request.currency, amount=request.amount,
        )
        # The update missed but the re-read fits: the line moved in between; decline safely.
        return CreditDecision(approved=False, decline_reason=str(reason or "credit_limit_exceeded"))

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
                    .returning(CreditReservation.buyer_id, CreditReservation.amount)
                )
            ).first()
            if claimed is None or claimed.amount == request.amount:
                return
            await session.execute(
                update(CreditReservation)
                .where(CreditReservation.invoice_id == request.invoice_id)
                .values(amount=request.amount)
            )
            await session.execute(
                update(Buyer)
                .where(Buyer.id == claimed.buyer_id)
                .values(exposure=Buyer.exposure - (claimed.amount - request.amount))
            )

    @activity.defn
    async def suspend_buyer(self, request: BuyerCreditInput) -> None:
        """Final notice: no new credit until this buyer pays."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Buyer)
                .where(Buyer.id == request.buyer_id, Buyer.status == BuyerStatus.ACTIVE)
                .values(status=BuyerStatus.SUSPENDED, suspended_reason=FINAL_NOTICE)
            )

    @activity.defn
    async def reinstate_buyer(self, request: BuyerCreditInput) -> None:
        """Lift a final-notice suspension unless another invoice is still past its final notice.

        A suspension the merchant set by hand is left alone."""
        still_past_final_notice = (
            select(Invoice.id)
            .where(
                Invoice.buyer_id == request.buyer_id,
                Invoice.id != request.invoice_id,
                Invoice.final_notice_sent.is_(True),
                Invoice.status.in_([InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE]),
            )
            .exists()
        )
        async with self._sessions.begin() as session:
            await session.execute(
                update(Buyer)
                .where(
                    Buyer.id == request.buyer_id,
                    Buyer.suspended_reason == FINAL_NOTICE,
                    ~still_past_final_notice,
                )
                .values(status=BuyerStatus.ACTIVE, suspended_reason=None)
            )
