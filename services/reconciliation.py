"""Bank statements as the API applies them: the parsed entries are matched (pure rules in
payinvoice.reconciliation) and each matched one is paid through services.payments, the one payment
path. Every entry is remembered by its bank reference, so a statement imported twice (or an
import retried after a failure) applies nothing twice.

A matched entry is first recorded as `applying` with its invoice, then paid, then marked
`matched`: an import interrupted in between resumes that same payment (its payment id makes it
count once) instead of matching the entry afresh. No transaction is held while a workflow runs.
"""

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from payinvoice.contracts import InvoiceView, RecordPaymentInput, from_document
from payinvoice.contracts.schemas import StatementEntryOut, StatementImportOut, UnmatchedEntryOut
from payinvoice.db.models import BankEntry, Buyer, Invoice, Merchant
from payinvoice.domain.errors import ErrorType, Refusal, not_found
from payinvoice.domain.money import from_minor
from payinvoice.domain.reference import invoice_number_from_reference
from payinvoice.domain.status import PAYABLE
from payinvoice.reconciliation.camt053 import Statement, StatementEntry, StatementError, parse_statement
from payinvoice.reconciliation.matching import (
    InvoiceCandidate,
    KnownBuyer,
    Match,
    creditor_references,
    identified_buyers,
    invoice_numbers_in,
    match_entry,
)
from services.buyers import get_own_buyer
from services.invoices import stored_invoice
from services.payments import apply_payment, payment_input

OUTCOMES = ("matched", "unmatched", "already_imported", "ignored_debit")
APPLYING, MATCHED, UNMATCHED = "applying", "matched", "unmatched"


def read_statement(data: bytes) -> Statement:
    try:
        return parse_statement(data)
    except StatementError as error:
        raise Refusal(ErrorType.INVALID_STATEMENT, str(error)) from None


def payment_id_for(row: BankEntry) -> str:
    """The same bank entry is always the same payment, whichever invoice it ends up paying."""
    return f"camt053:{row.account}:{row.entry_ref}" if row.account else f"camt053:{row.entry_ref}"


async def import_statement(
    client: Client, session: AsyncSession, merchant: Merchant, statement: Statement
) -> StatementImportOut:
    credits = [e for e in statement.entries if e.credit]
    known = await _known(session, merchant, credits)
    candidates, buyers = await _candidates(session, merchant, [e for e in credits if _key(e) not in known])
    entries: list[StatementEntryOut] = []
    for entry in statement.entries:
        if not entry.credit:
            entries.append(_entry_out(entry, "ignored_debit"))
            continue
        row = known.get(_key(entry))
        fresh = row is None
        if row is None:
            row, fresh = await _record(session, merchant, statement, entry, list(candidates.values()), buyers)
            known[_key(entry)] = row
        if row.outcome == APPLYING:  # matched just now, or by an import interrupted before paying
            view = await _settle_import(client, session, merchant, row)
            if view is not None and view.invoice_id in candidates:
                candidates[view.invoice_id] = _candidate_after(candidates[view.invoice_id], view)
            fresh = True
        entries.append(_row_out(entry, row, row.outcome if fresh else "already_imported"))
    counts = {name: sum(e.outcome == name for e in entries) for name in OUTCOMES}
    return StatementImportOut(statement_id=statement.statement_id, entries=entries, counts=counts)


async def _record(
    session: AsyncSession, merchant: Merchant, statement: Statement, entry: StatementEntry,
    candidates: Sequence[InvoiceCandidate], buyers: Sequence[KnownBuyer],
) -> tuple[BankEntry, bool]:
    """Match the entry and remember it; False when a concurrent import remembered it first."""
    row = _new_row(merchant, statement, entry, match_entry(entry, candidates, buyers))
    session.add(row)
    try:
        await session.commit()
        return row, True
    except IntegrityError:
        await session.rollback()
        return await _stored(session, merchant, entry), False


async def _settle_import(
    client: Client, session: AsyncSession, merchant: Merchant, row: BankEntry
) -> InvoiceView | None:
    """Pay a matched entry's invoice; when the invoice refuses it the entry goes unmatched."""
    assert row.invoice_id is not None
    view, reason = await _pay(client, session, merchant, row, row.invoice_id)
    if reason is None:
        row.outcome = MATCHED
    else:
        row.outcome, row.matched_by, row.invoice_id, row.reason = UNMATCHED, None, None, reason[:500]
    await session.commit()
    return view


async def _pay(
    client: Client, session: AsyncSession, merchant: Merchant, row: BankEntry, invoice_id: str
) -> tuple[InvoiceView | None, str | None]:
    """Apply the entry to the invoice: the invoice after it, or why it was refused."""
    view = await stored_invoice(session, merchant, invoice_id)
    await session.commit()  # hold no transaction while the workflow applies the payment
    try:
        payment = _payment(view, row)
        # Taken now or kept durably for when a worker runs: either way the entry is paid.
        return (await apply_payment(client, session, merchant, view, payment)).view, None
    except Refusal as error:  # the domain's (MoneyError...) and the workflow's alike
        return None, f"{error.code}: {error.message}"
    except WorkflowUpdateFailedError as error:
        if not isinstance(error.cause, ApplicationError):
            raise
        return None, f"{error.cause.type}: {error.cause.message}"


