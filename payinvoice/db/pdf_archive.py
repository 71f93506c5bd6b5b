"""The invoice PDF archive (`invoice_pdfs`): the latest PDF printed of each invoice, with the
SHA-256 of what it was printed from (`payinvoice.documents.pdf_sha256`). The email activity and
the API (the merchant's PDF, the hosted page's) print the PDF only when that hash changed, and
keep what they printed here."""

from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.db import models
from payinvoice.db.session import dialect_insert


async def archive_pdf(session: AsyncSession, invoice_id: str, sha256: str, pdf: bytes) -> None:
    """Keep `pdf` as the invoice's latest PDF, in the caller's transaction. An upsert: the hash
    and the bytes always change together, and a retry (or two writers at once) writes a PDF of
    the same input again; of two different ones, the last written stays, and a reader whose
    hash differs prints again."""
    values = {"html_sha256": sha256, "pdf": pdf, "rendered_at": models.utcnow()}
    insert = dialect_insert(session, models.InvoicePdf).values(invoice_id=invoice_id, **values)
    await session.execute(
        insert.on_conflict_do_update(index_elements=[models.InvoicePdf.invoice_id], set_=values)
    )
