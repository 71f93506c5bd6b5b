"""Issuing activities: numbers without holes, a read model that never goes backwards."""

from datetime import UTC, datetime

from sqlalchemy import select
from temporalio.testing import ActivityEnvironment

from activities.issuing import IssuingActivities
from payinvoice.contracts import AssignNumberInput, LedgerKind, Movement, SaveInvoiceInput
from payinvoice.db.models import Invoice, LedgerEntry
from payinvoice.domain.reference import is_valid_creditor_reference
from payinvoice.domain.status import InvoiceStatus
from tests.utils.rows import invoice_view, merchant_and_buyer


async def test_a_retried_number_assignment_gets_the_same_number(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    issuing = IssuingActivities(sessions)
    request = AssignNumberInput(invoice_id=invoice_view(merchant, buyer).invoice_id, merchant_id=merchant.id)

    first = await ActivityEnvironment().run(issuing.assign_invoice_number, request)
    again = await ActivityEnvironment().run(issuing.assign_invoice_number, request)

    assert first == again
    assert first.number == "INV-000001"
    assert is_valid_creditor_reference(first.payment_reference)


async def test_each_invoice_of_a_merchant_gets_the_next_number(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    issuing = IssuingActivities(sessions)

    numbers = [
        (
            await ActivityEnvironment().run(
                issuing.assign_invoice_number,
                AssignNumberInput(invoice_view(merchant, buyer).invoice_id, merchant.id),
            )
        ).number
        for _ in range(3)
    ]

    assert numbers == ["INV-000001", "INV-000002", "INV-000003"]


async def test_an_older_snapshot_never_overwrites_a_newer_one(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    issuing = IssuingActivities(sessions)
    view = invoice_view(merchant, buyer)
    view.status, view.version = InvoiceStatus.PAID, 5
    await ActivityEnvironment().run(issuing.save_invoice, SaveInvoiceInput(view))

    view.status, view.version = InvoiceStatus.OPEN, 4
    await ActivityEnvironment().run(issuing.save_invoice, SaveInvoiceInput(view))

    async with sessions() as session:
        row = await session.get(Invoice, view.invoice_id)
        assert row is not None
        assert (row.status, row.version, row.document["status"]) == ("paid", 5, "paid")


async def test_a_retried_save_records_its_movements_in_the_ledger_once(sessions) -> None:
    merchant, buyer = await merchant_and_buyer(sessions)
    issuing = IssuingActivities(sessions)
    view = invoice_view(merchant, buyer)
    view.amount_paid, view.version = 1900, 2
    movement = Movement(LedgerKind.PAYMENT, 1900, "card", "pay-1", datetime.now(UTC))
    request = SaveInvoiceInput(view, movements=[movement])

    await ActivityEnvironment().run(issuing.save_invoice, request)
    await ActivityEnvironment().run(issuing.save_invoice, request)

    async with sessions() as session:
        query = select(LedgerEntry).where(LedgerEntry.invoice_id == view.invoice_id)
        rows = (await session.scalars(query)).all()
    assert [(r.kind, r.amount, r.source_id) for r in rows] == [("payment", 1900, "pay-1")]