def _payment(view: InvoiceView, row: BankEntry) -> RecordPaymentInput:
    return payment_input(
        view, payment_id=payment_id_for(row), amount=from_minor(row.amount, row.currency),
        currency=row.currency, paid_at=row.booked_at, method="bank_transfer", reported=False,
    )


# The unmatched queue


async def list_unmatched(
    session: AsyncSession, merchant: Merchant, status: str, limit: int
) -> Sequence[BankEntry]:
    query = select(BankEntry).where(BankEntry.merchant_id == merchant.id, BankEntry.outcome == UNMATCHED)
    if status == "open":
        query = query.where(BankEntry.resolution.is_(None))
    elif status != "all":
        query = query.where(BankEntry.resolution == status)
    order = (BankEntry.created_at.desc(), BankEntry.id.desc())
    return list(await session.scalars(query.order_by(*order).limit(limit)))


async def apply_unmatched(
    client: Client, session: AsyncSession, merchant: Merchant, entry_id: str, *,
    invoice_id: str | None, buyer_id: str | None,
) -> BankEntry:
    """Pay an unmatched entry to the given invoice, or to the buyer's oldest open invoice. Once:
    the entry is claimed for that invoice before the payment, and released if it is refused."""
    if (invoice_id is None) == (buyer_id is None):
        raise Refusal(ErrorType.INVALID_REQUEST, "give either invoice_id or buyer_id")
    row = await _own_unmatched(session, merchant, entry_id)
    if row.resolution not in (None, APPLYING):
        raise _resolved()
    if invoice_id is not None:
        view = await stored_invoice(session, merchant, invoice_id)
    else:
        view = await _oldest_open(session, merchant, buyer_id or "")
    payment = _payment(view, row)  # a payment the invoice cannot take is refused before the claim
    claim = (BankEntry.resolution.is_(None)) | (
        (BankEntry.resolution == APPLYING) & (BankEntry.invoice_id == view.invoice_id)
    )
    if not await _change(session, row, claim, resolution=APPLYING, invoice_id=view.invoice_id):
        raise _resolved()
    try:
        await apply_payment(client, session, merchant, view, payment)
    except Exception:
        mine = (BankEntry.resolution == APPLYING) & (BankEntry.invoice_id == view.invoice_id)
        await _change(session, row, mine, resolution=None, invoice_id=None)
        raise
    await _change(session, row, BankEntry.resolution == APPLYING, resolution="applied", resolved_at=_now())
    await session.refresh(row)
    return row


async def dismiss_unmatched(
    session: AsyncSession, merchant: Merchant, entry_id: str, reason: str
) -> BankEntry:
    row = await _own_unmatched(session, merchant, entry_id)
    fields = {"resolution": "dismissed", "resolution_note": reason, "resolved_at": _now()}
    if not await _change(session, row, BankEntry.resolution.is_(None), **fields):
        raise _resolved()
    await session.refresh(row)
    return row


def unmatched_out(row: BankEntry) -> UnmatchedEntryOut:
    return UnmatchedEntryOut(
        id=row.id, statement_id=row.statement_id, account=row.account, entry_ref=row.entry_ref,
        amount=from_minor(row.amount, row.currency), currency=row.currency, booked_at=row.booked_at,
        debtor_name=row.debtor_name, debtor_iban=row.debtor_iban, references=row.references,
        remittance=row.remittance, reason=row.reason, status=row.resolution or "open",  # type: ignore[arg-type]
        invoice_id=row.invoice_id, resolution_note=row.resolution_note, resolved_at=row.resolved_at,
        created_at=row.created_at,
    )


async def _own_unmatched(session: AsyncSession, merchant: Merchant, entry_id: str) -> BankEntry:
    row = await session.get(BankEntry, entry_id)
    if row is None or row.merchant_id != merchant.id or row.outcome != UNMATCHED:
        raise not_found(ErrorType.UNMATCHED_ENTRY_NOT_FOUND)
    return row


async def _change(session: AsyncSession, row: BankEntry, condition: object, **values: object) -> bool:
    """A conditional UPDATE of the row, committed; False when the condition no longer held."""
    result = await session.execute(
        update(BankEntry).where(BankEntry.id == row.id, condition).values(**values)  # type: ignore[arg-type]
    )
    await session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _resolved() -> Refusal:
    return Refusal(ErrorType.ALREADY_RESOLVED, "this entry was already applied or dismissed")


async def _oldest_open(session: AsyncSession, merchant: Merchant, buyer_id: str) -> InvoiceView:
    buyer = await get_own_buyer(session, merchant, buyer_id)
    row = await session.scalar(
        select(Invoice)
        .where(Invoice.buyer_id == buyer.id, Invoice.status.in_(PAYABLE))
        .order_by(Invoice.created_at, Invoice.id)
        .limit(1)
    )
    if row is None:
        raise Refusal(ErrorType.NO_OPEN_INVOICE, "the buyer has no open invoice")
    return from_document(row.document)


