"""The parties of an invoice as EN 16931 e-invoices name them: postal addresses, VAT ids, tax
numbers, electronic addresses (EAS code lists), the seller's company and the format a buyer
receives. One check each, used by the company settings and by buyers alike; each refusal names the
field it refuses (`address.country`, `vat_id`, ...), under the prefix the caller passes."""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from stdnum import ean
from stdnum.de import leitweg, stnr
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren, siret
from stdnum.util import get_cc_module

from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.domain.identifiers import checked_email

MAX_TEXT = 200
MAX_BUYER_REFERENCE = 200
MAX_VAT_ID = 32  # the width of buyers.vat_id


class EInvoiceFormat(StrEnum):
    """What a buyer receives beside (or as) its invoice: nothing, or one e-invoice syntax."""

    NONE = "none"
    XRECHNUNG_CII = "xrechnung_cii"
    XRECHNUNG_UBL = "xrechnung_ubl"
    ZUGFERD = "zugferd"
    PEPPOL = "peppol"


# ISO 3166-1 alpha-2: the 249 officially assigned codes (no user-assigned ones such as XK).
COUNTRY_CODES: frozenset[str] = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())  # fmt: skip

# The Electronic Address Scheme (EAS) code list of EN 16931 (CEF, version 13): BT-34 / BT-49.
EAS_CODES: frozenset[str] = frozenset("""
0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0170 0183 0184 0188 0190
0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205 0208 0209 0210 0211 0212
0213 0215 0216 0217 0218 0221 0230
9901 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928 9929 9930 9931 9932
9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946 9947 9948 9949 9950 9951
9952 9953 9957 9959
AN AQ AS AU EM
""".split())  # fmt: skip

# The EAS schemes that are a country's VAT number, checked as a VAT id of that country.
_VAT_SCHEMES: dict[str, str] = {
    "9910": "HU", "9914": "AT", "9925": "BE", "9926": "BG", "9927": "CH", "9928": "CY", "9929": "CZ",
    "9930": "DE", "9931": "EE", "9932": "GB", "9933": "GR", "9934": "HR", "9935": "IE", "9937": "LT",
    "9938": "LU", "9939": "LV", "9943": "MT", "9944": "NL", "9945": "PL", "9946": "PT", "9947": "RO",
    "9949": "SI", "9950": "SK", "9957": "FR", "0211": "IT",
}  # fmt: skip

# What a VAT id, tax number, registration or address identifier may look like when no stdnum
# module knows the country's format: letters, digits and the usual separators.
_GENERIC_ID = re.compile(r"(?=.*[0-9])[A-Z0-9][A-Z0-9 ./:_-]{2,62}[A-Z0-9]", re.IGNORECASE | re.ASCII)
# The VAT prefixes of the EU member states (Greece's is EL, Northern Ireland's XI).
_EU_VAT_PREFIXES = frozenset(cc.upper() for cc in eu_vat.MEMBER_STATES - {"gr"}) | {"EL"}
_SEPARATORS = re.compile(r"[\s./,-]")


@dataclass(frozen=True)
class PostalAddress:
    line1: str
    postcode: str
    city: str
    country: str
    line2: str | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "PostalAddress":
        return cls(
            line1=document["line1"],
            postcode=document["postcode"],
            city=document["city"],
            country=document["country"],
            line2=document.get("line2"),
        )

    def to_document(self) -> dict[str, Any]:
        return {
            "line1": self.line1,
            "line2": self.line2,
            "postcode": self.postcode,
            "city": self.city,
            "country": self.country,
        }


@dataclass(frozen=True)
class ElectronicAddress:
    """BT-34 / BT-49: where e-invoices are delivered, an identifier under an EAS scheme."""

    scheme: str
    value: str

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "ElectronicAddress":
        return cls(scheme=document["scheme"], value=document["value"])

    def to_document(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "value": self.value}


@dataclass(frozen=True)
class Company:
    """The seller as its e-invoices state it (BG-4 seller, BG-6 seller contact)."""

    legal_name: str
    address: PostalAddress
    contact_name: str
    contact_phone: str
    contact_email: str
    vat_id: str | None = None
    tax_number: str | None = None
    registration: str | None = None
    electronic_address: ElectronicAddress | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "Company":
        """From the JSON column `merchants.company` (the shape of `to_document`)."""
        contact = document["contact"]
        electronic = document.get("electronic_address")
        return cls(
            legal_name=document["legal_name"],
            address=PostalAddress.from_document(document["address"]),
            contact_name=contact["name"],
            contact_phone=contact["phone"],
            contact_email=contact["email"],
            vat_id=document.get("vat_id"),
            tax_number=document.get("tax_number"),
            registration=document.get("registration"),
            electronic_address=ElectronicAddress.from_document(electronic) if electronic else None,
        )

    def to_document(self) -> dict[str, Any]:
        """The document the API accepts and answers, as `merchants.company` stores it."""
        return {
            "legal_name": self.legal_name,
            "address": self.address.to_document(),
            "vat_id": self.vat_id,
            "tax_number": self.tax_number,
            "registration": self.registration,
            "contact": {"name": self.contact_name, "phone": self.contact_phone, "email": self.contact_email},
            "electronic_address": self.electronic_address.to_document() if self.electronic_address else None,
        }


