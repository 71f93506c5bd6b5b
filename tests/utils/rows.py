"""Rows made straight in the database, for activity tests that run without the API."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from payinvoice.contracts import InvoiceInput, InvoiceView, new_invoice_view
from payinvoice.db.models import Buyer, Merchant
from payinvoice.domain.lines import Line


async def merchant_and_buyer(
    sessions: async_sessionmaker[AsyncSession], credit_limit: int = 100_000, email: str | None = None
) -> tuple[Merchant, Buyer]:
    merchant = Merchant(id=str(uuid.uuid4()), name="Widgets GmbH")
    buyer = Buyer(
        id=str(uuid.uuid4()), merchant_id=merchant.id, external_id="b-1", name="Ada Buyer",
        email=email or f"ada-{uuid.uuid4().hex[:8]}@example.com", currency="EUR",
        credit_limit=credit_limit, exposure=0, payment_terms_days=30, status="active",
    )
    async with sessions.begin() as session:
        session.add(merchant)
        await session.flush()
        session.add(buyer)
    return merchant, buyer


def invoice_view(merchant: Merchant, buyer: Buyer) -> InvoiceView:
    return new_invoice_view(
        InvoiceInput(
            invoice_id=str(uuid.uuid4()), merchant_id=merchant.id, buyer_id=buyer.id,
            order_id=f"order-{uuid.uuid4()}", currency="EUR",
            lines=[Line("Widget", "2", 5000, "19")], payment_terms_days=30,
            created_at=datetime.now(UTC), request_id="r-1",
        )
    )
