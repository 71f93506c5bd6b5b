"""The merchant's Stripe integration: the signing secret of its Stripe webhook endpoint, stored
(never shown again), read as whether and when it was set, and removed."""

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.db.models import Merchant, StripeIntegration, utcnow
from payinvoice.db.session import dialect_insert


async def set_webhook_secret(session: AsyncSession, merchant: Merchant, webhook_secret: str) -> datetime:
    """Store or replace the secret in one atomic upsert; returns when it was set."""
    now = utcnow()
    values = {"webhook_secret": webhook_secret, "updated_at": now}
    insert = dialect_insert(session, StripeIntegration).values(merchant_id=merchant.id, **values)
    await session.execute(
        insert.on_conflict_do_update(index_elements=[StripeIntegration.merchant_id], set_=values)
    )
    await session.commit()
    return now


async def webhook_secret_set_at(session: AsyncSession, merchant: Merchant) -> datetime | None:
    """When the secret was last set; None when the integration is not configured."""
    row = await session.get(StripeIntegration, merchant.id)
    return row.updated_at if row else None


async def remove_webhook_secret(session: AsyncSession, merchant: Merchant) -> None:
    """Events posted afterwards are refused (`invalid_signature`); removing none is no error."""
    await session.execute(delete(StripeIntegration).where(StripeIntegration.merchant_id == merchant.id))
    await session.commit()
