"""Merchants: their creation by the operator, with the first (merchant) API key, and the bank
details printed on their invoices and in the invoices' EPC QR codes."""

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from payinvoice.contracts import (
    MERCHANT_NOTICE_WORKFLOW,
    BankDetailsChangedInput,
    merchant_notice_workflow_id,
)
from payinvoice.contracts.schemas import BankDetailsIn, BankDetailsOut, MerchantCreate, MerchantCreated
from payinvoice.db.models import Merchant, utcnow
from payinvoice.domain.identifiers import checked_bic, checked_email, checked_iban, masked_iban
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


async def set_bank_details(
    session: AsyncSession, client: Client, task_queue: str, merchant: Merchant, body: BankDetailsIn
) -> BankDetailsOut:
    """Replace all four fields (an omitted one is cleared). They apply to the invoices issued
    from now on (each invoice keeps those it was issued with), and a change of the account is
    emailed to the merchant: changing it is what a stolen key would do first."""
    before = (merchant.iban, merchant.bic, merchant.legal_name)
    merchant.iban = checked_iban(body.iban)
    merchant.bic = checked_bic(body.bic)
    merchant.legal_name = " ".join(body.legal_name.split()) if body.legal_name else None
    merchant.address = body.address.strip() if body.address and body.address.strip() else None
    changed = before != (merchant.iban, merchant.bic, merchant.legal_name)
    session.add(merchant)
    await session.commit()
    if changed:
        await _notify_bank_details_changed(client, task_queue, merchant, before[0])
    return get_bank_details(merchant)


async def _notify_bank_details_changed(
    client: Client, task_queue: str, merchant: Merchant, iban_before: str | None
) -> None:
    notice = BankDetailsChangedInput(
        merchant_id=merchant.id, notice_id=str(uuid.uuid4()), changed_at=utcnow(),
        account_before=masked_iban(iban_before), account_after=masked_iban(merchant.iban),
    )
    try:
        await client.start_workflow(
            MERCHANT_NOTICE_WORKFLOW, notice, task_queue=task_queue,
            id=merchant_notice_workflow_id(merchant.id, notice.notice_id),
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except Exception:  # the change stands (it is committed); only its notice is lost: say so
        logging.getLogger(__name__).exception("merchant %s: bank details change not notified", merchant.id)
