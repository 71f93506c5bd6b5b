"""The merchant's bank details, printed on its invoices and in their EPC QR codes."""

from fastapi import APIRouter
from stdnum import bic as stdnum_bic
from stdnum.exceptions import ValidationError

from api.deps import CurrentMerchant, SessionDep
from api.errors import ApiError
from api.routes.buyers import checked_iban
from api.schemas import BankDetailsIn, BankDetailsOut
from payinvoice.db.models import Merchant

router = APIRouter(prefix="/v1/settings/bank-details", tags=["settings"])


def checked_bic(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return stdnum_bic.validate(value)
    except ValidationError:
        raise ApiError(422, "invalid_bic", f"{value!r} is not a valid BIC") from None


def _out(merchant: Merchant) -> BankDetailsOut:
    return BankDetailsOut(
        iban=merchant.iban, bic=merchant.bic, legal_name=merchant.legal_name, address=merchant.address
    )


@router.get("", response_model=BankDetailsOut)
async def get_bank_details(merchant: CurrentMerchant) -> BankDetailsOut:
    return _out(merchant)


@router.put("", response_model=BankDetailsOut)
async def put_bank_details(
    body: BankDetailsIn, session: SessionDep, merchant: CurrentMerchant
) -> BankDetailsOut:
    """Replace all four fields (an omitted one is cleared). Invoices show the details in force
    when they are printed."""
    merchant.iban = checked_iban(body.iban)
    merchant.bic = checked_bic(body.bic)
    merchant.legal_name = " ".join(body.legal_name.split()) if body.legal_name else None
    merchant.address = body.address.strip() if body.address and body.address.strip() else None
    session.add(merchant)
    await session.commit()
    return _out(merchant)
