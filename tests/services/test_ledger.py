"""The ledger check (services/ledger.py) streams the merchant's invoices a chunk at a time beside
their ledger sums, in one query however many there are, and still finds every difference."""

import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState

from payinvoice.db.models import Invoice
from services import ledger
from tests.utils.factories import create_buyer, create_merchant_account, open_invoice


async def test_the_ledger_check_streams_the_invoices_in_chunks(
    api, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await create_merchant_account(api)
    buyer = await create_buyer(api, account["api_key"], credit_limit="5000.00")
    invoices = [await open_invoice(api, account["api_key"], buyer["id"]) for _ in range(5)]
    monkeypatch.setattr(ledger, "CHUNK", 2)  # five invoices: three chunks

    statements: list[str] = []

    def count(state: ORMExecuteState) -> None:
        statements.append(str(state.statement))

    async with sessions() as session:
        event.listen(session.sync_session, "do_orm_execute", count)
        assert (await ledger.ledger_check(session, account["id"])).consistent
    assert len(statements) == 2, statements  # the invoices with their ledger sums, the buyers

    # A figure the read model got wrong in the last chunk is still found.
    async with sessions() as session:
        await session.execute(
            update(Invoice).where(Invoice.id == invoices[-1]["id"]).values(amount_due=Invoice.amount_due + 1)
        )
        await session.commit()
    async with sessions() as session:
        checked = await ledger.ledger_check(session, account["id"])
    assert not checked.consistent
    assert [(d.subject, d.id, d.field) for d in checked.differences] == [
        ("invoice", invoices[-1]["id"], "amount_due")
    ]
