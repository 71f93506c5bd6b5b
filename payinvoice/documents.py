"""What the buyer sees: the invoice as a PDF (printed by Typst, in-process, from PyPI alone) and
the hosted invoice page, in the buyer's language, with the bank details and, on EUR invoices, an
EPC QR code; below the original lines, its fees, credit notes and a discount taken, and the
early-payment discount still on offer. Each credit note has a PDF of its own.
"""

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import typst
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from payinvoice.adjustments import Gettext, adjustments, discount_offer, find_credit_note
from payinvoice.contracts import CreditNote, InvoiceView
from payinvoice.db import models
from payinvoice.domain.identifiers import grouped_iban
from payinvoice.domain.lines import PricedLine
from payinvoice.domain.parties import Company, PostalAddress
from payinvoice.domain.status import InvoiceStatus
from payinvoice.domain.taxes import taxes_by_rate
from payinvoice.epc import EpcError, SepaTransfer, epc_payload, qr_svg, qr_svg_data_uri
from payinvoice.i18n import (
    checked_locale,
    format_country,
    format_day,
    format_money,
    format_number,
    format_rate,
    install_filters,
    translations,
)

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates" / "documents"
PAYABLE = frozenset({InvoiceStatus.OPEN, InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE})


@dataclass(frozen=True)
class Seller:
    """The seller as the invoice states it (Art. 226 of Directive 2006/112/EC, § 14 UStG): its full
    name and address, and its VAT id or tax number, from the company settings when set; and the
    account the invoice is paid to, with its holder (`account_name`) when it differs."""

    name: str
    legal_name: str | None = None
    address: str | None = None  # lines, as printed
    iban: str | None = None
    bic: str | None = None
    vat_id: str | None = None
    tax_number: str | None = None
    account_name: str | None = None

    @property
    def account_holder(self) -> str:
        return self.account_name or self.legal_name or self.name


@dataclass(frozen=True)
class BuyerParty:
    name: str
    email: str
    locale: str = "en"
    address: str | None = None  # lines, as printed
    vat_id: str | None = None


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
    now: datetime | None = None, bank: models.InvoiceBankDetails | None = None,
) -> InvoiceDocument:
    """The invoice with its seller and buyer, shown as at `now` (default: the moment it is
    rendered). The bank details are those frozen on the invoice at issue (`bank`); an invoice
    issued before they were frozen shows the merchant's in force now. Interest up to then is the
    caller's: see payinvoice.late_charges.as_of.

    The seller's name, address and VAT id or tax number are its company settings' when it has
    them (`merchant.company`), else the legal name and address of its bank details; the buyer's
    postal address and VAT id are the buyer's own, when set."""
    locale = checked_locale(buyer.locale)
    iban, bic = (merchant.iban, merchant.bic) if bank is None else (bank.iban, bank.bic)
    holder = (bank.account_holder if bank is not None else None) or merchant.legal_name
    company = Company.from_document(merchant.company) if merchant.company else None
    if company is None:
        seller = Seller(
            name=merchant.name, legal_name=holder, address=merchant.address, iban=iban, bic=bic,
            account_name=holder,
        )
    else:
        seller = Seller(
            name=merchant.name, legal_name=company.legal_name, address=address_text(company.address, locale),
            iban=iban, bic=bic, vat_id=company.vat_id, tax_number=company.tax_number, account_name=holder,
        )
    address = PostalAddress.from_document(buyer.address) if buyer.address else None
    party = BuyerParty(
        name=buyer.name, email=buyer.email, locale=locale,
        address=address_text(address, locale) if address else None, vat_id=buyer.vat_id,
    )
    return InvoiceDocument(
        invoice=invoice, seller=seller, buyer=party,
        hosted_url=hosted_invoice_url(public_url, invoice.hosted_token), at=now,
    )


def address_text(address: PostalAddress, locale: str) -> str:
    """A postal address as printed, one line each: street, second line, postcode and city, and the
    country's name in the buyer's language."""
    lines = [address.line1, address.line2 or "", f"{address.postcode} {address.city}"]
    lines.append(format_country(address.country, locale))
    return "\n".join(line for line in lines if line.strip())


