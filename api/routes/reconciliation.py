"""Bank statements: import a camt.053 file, and resolve by hand the entries it could not match."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from api.deps import CurrentMerchant, SessionDep, TemporalDep
from payinvoice.contracts.schemas import (
    StatementImportOut,
    UnmatchedApplyIn,
    UnmatchedDismissIn,
    UnmatchedEntryOut,
    UnmatchedList,
)
from payinvoice.domain.errors import ErrorType, Refusal
from services.reconciliation import (
    apply_unmatched,
    dismiss_unmatched,
    import_statement,
    list_unmatched,
    read_statement,
    unmatched_out,
)

router = APIRouter(prefix="/v1/reconciliation", tags=["reconciliation"])

STATEMENT_PATH = "/v1/reconciliation/camt053"
# The largest statement accepted (413 `payload_too_large` above it): thousands of entries.
MAX_STATEMENT_BYTES = 5 * 1024 * 1024
XML_TYPES = ("application/xml", "text/xml")

_XML_BODY = {
    "requestBody": {
        "required": True,
        "description": "An ISO 20022 camt.053 statement (camt.053.001.02 to .13), at most 5 MiB.",
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in XML_TYPES},
    }
}


@router.post("/camt053", response_model=StatementImportOut, openapi_extra=_XML_BODY)
async def import_camt053(
    request: Request, session: SessionDep, merchant: CurrentMerchant, client: TemporalDep
) -> StatementImportOut:
    """Match each credit entry to an invoice and pay it; the rest go to the unmatched queue.
    The same statement again applies nothing twice (its entries answer `already_imported`)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in XML_TYPES:
        raise Refusal(ErrorType.UNSUPPORTED_MEDIA_TYPE, "send the statement as application/xml")
    statement = read_statement(await request.body())
    return await import_statement(client, session, merchant, statement)


@router.get("/unmatched", response_model=UnmatchedList)
async def get_unmatched(
    session: SessionDep,
    merchant: CurrentMerchant,
    status: Annotated[Literal["open", "applied", "dismissed", "all"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> UnmatchedList:
    """Entries no rule matched, newest first, with the reason."""
    rows = await list_unmatched(session, merchant, status, limit)
    return UnmatchedList(data=[unmatched_out(row) for row in rows])


@router.post("/unmatched/{entry_id}/apply", response_model=UnmatchedEntryOut)
async def apply_entry(
    entry_id: str, body: UnmatchedApplyIn, session: SessionDep, merchant: CurrentMerchant,
    client: TemporalDep,
) -> UnmatchedEntryOut:
    """Pay the entry to `invoice_id`, or to the oldest open invoice of `buyer_id`; once."""
    row = await apply_unmatched(
        client, session, merchant, entry_id, invoice_id=body.invoice_id, buyer_id=body.buyer_id
    )
    return unmatched_out(row)


@router.post("/unmatched/{entry_id}/dismiss", response_model=UnmatchedEntryOut)
async def dismiss_entry(
    entry_id: str, body: UnmatchedDismissIn, session: SessionDep, merchant: CurrentMerchant
) -> UnmatchedEntryOut:
    """Take the entry off the queue without paying anything (a refund, a transfer of our own)."""
    return unmatched_out(await dismiss_unmatched(session, merchant, entry_id, body.reason))
