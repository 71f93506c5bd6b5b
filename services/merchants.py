"""Merchants: their creation by the operator, with the first (merchant) API key, and the bank
details printed on their invoices and in the invoices' EPC QR codes."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts.schemas import BankDetailsIn, BankDetailsOut, MerchantCreate, MerchantCreated
from payinvoice.db.models import Merchant
from payinvoice.domain.identifiers import checked_bic, checked_email, checked_iban
from payinvoice.domain.money import exponent
from payinvoice.keys import Role, add_key


async def create_merchant(session: AsyncSession, body: MerchantCreate) -> MerchantCreated:
    """A new merchant and its first key: a merchant key, the one that makes the other keys."""
    exponent(body.currency)
    merchant = Merchant(
        id=str(uuid.uuid4()), name=body.name, currency=body.currency,
        email=checked_email(body.email) if body.email is not None else None,
    )
    session.add(merchant)
    await session.flush()
    _, api_key, _ = add_key(session, merchant.id, Role.MERCHANT)
    await session.commit()
    return MerchantCreated(id=merchant.id, name=merchant.name, api_key=api_key)


def get_bank_details(merchant: Merchant) -> BankDetailsOut:
    return BankDetailsOut(
        iban=merchant.iban, bic=merchant.bic, legal_name=merchant.legal_name, address=merchant.address
    )


async def set_bank_details(session: AsyncSession, merchant: Merchant, body: BankDetailsIn) -> BankDetailsOut:
    """Replace all four fields (an omitted one is cleared). Invoices show the details in force
    when they are printed."""
    merchant.iban = checked_iban(body.iban)
    merchant.bic = checked_bic(body.bic)
    merchant.legal_name = " ".join(body.legal_name.split()) if body.legal_name else None
    merchant.address = body.address.strip() if body.address and body.address.strip() else None
    session.add(merchant)
    await session.commit()
    return get_bank_details(merchant)
