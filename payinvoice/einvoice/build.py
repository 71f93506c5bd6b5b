"""An invoice or credit note of payinvoice as one EN 16931 document (`model.EInvoice`), or the
business terms (BT-n) the chosen format needs and the data lacks: `EInvoiceIncomplete`.

Amounts are payinvoice's own, never computed again: the lines' net amounts and their VAT as
`price_lines` rounded them (once per line), the fees as document level charges, the payments as
the prepaid amount. EN 16931 states each category's VAT on the sum of its lines (BR-CO-17); the
CEN rules accept the sum of per-line-rounded amounts within one currency unit, so each group's VAT
is the sum of its lines' VAT and the document's totals are exactly the invoice's. A group that
drifts further (hundreds of lines of one rate) is refused, `EInvoiceRejected` naming BR-CO-17: the
amounts of a running workflow are never recomputed.

Fees (late fees, late-payment interest, recovery costs) carry no VAT in payinvoice: they are
damages, not a supply. They are stated as charges exempt from VAT (category E, with that reason),
or outside the scope of VAT (O) when every line is.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from payinvoice.adjustments import Gettext, credit_note_label, fee_label
from payinvoice.contracts import CreditNote, InvoiceView
from payinvoice.db import models
from payinvoice.documents import Seller
from payinvoice.domain.lines import PricedLine
from payinvoice.domain.money import exponent
from payinvoice.domain.parties import Company, EInvoiceFormat, ElectronicAddress, PostalAddress
from payinvoice.einvoice.model import (
    CLEARING,
    CREDIT_NOTE,
    CREDIT_TRANSFER,
    INVOICE,
    Charge,
    Contact,
    DocumentLine,
    EInvoice,
    Party,
    PaymentInstructions,
    PrecedingInvoice,
    Profile,
    Syntax,
    Totals,
    VatBreakdown,
    amount_text,
)
from payinvoice.i18n import checked_locale, translations

# What each e-invoice format of a buyer is: the rules it claims and its syntax.
FORMATS: dict[EInvoiceFormat, tuple[Profile, Syntax]] = {
    EInvoiceFormat.XRECHNUNG_CII: (Profile.XRECHNUNG, Syntax.CII),
    EInvoiceFormat.XRECHNUNG_UBL: (Profile.XRECHNUNG, Syntax.UBL),
    EInvoiceFormat.ZUGFERD: (Profile.EN16931, Syntax.CII),
    EInvoiceFormat.PEPPOL: (Profile.PEPPOL, Syntax.UBL),
}

# VAT categories (UNTDID 5305 subset of EN 16931) in the order the breakdown lists them.
CATEGORIES = ("S", "Z", "E", "AE", "K", "G", "O")
# BT-120 / BT-121 where the law names the reason (VATEX code list); E needs the seller's own.
EXEMPTIONS: dict[str, tuple[str, str]] = {
    "AE": ("Reverse charge", "VATEX-EU-AE"),
    "K": ("Intra-Community supply", "VATEX-EU-IC"),
    "G": ("Export outside the EU", "VATEX-EU-G"),
    "O": ("Not subject to VAT", "VATEX-EU-O"),
}
FEES_NOT_SUBJECT = "Late-payment charges are compensation, not subject to VAT"

# The business terms by name, for the refusal's message.
TERMS: dict[str, str] = {
    "BT-1": "invoice number", "BT-2": "issue date", "BT-10": "buyer reference (Leitweg-ID)",
    "BT-27": "seller legal name", "BT-31": "seller VAT identifier",
    "BT-31 or BT-32": "seller VAT identifier or tax number", "BT-34": "seller electronic address",
    "BT-35": "seller address line", "BT-37": "seller city", "BT-38": "seller post code",
    "BT-40": "seller country", "BT-41": "seller contact", "BT-42": "seller contact telephone",
    "BT-43": "seller contact email", "BT-48": "buyer VAT identifier", "BT-49": "buyer electronic address",
    "BT-10 or BT-13": "buyer reference or purchase order", "BT-52": "buyer city",
    "BT-53": "buyer post code", "BT-55": "buyer country", "BT-84": "payment account (IBAN)",
    "BT-120": "VAT exemption reason", "BT-151": "VAT category of a 0 % line",
    "BT-25": "preceding invoice number",
}  # fmt: skip


class EInvoiceIncomplete(Exception):
    """The format needs business terms the invoice's data lacks: `missing` lists them (BT-n)."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        named = ", ".join(f"{term} ({TERMS[term]})" if term in TERMS else term for term in missing)
        super().__init__(f"the e-invoice needs data it does not have: {named}")

    def __reduce__(self) -> tuple[type["EInvoiceIncomplete"], tuple[list[str]]]:
        # Raised in the email's rendering process: it crosses back pickled, with its list.
        return (EInvoiceIncomplete, (self.missing,))


