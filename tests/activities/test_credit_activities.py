"""Credit activities are atomic and safe to run twice."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.credit import CreditActivities
from payinvoice.contracts import AdjustCreditInput, BuyerCreditInput, ReserveCreditInput
from payinvoice.db.models import Buyer
from tests.utils.rows import merchant_and_buyer


async def exposure(sessions: async_sessionmaker[AsyncSession], buyer_id: str) -> int:
    async with sessions() as session:
        buyer = await session.get(Buyer, buyer_id)
        assert buyer is not None
        return buyer.exposure


async def test_a_retried_reservation_holds_the_amount_once(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    credit = CreditActivities(sessions)
    request = ReserveCreditInput(
        invoice_id=str(uuid.uuid4()), merchant_id=merchant.id, buyer_id=buyer.id, currency="EUR", amount=500
    )

    first = await ActivityEnvironment().run(credit.reserve_credit, request)
    again = await ActivityEnvironment().run(credit.reserve_credit, request)

    assert first.outcome == again.outcome == "approved"
    assert await exposure(sessions, buyer.id) == 500


async def test_a_reservation_over_the_limit_is_declined_and_holds_nothing(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions, credit_limit=1000)
    credit = CreditActivities(sessions)

    decision = await ActivityEnvironment().run(
        credit.reserve_credit,
        ReserveCreditInput(str(uuid.uuid4()), merchant.id, buyer.id, currency="EUR", amount=1001),
    )

    assert (decision.outcome, decision.reason, decision.rule) == (
        "declined", "credit_limit_exceeded", "credit_limit"
    )
    assert (decision.limit, decision.exposure, decision.amount) == (1000, 0, 1001)
    assert await exposure(sessions, buyer.id) == 0


async def test_an_approval_asked_for_a_number_takes_the_next_one_once(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    credit = CreditActivities(sessions)
    request = ReserveCreditInput(
        str(uuid.uuid4()), merchant.id, buyer.id, currency="EUR", amount=500, take_number=True
    )

    first = await ActivityEnvironment().run(credit.reserve_credit, request)
    again = await ActivityEnvironment().run(credit.reserve_credit, request)

    assert first.issued is not None and first.issued.number == "INV-000001"
    assert again.issued == first.issued
    assert first.issued.payment_reference.startswith("RF")


async def test_a_declined_order_takes_no_number(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions, credit_limit=1000)
    credit = CreditActivities(sessions)
    declined = ReserveCreditInput(
        str(uuid.uuid4()), merchant.id, buyer.id, currency="EUR", amount=1001, take_number=True
    )
    approved = ReserveCreditInput(
        str(uuid.uuid4()), merchant.id, buyer.id, currency="EUR", amount=1000, take_number=True
    )

    assert (await ActivityEnvironment().run(credit.reserve_credit, declined)).issued is None
    issued = (await ActivityEnvironment().run(credit.reserve_credit, approved)).issued

    assert issued is not None and issued.number == "INV-000001"  # no hole left by the decline


async def test_an_order_waiting_for_review_takes_no_number(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    credit = CreditActivities(sessions)
    request = ReserveCreditInput(
        str(uuid.uuid4()), merchant.id, buyer.id, currency="EUR", amount=500,
        external_decision="review", take_number=True,
    )

    decision = await ActivityEnvironment().run(credit.reserve_credit, request)

    assert (decision.outcome, decision.issued) == ("review", None)


async def test_adjusting_credit_twice_or_out_of_order_changes_it_once(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    credit = CreditActivities(sessions)
    invoice_id = str(uuid.uuid4())
    await ActivityEnvironment().run(
        credit.reserve_credit, ReserveCreditInput(invoice_id, merchant.id, buyer.id, "EUR", 1000)
    )

    await ActivityEnvironment().run(credit.adjust_credit, AdjustCreditInput(invoice_id, 400, version=2))
    await ActivityEnvironment().run(credit.adjust_credit, AdjustCreditInput(invoice_id, 400, version=2))
    await ActivityEnvironment().run(credit.adjust_credit, AdjustCreditInput(invoice_id, 900, version=1))

    assert await exposure(sessions, buyer.id) == 400


async def test_a_manual_suspension_is_not_lifted_by_a_payment(sessions) -> None:
    _, buyer = await merchant_and_buyer(sessions)
    async with sessions.begin() as session:
        row = await session.get(Buyer, buyer.id)
        assert row is not None
        row.status, row.suspended_reason = "suspended", "manual"
    credit = CreditActivities(sessions)

    await ActivityEnvironment().run(credit.reinstate_buyer, BuyerCreditInput(buyer.id, str(uuid.uuid4())))

    async with sessions() as session:
        assert (await session.get(Buyer, buyer.id)).status == "suspended"