def seller_ids(seller: Seller, gettext: Gettext) -> list[str]:
    """The seller's VAT id and tax number as printed under its address ("VAT ID: DE…")."""
    ids = []
    if seller.vat_id:
        ids.append(gettext("VAT ID: %(id)s") % {"id": seller.vat_id})
    if seller.tax_number:
        ids.append(gettext("Tax number: %(number)s") % {"number": seller.tax_number})
    return ids


def buyer_lines(buyer: BuyerParty, gettext: Gettext) -> list[str]:
    """Under the buyer's name: its postal address, its VAT id and its email address."""
    lines = (buyer.address or "").splitlines()
    if buyer.vat_id:
        lines.append(gettext("VAT ID: %(id)s") % {"id": buyer.vat_id})
    return [*lines, buyer.email]


# A day of the invoice's own timeline lasts this long in production; the demo (`make run`) and the
# tests compress it (PAYINVOICE_DAY_SECONDS, frozen into each invoice as `day_seconds`).
CALENDAR_DAY_SECONDS = 86_400.0


def day_length_note(day_seconds: float, locale: str) -> str | None:
    """On an invoice whose days are compressed, the sentence every page, PDF and email of it shows,
    in the buyer's language: its dates count days of that length, not calendar days (a net-30
    invoice of a 1-second day falls due half a minute after issue, on a date a month away).
    None for an invoice of calendar days, whose documents say nothing of it."""
    if day_seconds == CALENDAR_DAY_SECONDS:
        return None
    messages = translations(locale)
    seconds = format_number(f"{day_seconds:g}", locale)
    sentence = messages["ngettext"](
        "Demo time: one day lasts %(seconds)s second here. The dates on this invoice count these"
        " days, not calendar days.",
        "Demo time: one day lasts %(seconds)s seconds here. The dates on this invoice count these"
        " days, not calendar days.",
        1 if day_seconds == 1 else 2,
    )
    return sentence % {"seconds": seconds}


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
    gettext = messages["gettext"]
    return {
        **messages,
        "statuses": {str(status): messages["gettext"](label) for status, label in STATUS_LABELS.items()},
        "invoice": invoice,
        "seller": document.seller,
        "seller_ids": seller_ids(document.seller, gettext),
        "buyer": document.buyer,
        "buyer_lines": buyer_lines(document.buyer, gettext),
        "exemption": lambda item: exemption_text(item, gettext),
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
        "day_note": day_length_note(invoice.day_seconds, locale),
    }


def render_hosted_page(document: InvoiceDocument) -> str:
    return _ENV.get_template("hosted.html").render(context(document))


def render_not_found(locale: str = "en") -> str:
    return _ENV.get_template("not_found.html").render(translations(locale))


def render_rate_limited(code: str, retry_after: int) -> str:
    """The hosted page's answer past its rate limits, with their machine-readable `code`."""
    return _ENV.get_template("rate_limited.html").render(code=code, retry_after=retry_after)


# The PDFs: one Typst template for the invoice and the credit note, fed with the document as JSON
# (`sys.inputs.data`). Every text arrives formatted and translated here, as data: the template
# places strings and never evaluates them, so a name with `#`, `]` or `$` prints as typed.

PDF_TEMPLATE = TEMPLATES_DIR / "document.typ"
# Part of every PDF's hash: a new template prints again what was archived under the old one.
_TEMPLATE_SHA256 = hashlib.sha256(PDF_TEMPLATE.read_bytes()).hexdigest()
_compiling = threading.Lock()


@cache
def _compiler() -> typst.Compiler:
    """One compiler, kept warm: it keeps the parsed template, the fonts and its caches between
    documents (another invoice's PDF costs about 12 ms of its CPU, a fresh process's first about
    35: docs/performance.md). Only the fonts typst embeds, never the system's: the same PDF on
    every machine, nothing to install."""
    return typst.Compiler(PDF_TEMPLATE, root=TEMPLATES_DIR, ignore_system_fonts=True)


def warm_pdf_engine() -> None:
    """Build the compiler (its font book) now, not in the first email's time."""
    _compiler()


def _party(label: str, name: str, lines: list[str]) -> dict[str, Any]:
    return {"label": label, "name": name, "lines": [line for line in lines if line.strip()]}


