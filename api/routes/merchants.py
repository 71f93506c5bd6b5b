"""Merchants: created by the operator with the admin key; each gets one API key."""

import secrets
import uuid

from fastapi import APIRouter, Depends, status

from api.deps import SessionDep, hash_api_key, require_admin
from api.schemas import MerchantCreate, MerchantCreated
from payinvoice.db.models import Merchant
from payinvoice.domain.money import exponent

router = APIRouter(prefix="/v1/merchants", tags=["merchants"], dependencies=[Depends(require_admin)])


def new_api_key() -> str:
    return f"pi_{secrets.token_urlsafe(32)}"


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MerchantCreated)
async def create_merchant(body: MerchantCreate, session: SessionDep) -> MerchantCreated:
    exponent(body.currency)
    api_key = new_api_key()
    merchant = Merchant(
        id=str(uuid.uuid4()), name=body.name, api_key_hash=hash_api_key(api_key), currency=body.currency
    )
    session.add(merchant)
    await session.commit()
    return MerchantCreated(id=merchant.id, name=merchant.name, api_key=api_key)
