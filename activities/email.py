"""The email activity: render an invoice email and hand it to SMTP, at most once per Message-ID."""

import asyncio
import functools
import gc
import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from payinvoice.adjustments import find_credit_note
from payinvoice.contracts import EmailKind, EmailResult, SendEmailInput, from_document
from payinvoice.db import models
from payinvoice.db.pdf_archive import archive_pdf
from payinvoice.db.session import dialect_insert
from payinvoice.documents import (
    InvoiceDocument,
    credit_note_filename,
    document_for,
    pdf_filename,
    receipt_filename,
    render_credit_note_pdf,
    render_pdf_if_changed,
    render_receipt_pdf,
    warm_pdf_engine,
)
from payinvoice.domain.parties import EInvoiceFormat
from payinvoice.einvoice.build import EInvoiceIncomplete, buyer_data, seller_data
from payinvoice.einvoice.files import PDF as EINVOICE_PDF
from payinvoice.einvoice.files import EInvoiceFile, credit_note_file, invoice_file
from payinvoice.emails import Recipient, attach_pdf, message_id, render_email


@dataclass(frozen=True)
class MailSettings:
    smtp_host: str
    smtp_port: int
    mail_from: str
    public_url: str

    @property
    def domain(self) -> str:
        return self.mail_from.rpartition("@")[2] or "payinvoice.local"


def permanent_rejection(error: Exception) -> str | None:
    """The server's reason if it refused for good (5xx); None if trying again may succeed."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        if codes and all(code >= 500 for code in codes):
            return "; ".join(f"{r.code} {r.message}" for r in error.recipients)
        return None
    if isinstance(error, aiosmtplib.SMTPResponseException) and error.code >= 500:
        return f"{error.code} {error.message}"
    return None


async def send_message(mail: MailSettings, message: EmailMessage) -> str | None:
    """Hand one message to SMTP: None once the server took it, or the server's reason when it
    refused for good (5xx), which is not retried. Any other failure raises: Temporal retries it."""
    try:
        await aiosmtplib.send(message, hostname=mail.smtp_host, port=mail.smtp_port, timeout=30)
    except aiosmtplib.SMTPException as error:
        reason = permanent_rejection(error)
        if reason is None:
            raise
        activity.logger.warning("SMTP refused %s for good: %s", message["Message-ID"], reason)
        return reason
    return None


async def send_notice_once(
    sessions: async_sessionmaker[AsyncSession], mail: MailSettings, message: EmailMessage,
    *, subject_id: str, kind: str, stage: str,
) -> None:
    """Send a notice to a merchant once, however often its activity runs: skipped when its
    Message-ID is in the email log, logged there once the server took it (`invoice_id` holds
    what the notice is about: an endpoint's or the merchant's id). A permanent refusal is logged
    by `send_message` and not retried."""
    message_id = str(message["Message-ID"])
    async with sessions() as session:
        if await session.get(models.SentEmail, message_id) is not None:
            return
    if await send_message(mail, message) is not None:
        return
    async with sessions.begin() as session:
        await session.execute(
            dialect_insert(session, models.SentEmail)
            .values(
                message_id=message_id, invoice_id=subject_id, kind=kind, stage=stage,
                sent_at=models.utcnow(),
            )
            .on_conflict_do_nothing()
        )


# The emails that carry the invoice PDF; a credit note's email carries the credit note's PDF, and
# the receipt (the invoice paid in full) the receipt's.
PDF_ATTACHED = frozenset({EmailKind.INVOICE, EmailKind.REMINDER})
CREDIT_NOTE_PDF_ATTACHED = frozenset({EmailKind.CREDIT_NOTE})
RECEIPT_PDF_ATTACHED = frozenset({EmailKind.RECEIPT})
# The emails that carry the document's e-invoice in the buyer's format (reminders do not).
EINVOICE_ATTACHED = frozenset({EmailKind.INVOICE, EmailKind.CREDIT_NOTE})


def _start_renderer(parent: int) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the worker stops this process itself
    # (or it follows its parent out), without a KeyboardInterrupt traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # No lower priority: at `nice` 10 a busy machine starved it, and emails (reminders too) fell
    # minutes behind (docs/performance.md).
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="exit-with-worker").start()
    # The PDF compiler and its fonts, then the imports out of the garbage collector's sight:
    # every collection scanned them again (docs/performance.md).
    warm_pdf_engine()
    gc.collect()
    gc.freeze()


def _exit_with(parent: int) -> None:
    """A worker killed with -9 cannot stop its rendering process: the process stops itself."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


