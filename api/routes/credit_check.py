"""The merchant's external credit check endpoint: set, read (never the secret back) and remove."""

from fastapi import APIRouter, Response, status

from api.deps import CurrentMerchant, SessionDep, SettingsDep
from payinvoice.contracts.schemas import CreditCheckSettingsIn, CreditCheckSettingsOut
from services import credit_check

router = APIRouter(prefix="/v1/settings/credit-check", tags=["settings"])


@router.put("", response_model=CreditCheckSettingsOut)
async def put_credit_check(
    body: CreditCheckSettingsIn, session: SessionDep, merchant: CurrentMerchant, settings: SettingsDep
) -> CreditCheckSettingsOut:
    return await credit_check.set_credit_check(session, settings, merchant, body)


@router.get("", response_model=CreditCheckSettingsOut)
async def get_credit_check(session: SessionDep, merchant: CurrentMerchant) -> CreditCheckSettingsOut:
    return await credit_check.get_credit_check(session, merchant)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_credit_check(session: SessionDep, merchant: CurrentMerchant) -> Response:
    await credit_check.remove_credit_check(session, merchant)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
