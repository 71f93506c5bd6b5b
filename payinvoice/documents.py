"""What the buyer sees: the invoice as a PDF (HTML rendered by WeasyPrint) and the hosted invoice
page, in the buyer's language, with the bank details and, on EUR invoices, an EPC QR code; below
the original lines, its fees, credit notes and a discount taken, and the early-payment discount
still on offer. Each credit note has a PDF of its own.

WeasyPrint needs Pango from the system. Without it `pdf_unavailable()` gives the reason, the PDF
endpoints answer 503 `pdf_unavailable` and emails go out without their attachment.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from payinvoice.adjustments import adjustments, discount_offer, find_credit_note
from payinvoice.contracts import CreditNote, InvoiceView
from payinvoice.db import models
from payinvoice.domain.status import InvoiceStatus
from payinvoice.domain.taxes import taxes_by_rate
from payinvoice.epc import EpcError, SepaTransfer, epc_payload, qr_svg_data_uri
from payinvoice.i18n import checked_locale, format_day, install_filters, translations

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates" / "documents"
PAYABLE = frozenset({InvoiceStatus.OPEN, InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE})


@dataclass(frozen=True)
class Seller:
    name: str
    legal_name: str | None = None
    address: str | None = None
    iban: str | None = None
    bic: str | None = None

    @property
    def account_holder(self) -> str:
        return self.legal_name or self.name


@dataclass(frozen=True)
class BuyerParty:
    name: str
    email: str
    locale: str = "en"


@dataclass(frozen=True)
class InvoiceDocument:
    invoice: InvoiceView
    seller: Seller
    buyer: BuyerParty
    hosted_url: str | None = None
    pdf_url: str | None = None
    # The instant the document shows the invoice at (the early-payment discount still on offer
    # then); None: the moment it is rendered.
    at: datetime | None = None


def document_for(
    invoice: InvoiceView, merchant: models.Merchant, buyer: models.Buyer, public_url: str,
    now: datetime | None = None,
) -> InvoiceDocument:
    """The invoice with its seller (the merchant's bank details in force now) and buyer, shown as
    at `now` (default: the moment it is rendered). Interest up to then is the caller's: see
    payinvoice.late_charges.as_of."""
    seller = Seller(
        name=merchant.name, legal_name=merchant.legal_name, address=merchant.address,
        iban=merchant.iban, bic=merchant.bic,
    )
    return InvoiceDocument(
        invoice=invoice, seller=seller,
        buyer=BuyerParty(name=buyer.name, email=buyer.email, locale=checked_locale(buyer.locale)),
        hosted_url=hosted_invoice_url(public_url, invoice.hosted_token), at=now,
    )


def hosted_invoice_url(public_url: str, token: str | None) -> str | None:
    return f"{public_url.rstrip('/')}/i/{token}" if token else None


def pdf_filename(invoice: InvoiceView) -> str:
    return f"invoice-{invoice.number or invoice.invoice_id}.pdf"


def credit_note_filename(note: CreditNote) -> str:
    return f"{note.number}.pdf"


def epc_for(document: InvoiceDocument) -> str | None:
    """The EPC payload of what is still to pay, if the invoice is payable in EUR to a known IBAN."""
    invoice, seller = document.invoice, document.seller
    due = invoice.amount_due()
    if invoice.status not in PAYABLE or not seller.iban or invoice.currency != "EUR" or due <= 0:
        return None
    try:
        return epc_payload(
            SepaTransfer(
                name=seller.account_holder, iban=seller.iban, bic=seller.bic, amount=due,
                currency=invoice.currency, reference=invoice.payment_reference,
                text=None if invoice.payment_reference else invoice.number,
            )
        )
    except EpcError as error:
        log.warning("invoice %s: no EPC QR code: %s", invoice.invoice_id, error)
        return None


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,  # every value a merchant or buyer gave is escaped
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    install_filters(env)
    return env


_ENV = _environment()


# The statuses as the buyer reads them; English message ids of the catalogues.
STATUS_LABELS = {
    InvoiceStatus.PENDING: "Pending", InvoiceStatus.PENDING_REVIEW: "Pending",
    InvoiceStatus.DECLINED: "Declined", InvoiceStatus.OPEN: "Open", InvoiceStatus.OVERDUE: "Overdue",
    InvoiceStatus.UNCOLLECTIBLE: "Overdue", InvoiceStatus.PAID: "Paid", InvoiceStatus.VOID: "Cancelled",
}


def context(document: InvoiceDocument) -> dict[str, Any]:
    invoice = document.invoice
    payload = epc_for(document)
    locale = checked_locale(document.buyer.locale)
    messages = translations(locale)
    return {
        **messages,
        "statuses": {str(status): messages["gettext"](label) for status, label in STATUS_LABELS.items()},
        "invoice": invoice,
        "seller": document.seller,
        "buyer": document.buyer,
        "currency": invoice.currency,
        "amount_due": invoice.amount_due(),
        # Below the lines and the totals: fees, credit notes and a discount taken (signed).
        "adjustments": adjustments(invoice, messages["gettext"], locale),
        "offer": discount_offer(invoice, locale, document.at or datetime.now(UTC)),
        "paid": invoice.status == InvoiceStatus.PAID,
        "taxes": taxes_by_rate(invoice.lines),
        "epc_payload": payload,
        "qr": qr_svg_data_uri(payload) if payload else None,
        "hosted_url": document.hosted_url,
        "pdf_url": document.pdf_url,
    }


def render_invoice_html(document: InvoiceDocument) -> str:
    """The HTML the PDF is printed from."""
    return _ENV.get_template("invoice_pdf.html").render(context(document))


def credit_note_context(document: InvoiceDocument, number: str) -> dict[str, Any]:
    note = find_credit_note(document.invoice, number)
    messages = translations(checked_locale(document.buyer.locale))
    return {
        **messages,
        "invoice": document.invoice,
        "seller": document.seller,
        "buyer": document.buyer,
        "currency": document.invoice.currency,
        "note": note,
        "note_date": format_day(note.issued_at.date().isoformat(), messages["locale"]),
        "note_taxes": taxes_by_rate(note.lines),
        "note_subtotal": sum(item.line_total for item in note.lines),
        "note_tax_total": sum(item.tax_amount for item in note.lines),
    }


def render_credit_note_html(document: InvoiceDocument, number: str) -> str:
    """The HTML the credit note `number`'s PDF is printed from (LookupError without that note)."""
    return _ENV.get_template("credit_note_pdf.html").render(credit_note_context(document, number))


def render_hosted_page(document: InvoiceDocument) -> str:
    return _ENV.get_template("hosted.html").render(context(document))


def render_not_found(locale: str = "en") -> str:
    return _ENV.get_template("not_found.html").render(translations(locale))


@cache
def pdf_unavailable() -> str | None:
    """Why PDFs cannot be made on this machine, or None when they can."""
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi: OSError when it is missing)
    except (ImportError, OSError) as error:
        return f"WeasyPrint cannot load ({error}); install Pango (libpango-1.0-0 libpangoft2-1.0-0)"
    return None


