"""The merchant's company as its e-invoices state the seller (EN 16931 BG-4 and BG-6): legal
name, postal address, VAT id or tax number, registration, contact and electronic address."""

from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts.schemas import CompanyIO
from payinvoice.db.models import Merchant
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.identifiers import checked_email
from payinvoice.domain.parties import (
    Company,
    checked_address,
    checked_electronic_address,
    checked_tax_number,
    checked_vat_id,
)


def get_company(merchant: Merchant) -> CompanyIO:
    """The company in force; refused (404 `company_not_set`) until it is set."""
    if merchant.company is None:
        raise Refusal(ErrorType.COMPANY_NOT_SET, "the company data is not set: PUT /v1/settings/company")
    return CompanyIO.model_validate(Company.from_document(merchant.company).to_document())


async def set_company(session: AsyncSession, merchant: Merchant, body: CompanyIO) -> CompanyIO:
    """Set it whole; e-invoices made afterwards state it."""
    company = company_from_request(body)
    merchant.company = company.to_document()
    await session.commit()
    return CompanyIO.model_validate(company.to_document())


def company_from_request(body: CompanyIO) -> Company:
    """The company checked by the core's rules, each refusal naming its field (422)."""
    address = checked_address(**body.address.model_dump(), field="address")
    electronic = body.electronic_address
    return Company(
        legal_name=_text(body.legal_name, "legal_name"),
        address=address,
        contact_name=_text(body.contact.name, "contact.name"),
        contact_phone=_text(body.contact.phone, "contact.phone"),
        contact_email=_email(body.contact.email),
        vat_id=checked_vat_id(body.vat_id, address.country) if body.vat_id is not None else None,
        tax_number=(
            checked_tax_number(body.tax_number, address.country) if body.tax_number is not None else None
        ),
        registration=(body.registration or "").strip() or None,
        electronic_address=(
            None if electronic is None else checked_electronic_address(electronic.scheme, electronic.value)
        ),
    )


def _email(value: str) -> str:
    try:
        return checked_email(value.strip())
    except Refusal:
        raise Refusal(ErrorType.INVALID_EMAIL, f"contact.email {value!r} is not an email address") from None


def _text(value: str, field: str) -> str:
    if not value.strip():
        raise Refusal(ErrorType.INVALID_REQUEST, f"{field} must not be blank")
    return value.strip()