# Import helpers


def _key(entry: StatementEntry) -> tuple[str, str]:
    return entry.account, entry.entry_ref


async def _known(
    session: AsyncSession, merchant: Merchant, entries: Sequence[StatementEntry]
) -> dict[tuple[str, str], BankEntry]:
    known: dict[tuple[str, str], BankEntry] = {}
    for refs in _chunks(sorted({e.entry_ref for e in entries})):
        rows = await session.scalars(
            select(BankEntry).where(BankEntry.merchant_id == merchant.id, BankEntry.entry_ref.in_(refs))
        )
        known.update(((r.account, r.entry_ref), r) for r in rows)
    return known


# Values bound in one IN list at most: PostgreSQL (asyncpg) takes 32,767 parameters a statement,
# and a statement may carry tens of thousands of entries.
IN_CHUNK = 5000


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


async def _stored(session: AsyncSession, merchant: Merchant, entry: StatementEntry) -> BankEntry:
    row = await session.scalar(
        select(BankEntry).where(
            BankEntry.merchant_id == merchant.id, BankEntry.account == entry.account,
            BankEntry.entry_ref == entry.entry_ref,
        )
    )
    assert row is not None
    return row


async def _candidates(
    session: AsyncSession, merchant: Merchant, entries: Sequence[StatementEntry]
) -> tuple[dict[str, InvoiceCandidate], list[KnownBuyer]]:
    """The merchant's invoices the entries could pay: those they name (payment references are
    the RF form of invoice numbers) and the open ones of the buyers the debtors are."""
    rows = await session.execute(
        select(Buyer.id, Buyer.name, Buyer.iban).where(Buyer.merchant_id == merchant.id)
    )
    buyers = [KnownBuyer(buyer_id=i, name=n, iban=b) for i, n, b in rows]
    numbers: set[str] = set()
    for entry in entries:
        numbers.update(invoice_numbers_in(entry.remittance))
        numbers.update(n for r in creditor_references(entry) if (n := invoice_number_from_reference(r)))
    debtors = {b.buyer_id for e in entries for b in identified_buyers(e, buyers)}
    wanted = [Invoice.number.in_(chunk) for chunk in _chunks(sorted(numbers))]
    wanted += [
        and_(Invoice.buyer_id.in_(chunk), Invoice.status.in_(PAYABLE)) for chunk in _chunks(sorted(debtors))
    ]
    candidates: dict[str, InvoiceCandidate] = {}
    for condition in wanted:  # one query per chunk of numbers or debtors
        invoices = await session.scalars(select(Invoice).where(Invoice.merchant_id == merchant.id, condition))
        candidates.update(
            (i.id, InvoiceCandidate(
                invoice_id=i.id, number=i.number, payment_reference=i.document.get("payment_reference"),
                buyer_id=i.buyer_id, currency=i.currency, amount_due=i.amount_due, status=i.status,
                created_at=i.created_at,
            ))
            for i in invoices
        )  # fmt: skip
    return dict(sorted(candidates.items(), key=lambda item: (item[1].created_at, item[0]))), buyers


def _candidate_after(candidate: InvoiceCandidate, view: InvoiceView) -> InvoiceCandidate:
    """The invoice as the payment left it, so a later entry does not match it again by amount."""
    return replace(candidate, amount_due=view.amount_due(), status=view.status)


def _new_row(merchant: Merchant, statement: Statement, entry: StatementEntry, match: Match) -> BankEntry:
    return BankEntry(
        id=str(uuid.uuid4()), merchant_id=merchant.id, statement_id=statement.statement_id[:100],
        account=entry.account[:64], entry_ref=entry.entry_ref, amount=entry.minor, currency=entry.currency,
        booked_at=entry.booked_at, debtor_name=(entry.debtor_name or "")[:200] or None,
        debtor_iban=(entry.debtor_iban or "")[:34] or None, references=list(entry.references),
        remittance=list(entry.remittance), outcome=APPLYING if match.invoice_id else UNMATCHED,
        matched_by=match.matched_by, invoice_id=match.invoice_id,
        reason=match.reason[:500] if match.reason else None,
    )


def _entry_out(entry: StatementEntry, outcome: str) -> StatementEntryOut:
    return StatementEntryOut(
        entry_ref=entry.entry_ref, amount=str(entry.amount), currency=entry.currency,
        outcome=outcome,  # type: ignore[arg-type]
    )


def _row_out(entry: StatementEntry, row: BankEntry, outcome: str) -> StatementEntryOut:
    out = _entry_out(entry, outcome)
    out.matched_by = row.matched_by  # type: ignore[assignment]
    out.invoice_id = row.invoice_id
    out.unmatched_id = row.id if row.outcome == UNMATCHED else None
    out.reason = row.reason
    return out


def _now() -> datetime:
    return datetime.now(UTC)