def _data_only_fetcher() -> Any:
    """No fetching while printing: the only resources are the data URIs the template embeds."""
    import weasyprint.urls as urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint 67 and later
        return urls.URLFetcher(allowed_protocols=("data",))

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # older releases: a plain function
        if not url.startswith("data:"):
            raise ValueError(f"refused to fetch {url!r} while rendering a PDF")
        return getattr(urls, "default_url_fetcher")(url, *args, **kwargs)  # noqa: B009 (gone in 67)

    return fetch


def render_pdf(document: InvoiceDocument) -> bytes:
    """The invoice PDF. Blocking and CPU-bound (a few hundred ms): call it in a thread.
    Raises RuntimeError when WeasyPrint cannot run here (see `pdf_unavailable`)."""
    return _print(render_invoice_html(document))


def render_pdf_if_changed(document: InvoiceDocument, archived_sha256: str | None) -> tuple[str, bytes | None]:
    """The SHA-256 of the invoice's HTML and its PDF, or None instead of the PDF when that hash is
    `archived_sha256`: the PDF printed from the same HTML is already at hand, and printing costs
    the renderer a few hundred ms where the HTML costs a few. Blocking, like `render_pdf`."""
    html = render_invoice_html(document)
    sha256 = hashlib.sha256(html.encode()).hexdigest()
    return sha256, None if sha256 == archived_sha256 else _print(html)


def render_credit_note_pdf(document: InvoiceDocument, number: str) -> bytes:
    """The PDF of the invoice's credit note `number`; blocking, like `render_pdf`."""
    return _print(render_credit_note_html(document, number))


def _print(source: str) -> bytes:
    reason = pdf_unavailable()
    if reason is not None:
        raise RuntimeError(reason)
    import weasyprint

    pdf = weasyprint.HTML(string=source, url_fetcher=_data_only_fetcher()).write_pdf()
    assert pdf is not None  # no target given: the PDF comes back as bytes
    return pdf
