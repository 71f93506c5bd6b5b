"""Merchants: created by the operator with the admin key; each gets its first (merchant) API key."""

import uuid

from fastapi import APIRouter, Depends, status

from api.deps import SessionDep, require_admin
from api.routes.buyers import checked_email
from api.schemas import MerchantCreate, MerchantCreated
from payinvoice.db.models import Merchant
from payinvoice.domain.money import exponent
from payinvoice.keys import Role, add_key

router = APIRouter(prefix="/v1/merchants", tags=["merchants"], dependencies=[Depends(require_admin)])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MerchantCreated)
async def create_merchant(body: MerchantCreate, session: SessionDep) -> MerchantCreated:
    exponent(body.currency)
    merchant = Merchant(
        id=str(uuid.uuid4()), name=body.name, currency=body.currency,
        email=checked_email(body.email) if body.email is not None else None,
    )
    session.add(merchant)
    await session.flush()
    # Its first key: a merchant key, the one that makes the other keys (POST /v1/keys).
    _, api_key, _ = add_key(session, merchant.id, Role.MERCHANT)
    await session.commit()
    return MerchantCreated(id=merchant.id, name=merchant.name, api_key=api_key)
