"""One EN 16931 document, syntax-free: what `cii.py` and `ubl.py` write and nothing more.

Money is in minor units of `EInvoice.currency` (Decimal appears only when the syntaxes print it);
quantities and VAT rates are decimal strings as the invoice's lines carry them. Every amount is
positive: a credit note (type 381) states what it credits, as EN 16931 wants.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from payinvoice.domain.money import from_minor
from payinvoice.domain.parties import ElectronicAddress, PostalAddress


class Syntax(StrEnum):
    CII = "cii"
    UBL = "ubl"


class Profile(StrEnum):
    """Which specification the document claims (BT-24) and so which rules it must pass."""

    EN16931 = "en16931"  # ZUGFeRD / Factur-X EN 16931
    XRECHNUNG = "xrechnung"
    PEPPOL = "peppol"


# BT-24 specification identifiers and BT-23 business process.
CUSTOMIZATION_ID: dict[Profile, str] = {
    Profile.EN16931: "urn:cen.eu:en16931:2017",
    Profile.XRECHNUNG: "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
    Profile.PEPPOL: "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
}
PEPPOL_PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

INVOICE = "380"  # BT-3: commercial invoice
CREDIT_NOTE = "381"  # BT-3: credit note
# BT-81: SEPA credit transfer; clearing between partners (a credit note settles against its invoice).
CREDIT_TRANSFER = "58"
CLEARING = "97"


@dataclass(frozen=True)
class Contact:
    """BG-6 seller contact: BT-41 point, BT-42 telephone, BT-43 email."""

    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class Party:
    """BG-4 seller or BG-7 buyer."""

    name: str  # BT-27 / BT-44
    address: PostalAddress  # BG-5 / BG-8
    vat_id: str | None = None  # BT-31 / BT-48
    tax_number: str | None = None  # BT-32 (seller only)
    registration: str | None = None  # BT-30 / BT-47 legal registration identifier
    electronic_address: ElectronicAddress | None = None  # BT-34 / BT-49
    contact: Contact | None = None  # BG-6 / BG-9
    trading_name: str | None = None  # BT-28 / BT-45


@dataclass(frozen=True)
class DocumentLine:
    """BG-25 invoice line."""

    id: str  # BT-126
    name: str  # BT-153
    quantity: str  # BT-129
    unit_price: int  # BT-146 net price, minor units
    net: int  # BT-131 = quantity x price, rounded half-up once
    category: str  # BT-151
    rate: str  # BT-152
    unit_code: str = "C62"  # BT-130: "one" (UN/ECE rec. 20)


@dataclass(frozen=True)
class Charge:
    """BG-21 document level charge: a late fee, late-payment interest."""

    amount: int  # BT-99
    reason: str  # BT-104
    category: str  # BT-102
    rate: str  # BT-103


@dataclass(frozen=True)
class VatBreakdown:
    """BG-23: one per VAT category and rate."""

    category: str  # BT-118
    rate: str  # BT-119
    taxable: int  # BT-116
    tax: int  # BT-117
    exemption_reason: str | None = None  # BT-120
    exemption_code: str | None = None  # BT-121


@dataclass(frozen=True)
class Totals:
    """BG-22 document totals."""

    line_net: int  # BT-106
    charges: int  # BT-108
    tax_exclusive: int  # BT-109
    tax: int  # BT-110
    tax_inclusive: int  # BT-112
    prepaid: int  # BT-113
    payable: int  # BT-115
    allowances: int = 0  # BT-107


@dataclass(frozen=True)
class PaymentInstructions:
    """BG-16: how to pay (BT-81), the reference to quote (BT-83), the account (BG-17)."""

    means_code: str  # BT-81
    reference: str | None = None  # BT-83
    iban: str | None = None  # BT-84
    account_name: str | None = None  # BT-85
    bic: str | None = None  # BT-86


@dataclass(frozen=True)
class PrecedingInvoice:
    """BG-3: the invoice a credit note corrects."""

    number: str  # BT-25
    issue_date: str | None = None  # BT-26 (ISO)


@dataclass(frozen=True)
class EInvoice:
    profile: Profile
    type_code: str  # BT-3
    number: str  # BT-1
    issue_date: str  # BT-2 (ISO)
    currency: str  # BT-5
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    vat: tuple[VatBreakdown, ...]
    totals: Totals
    payment: PaymentInstructions
    charges: tuple[Charge, ...] = ()
    due_date: str | None = None  # BT-9 (ISO)
    payment_terms: str | None = None  # BT-20
    buyer_reference: str | None = None  # BT-10
    purchase_order: str | None = None  # BT-13
    sales_order: str | None = None  # BT-14
    delivery_date: str | None = None  # BT-72 (ISO)
    preceding: PrecedingInvoice | None = None  # BG-3
    note: str | None = None  # BT-22

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE

    @property
    def customization_id(self) -> str:
        return CUSTOMIZATION_ID[self.profile]


def amount_text(minor: int, currency: str) -> str:
    """An amount as both syntaxes print it: the currency's decimals, a dot, no grouping."""
    return from_minor(minor, currency)


def rate_text(rate: str) -> str:
    """A VAT rate as printed: "19", "7.5", "0"."""
    value = Decimal(rate)
    return format(value.normalize() if value else Decimal(0), "f")
