"""Importing a bank statement at scale (services/reconciliation.py): a camt.053 file of 40,000
entries imports on PostgreSQL, whose statements take at most 32,767 parameters (the entries'
references and the invoice numbers they quote are looked up in chunks, never in one IN list)."""

import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from payinvoice.db.models import BankEntry, Merchant
from services.reconciliation import import_statement, read_statement
from tests.utils.camt053 import Entry, camt053
from tests.utils.credit import get_invoice
from tests.utils.factories import create_buyer, create_merchant_account, open_invoice

ENTRIES = 40_000


async def test_a_statement_of_40000_entries_imports_on_postgresql(
    api, database_url: str, sessions: async_sessionmaker[AsyncSession], temporal_client: Client
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the 32,767-parameter limit is PostgreSQL's; SQLite runs the same chunks")
    account = await create_merchant_account(api)
    key = account["api_key"]
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    # Every entry quotes an invoice number of its own (40,000 numbers to look up) and has its own
    # bank reference (40,000 references); one of them pays the real invoice.
    entries = [
        Entry(amount="1.00", ref=f"BIG{n:08d}", remittance=[f"INV-{900000 + n:06d}"])
        for n in range(ENTRIES - 1)
    ]
    entries.append(Entry(amount=invoice["total"], ref="BIG-PAYS", remittance=[invoice["number"]]))
    statement = read_statement(camt053(entries))
    assert len(statement.entries) == ENTRIES

    started = time.monotonic()
    async with sessions() as session:
        merchant = await session.get(Merchant, account["id"])
        assert merchant is not None
        imported = await import_statement(temporal_client, session, merchant, statement)
    took = time.monotonic() - started

    assert imported.counts["matched"] == 1, imported.counts
    assert imported.counts["unmatched"] == ENTRIES - 1
    assert (await get_invoice(api, key, invoice["id"]))["status"] == "paid"
    async with sessions() as session:
        stored = await session.scalar(
            select(func.count())
            .select_from(BankEntry)
            .where(BankEntry.merchant_id == merchant.id, BankEntry.entry_ref.like("BIG%"))
        )
    assert stored == ENTRIES
    print(f"imported {ENTRIES} entries in {took:.1f} s")