@functools.cache
def _pdf_processes() -> ProcessPoolExecutor:
    """The PDFs (a few ms each, the Python that prepares them included) and the emails are
    rendered in one process of their own: in the worker, their Python took the GIL the next
    checkouts' decisions needed (docs/performance.md, "First round: where the decision's time
    goes"). Spawned, not forked: the worker runs threads of the Temporal runtime."""
    return ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_renderer,
        initargs=(os.getpid(),),
    )


def stop_renderer() -> None:
    """What the interpreter's exit would do for the rendering process, which the worker's
    `os._exit` skips: shut its pool down and release its queues' semaphores (else
    multiprocessing's resource tracker reports them as leaked at Ctrl-C)."""
    if _pdf_processes.cache_info().currsize:  # started by a first email
        _pdf_processes().shutdown(cancel_futures=True)
    multiprocessing.util._exit_function()  # pyright: ignore[reportAttributeAccessIssue]  # not in typeshed


async def _render_email(**fields: Any) -> EmailMessage:
    """`render_email` in the rendering process: Jinja2 and the email package's header parsing
    took about 8 ms of the worker's GIL per email (unpickling the message takes 0.5 ms), in the
    way of the next checkout's decision."""
    render = functools.partial(render_email, **fields)
    return await asyncio.get_running_loop().run_in_executor(_pdf_processes(), render)


async def _attach_credit_note_pdf(
    message: EmailMessage, document: InvoiceDocument, number: str | None
) -> None:
    """The PDF of the invoice's credit note `number` (LookupError while it has none such)."""
    note = find_credit_note(document.invoice, number)
    loop = asyncio.get_running_loop()
    pdf = await loop.run_in_executor(_pdf_processes(), render_credit_note_pdf, document, note.number)
    attach_pdf(message, pdf, credit_note_filename(note))


async def _attach_receipt_pdf(message: EmailMessage, document: InvoiceDocument) -> None:
    """The receipt PDF: the invoice's payments, refunds and what is left due, as it stands now."""
    loop = asyncio.get_running_loop()
    pdf = await loop.run_in_executor(_pdf_processes(), render_receipt_pdf, document)
    attach_pdf(message, pdf, receipt_filename(document.invoice))


async def _einvoice(
    request: SendEmailInput, document: InvoiceDocument, merchant: models.Merchant, buyer: models.Buyer,
) -> EInvoiceFile | None:
    """The e-invoice the invoice email (or a credit note's) carries in the buyer's format; none for
    other emails, or a buyer without one. Made in the rendering process, like the PDF. Data the
    format needs but lacks sends the email with the plain PDF alone, and a warning: never a broken
    file, nor an email held back for it."""
    if request.kind not in EINVOICE_ATTACHED or buyer.einvoice_format == EInvoiceFormat.NONE:
        return None
    try:
        chosen = EInvoiceFormat(buyer.einvoice_format)
    except ValueError:
        activity.logger.warning("buyer %s: unknown e-invoice format %r", buyer.id, buyer.einvoice_format)
        return None
    seller, receiver = seller_data(merchant, document.seller), buyer_data(buyer)
    if request.kind == EmailKind.CREDIT_NOTE:  # its number is the email's stage
        number = find_credit_note(document.invoice, request.stage).number  # LookupError: retried
        make = functools.partial(credit_note_file, document, number, seller, receiver, chosen)
    else:
        make = functools.partial(invoice_file, document, seller, receiver, chosen)
    try:
        return await asyncio.get_running_loop().run_in_executor(_pdf_processes(), make)
    except EInvoiceIncomplete as error:
        activity.logger.warning("invoice %s: no %s e-invoice: %s", request.invoice_id, chosen.value, error)
        return None


EmailContext = Select[
    models.Invoice, models.Buyer, models.Merchant, models.InvoicePdf, str, models.InvoiceBankDetails
]


def _email_context(request: SendEmailInput, msg_id: str) -> EmailContext:
    """What an email needs, in one statement: the invoice, its buyer and merchant, the PDF its
    last email carried (reused if nothing it shows changed; only for the kinds that carry it),
    and whether this message was sent already. Five reads were a fifth of the worker's database
    round trips per invoice under load (docs/performance.md)."""
    archived_pdf = models.InvoicePdf.invoice_id == models.Invoice.id
    if request.kind not in PDF_ATTACHED:
        archived_pdf = false()
    return (
        select(
            models.Invoice, models.Buyer, models.Merchant, models.InvoicePdf, models.SentEmail.message_id,
            models.InvoiceBankDetails,
        )
        .join(models.Buyer, models.Buyer.id == models.Invoice.buyer_id)
        .join(models.Merchant, models.Merchant.id == models.Invoice.merchant_id)
        .outerjoin(models.InvoicePdf, archived_pdf)
        .outerjoin(models.InvoiceBankDetails, models.InvoiceBankDetails.invoice_id == models.Invoice.id)
        .outerjoin(models.SentEmail, models.SentEmail.message_id == msg_id)
        .where(models.Invoice.id == request.invoice_id)
    )


class EmailActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], mail: MailSettings) -> None:
        self._sessions = sessions
        self._mail = mail

    @activity.defn
    async def send_email(self, request: SendEmailInput) -> EmailResult:
        """Send one invoice email. Transient SMTP failures raise (Temporal retries them);
        a permanent rejection is returned, to be recorded on the invoice."""
        msg_id = message_id(
            request.invoice_id, request.kind, request.stage, self._mail.domain, request.resend
        )
        async with self._sessions() as session:
            found = (await session.execute(_email_context(request, msg_id))).first()
        if found is None:
            raise LookupError(f"invoice {request.invoice_id} is not in the read model yet")
        row, buyer, merchant, archived, sent, bank = found
        if sent is not None:
            return EmailResult(delivered=True, message_id=msg_id)
        view = from_document(row.document)
        document = document_for(view, merchant, buyer, self._mail.public_url, bank=bank)
        message = await _render_email(
            kind=request.kind, stage=request.stage, invoice=document.invoice,
            buyer=Recipient(buyer.name, buyer.email), merchant_name=merchant.name,
            mail_from=self._mail.mail_from, public_url=self._mail.public_url,
            message_id=msg_id, sent_at=models.utcnow(), reminder=request.reminder, tone=request.tone,
            locale=document.buyer.locale, hosted_url=document.hosted_url, seller=document.seller,
            bill_to=document.buyer,
        )
        einvoice = await _einvoice(request, document, merchant, buyer)
        if request.kind in PDF_ATTACHED:
            if einvoice is None or einvoice.media_type != EINVOICE_PDF:  # ZUGFeRD: its PDF instead
                await self._attach_invoice_pdf(message, document, archived)
        elif request.kind in CREDIT_NOTE_PDF_ATTACHED:
            if einvoice is None or einvoice.media_type != EINVOICE_PDF:
                await _attach_credit_note_pdf(message, document, request.stage)
        elif request.kind in RECEIPT_PDF_ATTACHED:
            await _attach_receipt_pdf(message, document)
        if einvoice is not None:  # the ZUGFeRD PDF, or the XML beside the plain PDF
            maintype, subtype = einvoice.media_type.split("/")
            message.add_attachment(
                einvoice.content, maintype=maintype, subtype=subtype, filename=einvoice.filename
            )
        delivery = asyncio.ensure_future(self._deliver(message, msg_id, request))
        try:
            return await asyncio.shield(delivery)
        except asyncio.CancelledError:
            # A worker shutting down cancels its activities: a message the server already took
            # is recorded before this attempt ends, or its retry would send it a second time.
            await delivery
            raise

    async def _attach_invoice_pdf(
        self, message: EmailMessage, document: InvoiceDocument, archived: models.InvoicePdf | None
    ) -> None:
        """The invoice PDF as it stands now. Printed only when what it is printed from (the
        template and its input) differs from what the archived PDF was printed from: most
        reminders go out before anything on the invoice changed (docs/performance.md). Only the
        hash goes to the renderer, never the archived bytes."""
        sha256, printed = await asyncio.get_running_loop().run_in_executor(
            _pdf_processes(), render_pdf_if_changed, document, archived.html_sha256 if archived else None
        )
        if printed is None:
            assert archived is not None  # nothing printed: the input hashes as the archived one's
            pdf = archived.pdf
        else:
            await self._archive(document.invoice.invoice_id, sha256, printed)
            pdf = printed
        attach_pdf(message, pdf, pdf_filename(document.invoice))

    async def _archive(self, invoice_id: str, sha256: str, pdf: bytes) -> None:
        """Keep `pdf` as the invoice's latest PDF. An upsert: the hash and the bytes always change
        together, and a retry (or two attempts at once) writes a PDF of the same input again."""
        async with self._sessions.begin() as session:
            await archive_pdf(session, invoice_id, sha256, pdf)

    async def _deliver(self, message: EmailMessage, msg_id: str, request: SendEmailInput) -> EmailResult:
        refused = await send_message(self._mail, message)
        if refused is not None:
            return EmailResult(delivered=False, message_id=msg_id, error=refused)
        await self._remember(msg_id, request)
        return EmailResult(delivered=True, message_id=msg_id)

    async def _remember(self, msg_id: str, request: SendEmailInput) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                dialect_insert(session, models.SentEmail)
                .values(
                    message_id=msg_id, invoice_id=request.invoice_id, kind=request.kind,
                    stage=request.stage, sent_at=models.utcnow(),
                )
                .on_conflict_do_nothing()
            )