class EInvoiceRejected(EInvoiceIncomplete):
    """The invoice's own amounts break a rule of EN 16931 that no data can mend: `missing` names
    the rule. A receiver would reject the file, so none is made."""

    def __init__(self, rule: str, detail: str) -> None:
        self.missing = [rule]
        self.detail = detail
        Exception.__init__(self, f"the invoice's amounts break {rule}: {detail}")

    def __reduce__(self) -> tuple[type["EInvoiceRejected"], tuple[str, str]]:
        return (EInvoiceRejected, (self.missing[0], self.detail))


@dataclass(frozen=True)
class SellerData:
    """The merchant as its e-invoices need it, with the bank details the invoice was issued with."""

    name: str
    company: Company | None
    iban: str | None = None
    bic: str | None = None
    account_holder: str | None = None


@dataclass(frozen=True)
class BuyerData:
    name: str
    email: str
    locale: str = "en"
    address: PostalAddress | None = None
    vat_id: str | None = None
    buyer_reference: str | None = None
    electronic_address: ElectronicAddress | None = None


def seller_data(merchant: models.Merchant, seller: Seller) -> SellerData:
    """The merchant's company data, and the account its document names (`payinvoice.documents.
    document_for` decides it: the bank details frozen on the invoice at issue)."""
    company = Company.from_document(merchant.company) if merchant.company else None
    return SellerData(
        name=merchant.name, company=company, iban=seller.iban, bic=seller.bic,
        account_holder=seller.account_name,
    )


def buyer_data(buyer: models.Buyer) -> BuyerData:
    return BuyerData(
        name=buyer.name, email=buyer.email, locale=checked_locale(buyer.locale),
        address=PostalAddress.from_document(buyer.address) if buyer.address else None,
        vat_id=buyer.vat_id, buyer_reference=buyer.buyer_reference,
        electronic_address=ElectronicAddress.from_document(buyer.electronic_address)
        if buyer.electronic_address else None,
    )  # fmt: skip


def category_of(line: PricedLine) -> str:
    return line.line.tax_category or "S"


def _exemption_of(line: PricedLine) -> str | None:
    reason = line.line.exemption_reason
    return reason.strip() or None if reason else None