def checked_country(value: str, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code, upper case."""
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise Refusal(
            ErrorType.INVALID_ADDRESS, f"{field} {value!r} is not an ISO 3166-1 alpha-2 country code"
        )
    return code


def checked_address(
    *, line1: str, postcode: str, city: str, country: str, line2: str | None = None, field: str = "address"
) -> PostalAddress:
    """A postal address with its text trimmed: line1, postcode and city non-empty, a real country."""
    required = {"line1": line1, "postcode": postcode, "city": city}
    for name, text in required.items():
        if not text.strip():
            raise Refusal(ErrorType.INVALID_ADDRESS, f"{field}.{name} must not be empty")
        if len(text.strip()) > MAX_TEXT:
            raise Refusal(ErrorType.INVALID_ADDRESS, f"{field}.{name} is longer than {MAX_TEXT} characters")
    if line2 is not None and len(line2.strip()) > MAX_TEXT:
        raise Refusal(ErrorType.INVALID_ADDRESS, f"{field}.line2 is longer than {MAX_TEXT} characters")
    return PostalAddress(
        line1=line1.strip(),
        postcode=postcode.strip(),
        city=city.strip(),
        country=checked_country(country, f"{field}.country"),
        line2=(line2 or "").strip() or None,
    )


def checked_vat_id(value: str, country: str | None = None, field: str = "vat_id") -> str:
    """A VAT identifier in its compact form, with its country prefix (BT-31 / BT-48).

    An EU number (its prefix one of the member states', EL for Greece, XI for Northern Ireland) is
    checked with stdnum's EU VAT rules, and a number typed without its prefix gets the one of
    `country` (the party's address) when that is a member state; any other number is checked with
    the VAT module stdnum has for its prefix's country or else for `country`, and where stdnum has
    none, for its shape.
    """
    cleaned = _SEPARATORS.sub("", value).upper()
    if cleaned.startswith("GR"):
        cleaned = "EL" + cleaned[2:]
    eu_prefix = "EL" if country == "GR" else country
    if not cleaned[:2].isalpha() and eu_prefix in _EU_VAT_PREFIXES:
        cleaned = eu_prefix + cleaned
    prefix = cleaned[:2]
    try:
        if prefix in _EU_VAT_PREFIXES:
            compact = eu_vat.validate(cleaned)
        else:
            compact = _foreign_vat_id(cleaned, prefix, country)
    except ValidationError:
        compact = None
    if compact is None or len(compact) > MAX_VAT_ID:
        raise Refusal(ErrorType.INVALID_VAT_ID, f"{field} {value!r} is not a valid VAT identification number")
    return compact


def _foreign_vat_id(cleaned: str, prefix: str, country: str | None) -> str | None:
    for candidate in (prefix, country):
        if candidate and candidate.upper() in COUNTRY_CODES and (module := get_cc_module(candidate, "vat")):
            module.validate(cleaned)  # raises ValidationError
            return cleaned if cleaned.startswith(candidate.upper()) else candidate.upper() + cleaned
    return cleaned if _GENERIC_ID.fullmatch(cleaned) else None


def checked_tax_number(value: str, country: str, field: str = "tax_number") -> str:
    """The seller's tax registration (BT-32): a German Steuernummer for a seller in Germany."""
    text = value.strip()
    if country == "DE":
        if not stnr.is_valid(text):
            raise Refusal(
                ErrorType.INVALID_TAX_NUMBER, f"{field} {value!r} is not a valid German Steuernummer"
            )
        return text
    if not _GENERIC_ID.fullmatch(text):
        raise Refusal(ErrorType.INVALID_TAX_NUMBER, f"{field} {value!r} is not a valid tax number")
    return text


def checked_electronic_address(
    scheme: str, value: str, field: str = "electronic_address"
) -> ElectronicAddress:
    """An EAS scheme of the code list and a value that scheme accepts (checked where stdnum or our
    own rules know the scheme: email, VAT numbers, GLN, Leitweg-ID, SIREN, SIRET, BE enterprise)."""
    code = scheme.strip().upper()
    if code not in EAS_CODES:
        raise Refusal(ErrorType.INVALID_ELECTRONIC_ADDRESS, f"{field}.scheme {scheme!r} is not an EAS code")
    text = value.strip()
    invalid = Refusal(
        ErrorType.INVALID_ELECTRONIC_ADDRESS, f"{field}.value {value!r} is not valid for scheme {code}"
    )
    if not text or len(text) > MAX_TEXT or any(c.isspace() for c in text):
        raise invalid
    try:
        return ElectronicAddress(code, _checked_address_value(code, text))
    except (Refusal, ValidationError):
        raise invalid from None


def _checked_address_value(code: str, text: str) -> str:
    if code == "EM":
        return checked_email(text)
    if code in _VAT_SCHEMES:
        return checked_vat_id(text, _VAT_SCHEMES[code])
    validators = {"0088": ean, "0204": leitweg, "0002": siren, "0009": siret}
    if module := validators.get(code):
        return module.validate(text)
    if code == "0208":  # the Belgian enterprise number: the VAT number's ten digits
        return eu_vat.validate("BE" + text.upper().removeprefix("BE"))[2:]
    return text


def checked_buyer_reference(value: str, field: str = "buyer_reference") -> str:
    """BT-10, e.g. a German public buyer's Leitweg-ID: any text up to 200 characters."""
    text = value.strip()
    if not text or len(text) > MAX_BUYER_REFERENCE:
        raise Refusal(
            ErrorType.INVALID_BUYER_REFERENCE, f"{field} must be 1 to {MAX_BUYER_REFERENCE} characters"
        )
    return text


def checked_einvoice_format(value: str, field: str = "einvoice_format") -> EInvoiceFormat:
    try:
        return EInvoiceFormat(value)
    except ValueError:
        formats = ", ".join(f.value for f in EInvoiceFormat)
        raise Refusal(ErrorType.INVALID_REQUEST, f"{field} {value!r} is not one of {formats}") from None