def _parties(document: InvoiceDocument, buyer_label: str, gettext: Gettext) -> list[dict[str, Any]]:
    seller, buyer = document.seller, document.buyer
    seller_lines = [seller.name] if seller.legal_name and seller.legal_name != seller.name else []
    seller_lines += (seller.address or "").splitlines()
    seller_lines += seller_ids(seller, gettext)
    return [
        _party(gettext("From"), seller.legal_name or seller.name, seller_lines),
        _party(buyer_label, buyer.name, buyer_lines(buyer, gettext)),
    ]


def _day_note(invoice: InvoiceView, locale: str) -> dict[str, str]:
    """The PDF data's `day_note`, on a compressed-time invoice only: an invoice of calendar days
    keeps the data it always had, so its PDF (and the hash archived with it) stays the same."""
    note = day_length_note(invoice.day_seconds, locale)
    return {"day_note": note} if note else {}


def _fact(label: str, value: str, style: str = "") -> dict[str, str]:
    return {"label": label, "value": value, "style": style}


def exemption_text(item: PricedLine, gettext: Gettext) -> str | None:
    """A line's VAT exemption reason (reverse charge, intra-community supply...) as printed under
    its description: the default reasons translated, a merchant's own as typed."""
    reason = item.line.exemption_reason
    return gettext(reason) if reason else None


def _description(item: PricedLine, gettext: Gettext) -> str:
    reason = exemption_text(item, gettext)
    return f"{item.line.description}\n{reason}" if reason else item.line.description


# The lines' columns, one name for the line's amount in the PDF, the page and the emails.
LINE_HEADER = ("Description", "Quantity", "Unit price", "Tax rate", "Amount")


def _lines(lines: list[PricedLine], currency: str, locale: str, gettext: Gettext) -> dict[str, Any]:
    return {
        "header": [gettext(h) for h in LINE_HEADER],
        "rows": [
            [
                _description(item, gettext), format_number(item.line.quantity, locale),
                format_money(item.line.unit_price, currency, locale), format_rate(item.line.tax_rate, locale),
                format_money(item.line_total, currency, locale),
            ]
            for item in lines
        ],
    }


def _tax_rows(lines: list[PricedLine], currency: str, locale: str, gettext: Gettext) -> list[dict[str, str]]:
    return [
        _fact(
            gettext("Tax %(rate)s on %(net)s")
            % {"rate": format_rate(group.rate, locale), "net": format_money(group.net, currency, locale)},
            format_money(group.tax, currency, locale),
        )
        for group in taxes_by_rate(lines)
    ]


def invoice_pdf_data(document: InvoiceDocument) -> dict[str, Any]:
    """Everything the invoice PDF shows, formatted for the buyer's language: the template's input."""
    invoice, seller = document.invoice, document.seller
    locale = checked_locale(document.buyer.locale)
    gettext = translations(locale)["gettext"]
    currency = invoice.currency

    def money(minor: int) -> str:
        return format_money(minor, currency, locale)

    title = gettext("Invoice %(number)s") % {"number": invoice.number or ""}
    facts = [
        _fact(gettext("Invoice number"), invoice.number or ""), _fact(gettext("Order"), invoice.order_id),
    ]
    if invoice.purchase_order:
        facts.append(_fact(gettext("Purchase order"), invoice.purchase_order))
    facts += [
        _fact(gettext("Issue date"), format_day(invoice.issue_date, locale)),
        # The date of supply (§ 14 (4) no. 6 UStG, Art. 226 (7)): checkout takes no delivery
        # date nor service period, so it is the issue date, stated as such.
        _fact(gettext("Date of supply"), format_day(invoice.issue_date, locale)),
        _fact(gettext("Due date"), format_day(invoice.due_date, locale), "strong"),
        _fact(gettext("Terms"), gettext("Net %(days)s days") % {"days": invoice.payment_terms_days}),
    ]
    if invoice.payment_reference:
        facts.append(_fact(gettext("Payment reference"), invoice.payment_reference, "mono"))

    extra = adjustments(invoice, gettext, locale)
    totals = [_fact(gettext("Subtotal"), money(invoice.subtotal))]
    totals += _tax_rows(invoice.lines, currency, locale, gettext)
    totals += [
        _fact(gettext("Tax total"), money(invoice.tax_total)),
        _fact(gettext("Total"), money(invoice.total), "grand"),
    ]
    totals += [_fact(row.label, money(row.amount), row.kind) for row in extra]
    if invoice.amount_paid:
        totals.append(_fact(gettext("Paid"), money(invoice.amount_paid)))
    if extra or invoice.amount_paid:
        totals.append(_fact(gettext("Amount due"), money(invoice.amount_due()), "grand"))

    return {
        "lang": locale, "title": title, "footer": f"{seller.account_holder} · {title}",
        "parties": _parties(document, gettext("Bill to"), gettext), "facts": facts,
        "lines": _lines(invoice.lines, currency, locale, gettext), "totals": totals, "note": None,
        "transfer": _transfer(document, locale, gettext), **_day_note(invoice, locale),
    }


