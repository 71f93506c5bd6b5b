"""Merchants: created by the operator with the admin key; each gets its first (merchant) API key."""

from fastapi import APIRouter, Depends, status

from api.deps import SessionDep, require_admin
from payinvoice.contracts.schemas import MerchantCreate, MerchantCreated
from services import merchants

router = APIRouter(prefix="/v1/merchants", tags=["merchants"], dependencies=[Depends(require_admin)])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MerchantCreated)
async def create_merchant(body: MerchantCreate, session: SessionDep) -> MerchantCreated:
    return await merchants.create_merchant(session, body)