def build_invoice(
    invoice: InvoiceView, seller: SellerData, buyer: BuyerData, einvoice_format: EInvoiceFormat
) -> EInvoice:
    """The invoice as one EN 16931 document in the rules of `einvoice_format`."""
    profile = FORMATS[einvoice_format][0]
    gettext = translations(buyer.locale)["gettext"]
    categories = {category_of(line) for line in invoice.lines}
    charges = _fee_charges(invoice, gettext, buyer.locale)
    missing = _missing_parties(
        profile, seller, buyer, categories | {c.category for c in charges}, invoice.purchase_order
    )
    missing += _missing_lines(invoice.lines)
    if not seller.iban:
        missing.append("BT-84")
    if not invoice.number:
        missing.append("BT-1")
    if not invoice.issue_date:
        missing.append("BT-2")
    if missing:
        raise EInvoiceIncomplete(_unique(missing))
    assert invoice.number is not None and invoice.issue_date is not None  # checked above

    lines = tuple(
        _document_line(str(i), line, line.line.description) for i, line in enumerate(invoice.lines, 1)
    )
    vat = _checked_rounding(_breakdown(invoice.lines, charges), invoice.currency)
    line_net = sum(line.net for line in lines)
    charged = sum(charge.amount for charge in charges)
    tax = sum(group.tax for group in vat)
    assert line_net == invoice.subtotal and tax == invoice.tax_total  # the invoice's own amounts
    tax_inclusive = line_net + charged + tax
    prepaid = min(max(invoice.amount_paid, 0), tax_inclusive)
    terms = gettext("Net %(days)s days") % {"days": invoice.payment_terms_days}
    return EInvoice(
        profile=profile,
        type_code=INVOICE,
        number=invoice.number,
        issue_date=invoice.issue_date,
        currency=invoice.currency,
        seller=_seller(seller, categories),
        buyer=_buyer(buyer, categories),
        lines=lines,
        vat=vat,
        charges=charges,
        totals=Totals(
            line_net=line_net,
            charges=charged,
            tax_exclusive=line_net + charged,
            tax=tax,
            tax_inclusive=tax_inclusive,
            prepaid=prepaid,
            payable=tax_inclusive - prepaid,
        ),
        payment=PaymentInstructions(
            means_code=CREDIT_TRANSFER,
            reference=invoice.payment_reference or invoice.number,
            iban=seller.iban,
            account_name=seller.account_holder or _legal_name(seller),
            bic=seller.bic,
        ),
        due_date=invoice.due_date,
        payment_terms=terms,
        buyer_reference=buyer.buyer_reference,
        purchase_order=invoice.purchase_order,
        sales_order=invoice.order_id,
        # The invoice is issued for the order it checks out: its date is the date of supply.
        delivery_date=invoice.issue_date,
    )


def build_credit_note(
    invoice: InvoiceView,
    note: CreditNote,
    seller: SellerData,
    buyer: BuyerData,
    einvoice_format: EInvoiceFormat,
) -> EInvoice:
    """The credit note (type 381) referencing its invoice (BT-25). A credit note of lines states
    them; one of an amount credits that amount across the invoice's VAT groups, pro rata."""
    profile = FORMATS[einvoice_format][0]
    gettext = translations(buyer.locale)["gettext"]
    label = credit_note_label(note, gettext)
    if note.lines:
        lines = tuple(
            _document_line(str(i), line, line.line.description) for i, line in enumerate(note.lines, 1)
        )
        categories = {category_of(line) for line in note.lines}
        vat = _checked_rounding(_breakdown(note.lines, ()), invoice.currency)
        extra = _missing_lines(note.lines)
    else:
        basis = _breakdown(invoice.lines, _fee_charges(invoice, gettext, buyer.locale))
        lines, vat = _pro_rata(basis, note.amount, label)
        categories = {group.category for group in vat}
        extra = []
    missing = _missing_parties(profile, seller, buyer, categories, invoice.purchase_order) + extra
    if not invoice.number:
        missing.append("BT-25")
    if missing:
        raise EInvoiceIncomplete(_unique(missing))
    assert invoice.number is not None  # checked above

    line_net = sum(line.net for line in lines)
    tax = sum(group.tax for group in vat)
    return EInvoice(
        profile=profile,
        type_code=CREDIT_NOTE,
        number=note.number,
        issue_date=note.issued_at.date().isoformat(),
        currency=invoice.currency,
        seller=_seller(seller, categories),
        buyer=_buyer(buyer, categories),
        lines=lines,
        vat=vat,
        totals=Totals(
            line_net=line_net,
            charges=0,
            tax_exclusive=line_net,
            tax=tax,
            tax_inclusive=line_net + tax,
            prepaid=0,
            payable=line_net + tax,
        ),
        payment=PaymentInstructions(
            means_code=CLEARING, reference=invoice.payment_reference or invoice.number
        ),
        payment_terms=gettext("This credit note reduces what invoice %(number)s (total %(total)s) charges.")
        % {
            "number": invoice.number,
            "total": f"{invoice.currency} {amount_text(invoice.total, invoice.currency)}",
        },
        buyer_reference=buyer.buyer_reference,
        purchase_order=invoice.purchase_order,
        sales_order=invoice.order_id,
        preceding=PrecedingInvoice(invoice.number, invoice.issue_date),
        note=label,
        delivery_date=invoice.issue_date,
    )