def _transfer(document: InvoiceDocument, locale: str, gettext: Gettext) -> dict[str, Any]:
    """How to pay: what and by when, the discount on offer, the account and, on EUR invoices,
    the EPC QR code (as SVG text). A paid invoice says so instead, without the account."""
    invoice, seller = document.invoice, document.seller
    if invoice.status == InvoiceStatus.PAID:
        return {
            "title": gettext("Paid"),
            "paragraphs": [{"text": gettext("This invoice is paid. Thank you."), "style": ""}],
            "details": [], "qr": None, "qr_alt": "", "qr_caption": "", "contact": None,
        }
    please = gettext("Please transfer %(amount)s by %(due)s, quoting the payment reference.") % {
        "amount": format_money(invoice.amount_due(), invoice.currency, locale),
        "due": format_day(invoice.due_date, locale),
    }
    paragraphs = [{"text": please, "style": ""}]
    offer = discount_offer(invoice, locale, document.at or datetime.now(UTC))
    if offer:
        discount = gettext("%(rate)s discount if paid by %(deadline)s: %(amount)s") % {
            "rate": offer.rate, "deadline": offer.deadline,
            "amount": format_money(offer.amount, invoice.currency, locale),
        }
        paragraphs.append({"text": discount, "style": "offer"})
    details = [_fact(gettext("Account holder"), seller.account_holder)]
    if seller.iban:
        details.append(_fact("IBAN", grouped_iban(seller.iban), "mono"))
    if seller.bic:
        details.append(_fact("BIC", seller.bic, "mono"))
    if invoice.payment_reference:
        details.append(_fact(gettext("Payment reference"), invoice.payment_reference, "mono"))
    payload = epc_for(document)
    return {
        "title": gettext("How to pay"), "paragraphs": paragraphs, "details": details,
        "qr": qr_svg(payload) if payload else None,
        "qr_alt": gettext("EPC QR code for the transfer"),
        "qr_caption": gettext("Scan with your banking app (GiroCode)"),
        "contact": None if seller.iban else gettext("Please contact us for our bank details."),
    }


def credit_note_pdf_data(document: InvoiceDocument, number: str) -> dict[str, Any]:
    """Everything the credit note `number`'s PDF shows (LookupError without that note)."""
    invoice = document.invoice
    note = find_credit_note(invoice, number)
    locale = checked_locale(document.buyer.locale)
    gettext = translations(locale)["gettext"]
    currency = invoice.currency

    def money(minor: int) -> str:
        return format_money(minor, currency, locale)

    title = gettext("Credit note %(number)s") % {"number": note.number}
    facts = [
        _fact(gettext("Credit note number"), note.number),
        _fact(gettext("Date"), format_day(note.issued_at.date().isoformat(), locale)),
        _fact(gettext("For invoice"), invoice.number or ""),
        _fact(gettext("Issue date"), format_day(invoice.issue_date, locale)),
        _fact(gettext("Order"), invoice.order_id),
    ]
    if invoice.purchase_order:
        facts.append(_fact(gettext("Purchase order"), invoice.purchase_order))
    if invoice.payment_reference:
        facts.append(_fact(gettext("Payment reference"), invoice.payment_reference, "mono"))
    if note.reason:
        facts.append(_fact(gettext("Reason"), note.reason))
    totals: list[dict[str, str]] = []
    if note.lines:
        totals.append(_fact(gettext("Subtotal"), money(sum(item.line_total for item in note.lines))))
        totals += _tax_rows(note.lines, currency, locale, gettext)
        totals.append(_fact(gettext("Tax total"), money(sum(item.tax_amount for item in note.lines))))
    totals.append(_fact(gettext("Amount credited"), money(note.amount), "grand"))
    closing = gettext("This credit note reduces what invoice %(number)s (total %(total)s) charges.") % {
        "number": invoice.number or "", "total": money(invoice.total),
    }
    return {
        "lang": locale, "title": title, "footer": f"{document.seller.account_holder} · {title}",
        "parties": _parties(document, gettext("Credit to"), gettext), "facts": facts,
        "lines": _lines(note.lines, currency, locale, gettext) if note.lines else None,
        "totals": totals, "note": closing, "transfer": None, **_day_note(invoice, locale),
    }


