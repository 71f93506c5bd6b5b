"""E-invoices of an invoice and of its credit notes (EN 16931: XRechnung CII or UBL, ZUGFeRD /
Factur-X, Peppol BIS Billing 3.0), built from the read model; what a format needs and the data
lacks is refused with the business terms it misses (`einvoice_incomplete`), never a broken file."""

import asyncio
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.contracts import InvoiceView
from payinvoice.db.models import Buyer, Merchant
from payinvoice.documents import InvoiceDocument
from payinvoice.domain.errors import ErrorType, Refusal, not_found
from payinvoice.domain.parties import EInvoiceFormat
from payinvoice.einvoice.build import BuyerData, EInvoiceIncomplete, SellerData, buyer_data, seller_data
from payinvoice.einvoice.files import EInvoiceFile, credit_note_file, invoice_file
from services.documents import load_document
from services.invoices import stored_invoice


class EInvoiceFormatName(StrEnum):
    """The formats as the API names them (`?format=`)."""

    XRECHNUNG_CII = "xrechnung-cii"
    XRECHNUNG_UBL = "xrechnung-ubl"
    ZUGFERD = "zugferd"
    PEPPOL = "peppol"


def einvoice_format(name: str | None, buyer: Buyer) -> EInvoiceFormat:
    """`xrechnung-cii` -> EInvoiceFormat.XRECHNUNG_CII; no name: the buyer's own format. An unknown
    name, or none for a buyer without a format, is refused."""
    formats = ", ".join(f.value for f in EInvoiceFormatName)
    if name is None:
        if buyer.einvoice_format in (None, "", EInvoiceFormat.NONE):
            message = f"the buyer has no e-invoice format: name one ({formats})"
            raise Refusal(ErrorType.UNKNOWN_EINVOICE_FORMAT, message)
        return EInvoiceFormat(buyer.einvoice_format)
    try:
        return EInvoiceFormat(EInvoiceFormatName(name).name.lower())
    except ValueError:
        raise Refusal(ErrorType.UNKNOWN_EINVOICE_FORMAT, f"format {name!r} is not one of {formats}") from None


def incomplete(error: EInvoiceIncomplete) -> Refusal:
    return Refusal(ErrorType.EINVOICE_INCOMPLETE, str(error))


@dataclass(frozen=True)
class _Sources:
    """What an e-invoice is built from: the document (with the account it names), the parties
    and the format chosen."""

    document: InvoiceDocument
    seller: SellerData
    buyer: BuyerData
    einvoice_format: EInvoiceFormat


async def _sources(
    session: AsyncSession, merchant: Merchant, view: InvoiceView, format_name: str | None, public_url: str
) -> _Sources:
    document = await load_document(session, view, public_url, merchant)
    buyer = await session.get(Buyer, view.buyer_id)
    assert buyer is not None  # load_document found it
    chosen = einvoice_format(format_name, buyer)
    await session.commit()  # no pooled connection waits for the printer
    return _Sources(document, seller_data(merchant, document.seller), buyer_data(buyer), chosen)


async def invoice_einvoice(
    session: AsyncSession, merchant: Merchant, invoice_id: str, format_name: str | None, public_url: str
) -> EInvoiceFile:
    """The invoice's e-invoice in the format named `format_name` (None: the buyer's); refused
    before the invoice is issued."""
    view = await stored_invoice(session, merchant, invoice_id)
    sources = await _sources(session, merchant, view, format_name, public_url)
    if view.number is None:
        raise Refusal(ErrorType.INVOICE_NOT_ISSUED, "the invoice has no number yet: no e-invoice")
    try:
        return await asyncio.to_thread(
            invoice_file, sources.document, sources.seller, sources.buyer, sources.einvoice_format
        )
    except EInvoiceIncomplete as error:
        raise incomplete(error) from None


async def credit_note_einvoice(
    session: AsyncSession,
    merchant: Merchant,
    invoice_id: str,
    credit_note_id: str,
    format_name: str | None,
    public_url: str,
) -> EInvoiceFile:
    """The e-invoice (type 381, referencing its invoice) of the invoice's credit note whose id or
    number is `credit_note_id`, in the format named `format_name` (None: the buyer's)."""
    view = await stored_invoice(session, merchant, invoice_id)
    note = next((n for n in view.credit_notes if credit_note_id in (n.credit_note_id, n.number)), None)
    if note is None:
        raise not_found(ErrorType.CREDIT_NOTE_NOT_FOUND)
    sources = await _sources(session, merchant, view, format_name, public_url)
    try:
        return await asyncio.to_thread(
            credit_note_file, sources.document, note.number, sources.seller, sources.buyer,
            sources.einvoice_format,
        )
    except EInvoiceIncomplete as error:
        raise incomplete(error) from None