def _fee_charges(invoice: InvoiceView, gettext: Gettext, locale: str) -> tuple[Charge, ...]:
    """The invoice's fees as document level charges, outside VAT (see the module's docstring)."""
    category = "O" if {category_of(line) for line in invoice.lines} == {"O"} else "E"
    return tuple(
        Charge(fee.amount, fee_label(fee, gettext, locale), category=category, rate="0")
        for fee in invoice.fees
        if fee.amount > 0
    )


def _missing_parties(
    profile: Profile, seller: SellerData, buyer: BuyerData, categories: set[str], purchase_order: str | None
) -> list[str]:
    """The terms of the parties the rules of `profile` need for these VAT categories."""
    company = seller.company
    german_seller = company is not None and company.address.country == "DE"
    # XRechnung's BR-DE rules; Peppol applies the same to a German seller (DE-R-001..).
    national = profile is Profile.XRECHNUNG or (profile is Profile.PEPPOL and german_seller)
    missing: list[str] = []
    if company is None:
        missing += ["BT-27", "BT-35", "BT-37", "BT-38", "BT-40"]
        if national:
            missing += ["BT-41", "BT-42", "BT-43"]
    if categories & {"K", "G"} and (company is None or not company.vat_id):
        missing.append("BT-31")  # BR-IC-02, BR-G-02
    elif categories & {"S", "Z", "E", "AE"} and (
        company is None or not (company.vat_id or company.tax_number)
    ):
        missing.append("BT-31 or BT-32")  # BR-S-02, BR-Z-02, BR-E-02, BR-AE-02
    if categories & {"AE", "K"} and not buyer.vat_id:
        missing.append("BT-48")  # BR-AE-02, BR-IC-02
    if buyer.address is None:
        missing += ["BT-52", "BT-53", "BT-55"] if national else ["BT-55"]  # BR-DE-8/9, BR-11
    if profile is not Profile.EN16931:
        if company is None or company.electronic_address is None:
            missing.append("BT-34")  # PEPPOL-EN16931-R020, XRechnung 3.0
        if buyer.electronic_address is None:
            missing.append("BT-49")  # PEPPOL-EN16931-R010, XRechnung 3.0
    if national and not buyer.buyer_reference:
        missing.append("BT-10")  # BR-DE-15, DE-R-015
    elif profile is Profile.PEPPOL and not (buyer.buyer_reference or purchase_order):
        missing.append("BT-10 or BT-13")  # PEPPOL-EN16931-R003
    return missing


def _missing_lines(lines: Iterable[PricedLine]) -> list[str]:
    missing = []
    for line in lines:
        category = category_of(line)
        if category == "E" and _exemption_of(line) is None:
            missing.append("BT-120")  # BR-E-10
        if category == "S" and Decimal(line.line.tax_rate) == 0:
            missing.append("BT-151")  # BR-S-05: a 0 % line needs its category (Z, E, ...)
    return missing


def _unique(terms: list[str]) -> list[str]:
    return list(dict.fromkeys(terms))


def _legal_name(seller: SellerData) -> str:
    return seller.company.legal_name if seller.company else seller.name


def _seller(seller: SellerData, categories: set[str]) -> Party:
    company = seller.company
    assert company is not None  # _missing_parties refused without it
    outside = categories == {"O"}  # BR-O-02: no VAT identifiers on an invoice outside VAT
    return Party(
        name=company.legal_name,
        address=company.address,
        vat_id=None if outside else company.vat_id,
        tax_number=company.tax_number,
        registration=company.registration,
        electronic_address=company.electronic_address,
        contact=Contact(company.contact_name, company.contact_phone, company.contact_email),
        trading_name=seller.name if seller.name != company.legal_name else None,
    )


def _buyer(buyer: BuyerData, categories: set[str]) -> Party:
    assert buyer.address is not None  # _missing_parties refused without it
    return Party(
        name=buyer.name,
        address=buyer.address,
        vat_id=None if categories == {"O"} else buyer.vat_id,
        electronic_address=buyer.electronic_address,
    )