def _inputs(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _sha256(inputs: str) -> str:
    return hashlib.sha256(f"{_TEMPLATE_SHA256}\n{inputs}".encode()).hexdigest()


def pdf_sha256(document: InvoiceDocument) -> str:
    """What the invoice PDF is printed from, hashed: the template and its input."""
    return _sha256(_inputs(invoice_pdf_data(document)))


def render_pdf(document: InvoiceDocument) -> bytes:
    """The invoice PDF. Blocking and CPU-bound (a few ms): call it in a thread."""
    return _print(_inputs(invoice_pdf_data(document)))


def render_pdf_if_changed(document: InvoiceDocument, archived_sha256: str | None) -> tuple[str, bytes | None]:
    """The SHA-256 of what the invoice PDF is printed from (`pdf_sha256`) and its PDF, or None
    instead of the PDF when that hash is `archived_sha256`: the archived PDF is that very one
    (printing is deterministic). Blocking, like `render_pdf`."""
    inputs = _inputs(invoice_pdf_data(document))
    sha256 = _sha256(inputs)
    return sha256, None if sha256 == archived_sha256 else _print(inputs)


def render_credit_note_pdf(document: InvoiceDocument, number: str) -> bytes:
    """The PDF of the invoice's credit note `number`; blocking, like `render_pdf`."""
    return _print(_inputs(credit_note_pdf_data(document, number)))


def _print(inputs: str) -> bytes:
    """One PDF; the template reads `inputs` as JSON. No timestamp in it: the same input, the
    same bytes. The lock: one compiler, and its inputs are set per compile."""
    with _compiling:
        pdf = _compiler().compile(sys_inputs={"data": inputs}, format="pdf")
    assert isinstance(pdf, bytes)  # no output path given: the PDF comes back as bytes
    return pdf


# PDF/A-3b, the carrier of a ZUGFeRD / Factur-X e-invoice (payinvoice/einvoice/facturx.py). PDF/A
# needs the document's date, which the template leaves out (the plain PDF is the same bytes on any
# day): the archival PDF compiles the same template with its date line taking `sys.inputs.date`,
# the invoice's (or credit note's) issue date, so it too is the same bytes for the same input.
_UNDATED = "#set document(title: data.title, date: none)"
_DATED = (
    "#let issued = json(bytes(sys.inputs.date))\n"
    "#set document(title: data.title, "
    "date: datetime(year: issued.at(0), month: issued.at(1), day: issued.at(2)))"
)


@cache
def _archival_template() -> bytes:
    source = PDF_TEMPLATE.read_text(encoding="utf-8")
    if _UNDATED not in source:  # the template's date line changed: this must follow it
        raise RuntimeError(f"{PDF_TEMPLATE.name} has no line {_UNDATED!r} to date for PDF/A")
    return source.replace(_UNDATED, _DATED).encode("utf-8")


@cache
def _archival_compiler() -> typst.Compiler:
    return typst.Compiler(ignore_system_fonts=True)


def render_archival_pdf(document: InvoiceDocument, credit_note: str | None = None) -> bytes:
    """The invoice PDF, or that of its credit note numbered `credit_note`, as PDF/A-3b dated on its
    issue date. Blocking and CPU-bound, like `render_pdf`."""
    invoice = document.invoice
    if credit_note is None:
        data = invoice_pdf_data(document)
        issued = date.fromisoformat(invoice.issue_date) if invoice.issue_date else invoice.created_at.date()
    else:
        data = credit_note_pdf_data(document, credit_note)
        issued = find_credit_note(invoice, credit_note).issued_at.date()
    inputs = {"data": _inputs(data), "date": json.dumps([issued.year, issued.month, issued.day])}
    with _compiling:
        pdf = _archival_compiler().compile(
            input=_archival_template(), sys_inputs=inputs, format="pdf", pdf_standards=["a-3b"]
        )
    assert isinstance(pdf, bytes)
    return pdf


# The receipt: the invoice paid in full, printed by the same template when its receipt email goes
# out, with the payments in a table of their own (`payments`, which invoices and credit notes do
# not have: their PDFs are unchanged).


def receipt_filename(invoice: InvoiceView) -> str:
    return f"receipt-{invoice.number or invoice.invoice_id}.pdf"


def receipt_pdf_data(document: InvoiceDocument) -> dict[str, Any]:
    """Everything the receipt PDF shows: the invoice, what was paid (each payment, and what the
    merchant marked paid out of band), refunded and is still due, in the buyer's language."""
    invoice = document.invoice
    locale = checked_locale(document.buyer.locale)
    gettext = translations(locale)["gettext"]
    currency = invoice.currency

    def money(minor: int) -> str:
        return format_money(minor, currency, locale)

    def day(at: datetime) -> str:
        return format_day(at.date().isoformat(), locale)

    title = gettext("Receipt for invoice %(number)s") % {"number": invoice.number or ""}
    facts = [
        _fact(gettext("Invoice number"), invoice.number or ""),
        _fact(gettext("Issue date"), format_day(invoice.issue_date, locale)),
    ]
    paid_at = [p.paid_at for p in invoice.payments] + [m.marked_at for m in invoice.marked_paid]
    if paid_at:
        facts.append(_fact(gettext("Paid on"), day(max(paid_at)), "strong"))
    if invoice.payment_reference:
        facts.append(_fact(gettext("Payment reference"), invoice.payment_reference, "mono"))

    rows = [
        (p.paid_at, [day(p.paid_at), p.method, p.payment_id, format_money(p.amount, p.currency, locale)])
        for p in invoice.payments
    ]
    rows += [
        (m.marked_at, [day(m.marked_at), gettext("Marked as paid"), m.reason, money(m.amount)])
        for m in invoice.marked_paid
    ]
    payments = {
        "header": [gettext(h) for h in ("Date", "Method", "Payment id or reference", "Amount")],
        "rows": [row for _, row in sorted(rows, key=lambda at_row: at_row[0])],
    }

    refunded = sum(refund.amount for refund in invoice.refunds)
    totals = [_fact(gettext("Total"), money(invoice.total), "grand")]
    totals += [_fact(row.label, money(row.amount), row.kind) for row in adjustments(invoice, gettext, locale)]
    totals.append(_fact(gettext("Paid"), money(invoice.amount_paid + refunded)))
    if refunded:
        totals.append(_fact(gettext("Refunded"), money(-refunded)))
    if invoice.overpaid():
        totals.append(_fact(gettext("Overpaid"), money(invoice.overpaid())))
    totals.append(_fact(gettext("Amount due"), money(invoice.amount_due()), "grand"))

    return {
        "lang": locale, "title": title, "footer": f"{document.seller.account_holder} · {title}",
        "parties": _parties(document, gettext("Received from"), gettext), "facts": facts,
        "lines": None, "payments": payments if rows else None, "totals": totals,
        "note": gettext("This invoice is paid. Thank you.") if invoice.amount_due() == 0 else None,
        "transfer": None, **_day_note(invoice, locale),
    }


def render_receipt_pdf(document: InvoiceDocument) -> bytes:
    """The receipt PDF of the invoice; blocking, like `render_pdf`."""
    return _print(_inputs(receipt_pdf_data(document)))
