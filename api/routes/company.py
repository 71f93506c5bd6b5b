"""The merchant's company: the seller its e-invoices (XRechnung, ZUGFeRD, Peppol) state."""

from fastapi import APIRouter

from api.deps import CurrentMerchant, SessionDep
from payinvoice.contracts.schemas import CompanyIO
from services import company

router = APIRouter(prefix="/v1/settings/company", tags=["settings"])


@router.get("", response_model=CompanyIO)
async def get_company(merchant: CurrentMerchant) -> CompanyIO:
    """The company in force; 404 `company_not_set` until it is set."""
    return company.get_company(merchant)


@router.put("", response_model=CompanyIO)
async def put_company(body: CompanyIO, session: SessionDep, merchant: CurrentMerchant) -> CompanyIO:
    """Set it whole; e-invoices made afterwards state it."""
    return await company.set_company(session, merchant, body)