def _document_line(line_id: str, priced: PricedLine, name: str) -> DocumentLine:
    line = priced.line
    return DocumentLine(
        id=line_id,
        name=name,
        quantity=line.quantity,
        unit_price=line.unit_price,
        net=priced.line_total,
        category=category_of(priced),
        rate=line.tax_rate,
    )


def _breakdown(lines: Iterable[PricedLine], charges: Iterable[Charge]) -> tuple[VatBreakdown, ...]:
    """One group per category and rate: the lines' and charges' net amounts and the lines' VAT
    (each line's as payinvoice rounded it), with the exemption reasons the category needs."""
    groups: dict[tuple[str, Decimal], tuple[str, int, int, list[str]]] = {}

    def add(category: str, rate: str, net: int, tax: int, reason: str | None) -> None:
        key = (category, Decimal(rate))
        label, taxable, vat, reasons = groups.get(key, (rate, 0, 0, []))
        if reason and reason not in reasons:
            reasons.append(reason)
        groups[key] = (label, taxable + net, vat + tax, reasons)

    for line in lines:
        add(category_of(line), line.line.tax_rate, line.line_total, line.tax_amount, _exemption_of(line))
    for charge in charges:
        add(
            charge.category,
            charge.rate,
            charge.amount,
            0,
            FEES_NOT_SUBJECT if charge.category == "E" else None,
        )
    result = []
    for key in sorted(groups, key=_group_order):
        category = key[0]
        label, taxable, tax, reasons = groups[key]
        text, code = EXEMPTIONS.get(category, (None, None))
        if category == "E":
            text = "; ".join(reasons) or None
        elif reasons and text:
            text = "; ".join(reasons)
        result.append(VatBreakdown(category, label, taxable, tax, exemption_reason=text, exemption_code=code))
    return tuple(result)


def _checked_rounding(vat: tuple[VatBreakdown, ...], currency: str) -> tuple[VatBreakdown, ...]:
    """BR-CO-17: a group's VAT within one currency unit of its rate on its net, as the CEN rules
    check it (rounded to two decimals). Each line's VAT is rounded once, so a group drifts from that
    by at most half a minor unit a line: only a group of hundreds of lines of one rate (or of a few
    in a currency without minor units) can break it."""
    unit = Decimal(10) ** exponent(currency)
    for group in vat:
        exact = (Decimal(group.taxable) * Decimal(group.rate) / 100 / unit).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        if abs(Decimal(group.tax) / unit - exact) >= 1:
            detail = (
                f"the VAT of its {group.category} {group.rate} % lines, rounded line by line, is "
                f"{amount_text(group.tax, currency)} {currency}, a currency unit or more from "
                f"{group.rate} % of their net amount ({exact} {currency})"
            )
            raise EInvoiceRejected("BR-CO-17", detail)
    return vat


def _group_order(key: tuple[str, Decimal]) -> tuple[int, Decimal]:
    category, rate = key
    return (CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES), -rate)


def _pro_rata(
    basis: tuple[VatBreakdown, ...], amount: int, label: str
) -> tuple[tuple[DocumentLine, ...], tuple[VatBreakdown, ...]]:
    """An amount credited off the invoice, split over its VAT groups (`basis`, its fees' among
    them) by their gross amounts (the last group takes what rounding leaves): one line per group,
    its VAT included in `amount`."""
    groups = [group for group in basis if group.taxable + group.tax > 0]
    gross_total = sum(group.taxable + group.tax for group in groups)
    if not groups:
        raise EInvoiceRejected("BR-16", "the invoice charges nothing a credit note could state as a line")
    lines, vat, left = [], [], amount
    for i, group in enumerate(groups, 1):
        gross = (
            left
            if i == len(groups)
            else _half_up(Decimal(amount) * (group.taxable + group.tax) / gross_total)
        )
        left -= gross
        net = _half_up(Decimal(gross) * 100 / (100 + Decimal(group.rate)))
        lines.append(DocumentLine(str(i), label, "1", net, net, group.category, group.rate))
        vat.append(
            VatBreakdown(
                group.category, group.rate, net, gross - net, group.exemption_reason, group.exemption_code
            )
        )
    return tuple(lines), tuple(vat)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
