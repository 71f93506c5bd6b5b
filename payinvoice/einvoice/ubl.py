"""An `EInvoice` in OASIS UBL 2.1 syntax (EN 16931-3-2): an Invoice, or a CreditNote for type 381;
XRechnung 3.0 UBL and Peppol BIS Billing 3.0. Element order follows the UBL 2.1 schemas.
"""

from lxml import etree

from payinvoice.einvoice.model import PEPPOL_PROFILE_ID, EInvoice, Party, amount_text, rate_text

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_NS = {"cac": CAC, "cbc": CBC}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{_NS[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def to_ubl(invoice: EInvoice) -> bytes:
    """The document as UTF-8 XML bytes: `<Invoice>`, or `<CreditNote>` for a credit note."""
    credit = invoice.is_credit_note
    currency = invoice.currency

    def money(parent: etree._Element, tag: str, minor: int) -> None:
        _el(parent, tag, amount_text(minor, currency), currencyID=currency)

    namespace = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(
        f"{{{namespace}}}{'CreditNote' if credit else 'Invoice'}",
        # The document's own namespace as the default one (lxml's key None; its stubs know only str).
        nsmap={None: namespace, "cac": CAC, "cbc": CBC},  # pyright: ignore[reportArgumentType]
    )
    _el(root, "cbc:CustomizationID", invoice.customization_id)
    _el(root, "cbc:ProfileID", PEPPOL_PROFILE_ID)  # BT-23: the Peppol billing process, XRechnung's too
    _el(root, "cbc:ID", invoice.number)
    _el(root, "cbc:IssueDate", invoice.issue_date)
    if invoice.due_date and not credit:
        _el(root, "cbc:DueDate", invoice.due_date)
    _el(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", invoice.type_code)
    if invoice.note:
        _el(root, "cbc:Note", invoice.note)
    _el(root, "cbc:DocumentCurrencyCode", currency)
    if invoice.buyer_reference:
        _el(root, "cbc:BuyerReference", invoice.buyer_reference)
    if invoice.purchase_order or invoice.sales_order:
        order = _el(root, "cac:OrderReference")
        # BT-13; "NA" when only the seller's order is known (the UBL binding of EN 16931).
        _el(order, "cbc:ID", invoice.purchase_order or "NA")
        if invoice.sales_order:
            _el(order, "cbc:SalesOrderID", invoice.sales_order)
    if invoice.preceding:
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", invoice.preceding.number)
        if invoice.preceding.issue_date:
            _el(reference, "cbc:IssueDate", invoice.preceding.issue_date)
    _party(_el(root, "cac:AccountingSupplierParty"), invoice.seller, seller=True)
    _party(_el(root, "cac:AccountingCustomerParty"), invoice.buyer, seller=False)
    if invoice.delivery_date:
        _el(_el(root, "cac:Delivery"), "cbc:ActualDeliveryDate", invoice.delivery_date)

    payment = invoice.payment
    means = _el(root, "cac:PaymentMeans")
    _el(means, "cbc:PaymentMeansCode", payment.means_code)
    if payment.reference:
        _el(means, "cbc:PaymentID", payment.reference)
    if payment.iban:
        account = _el(means, "cac:PayeeFinancialAccount")
        _el(account, "cbc:ID", payment.iban)
        if payment.account_name:
            _el(account, "cbc:Name", payment.account_name)
        if payment.bic:
            _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", payment.bic)
    if invoice.payment_terms:
        _el(_el(root, "cac:PaymentTerms"), "cbc:Note", invoice.payment_terms)

    for charge in invoice.charges:
        element = _el(root, "cac:AllowanceCharge")
        _el(element, "cbc:ChargeIndicator", "true")
        _el(element, "cbc:AllowanceChargeReason", charge.reason)
        money(element, "cbc:Amount", charge.amount)
        _tax_category(element, "cac:TaxCategory", charge.category, charge.rate)

    tax_total = _el(root, "cac:TaxTotal")
    money(tax_total, "cbc:TaxAmount", invoice.totals.tax)
    for group in invoice.vat:
        subtotal = _el(tax_total, "cac:TaxSubtotal")
        money(subtotal, "cbc:TaxableAmount", group.taxable)
        money(subtotal, "cbc:TaxAmount", group.tax)
        _tax_category(
            subtotal,
            "cac:TaxCategory",
            group.category,
            group.rate,
            group.exemption_code,
            group.exemption_reason,
            breakdown=True,
        )

    totals = invoice.totals
    monetary = _el(root, "cac:LegalMonetaryTotal")
    money(monetary, "cbc:LineExtensionAmount", totals.line_net)
    money(monetary, "cbc:TaxExclusiveAmount", totals.tax_exclusive)
    money(monetary, "cbc:TaxInclusiveAmount", totals.tax_inclusive)
    if invoice.charges:
        money(monetary, "cbc:ChargeTotalAmount", totals.charges)
    if totals.prepaid:
        money(monetary, "cbc:PrepaidAmount", totals.prepaid)
    money(monetary, "cbc:PayableAmount", totals.payable)

    for line in invoice.lines:
        element = _el(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
        _el(element, "cbc:ID", line.id)
        _el(
            element,
            "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity",
            line.quantity,
            unitCode=line.unit_code,
        )
        money(element, "cbc:LineExtensionAmount", line.net)
        item = _el(element, "cac:Item")
        _el(item, "cbc:Name", line.name)
        _tax_category(item, "cac:ClassifiedTaxCategory", line.category, line.rate)
        money(_el(element, "cac:Price"), "cbc:PriceAmount", line.unit_price)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _tax_category(
    parent: etree._Element,
    tag: str,
    category: str,
    rate: str,
    exemption_code: str | None = None,
    exemption_reason: str | None = None,
    *,
    breakdown: bool = False,
) -> None:
    element = _el(parent, tag)
    _el(element, "cbc:ID", category)
    if category != "O" or breakdown:  # BR-O-05, BR-O-07: no rate on an item or charge outside VAT
        _el(element, "cbc:Percent", rate_text(rate))
    if exemption_code:
        _el(element, "cbc:TaxExemptionReasonCode", exemption_code)
    if exemption_reason:
        _el(element, "cbc:TaxExemptionReason", exemption_reason)
    _el(_el(element, "cac:TaxScheme"), "cbc:ID", "VAT")


def _party(parent: etree._Element, party: Party, *, seller: bool) -> None:
    element = _el(parent, "cac:Party")
    if party.electronic_address:
        _el(
            element,
            "cbc:EndpointID",
            party.electronic_address.value,
            schemeID=party.electronic_address.scheme,
        )
    if party.trading_name:
        _el(_el(element, "cac:PartyName"), "cbc:Name", party.trading_name)
    address = _el(element, "cac:PostalAddress")
    _el(address, "cbc:StreetName", party.address.line1)
    if party.address.line2:
        _el(address, "cbc:AdditionalStreetName", party.address.line2)
    _el(address, "cbc:CityName", party.address.city)
    _el(address, "cbc:PostalZone", party.address.postcode)
    _el(_el(address, "cac:Country"), "cbc:IdentificationCode", party.address.country)
    if party.vat_id:
        scheme = _el(element, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.vat_id)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    if seller and party.tax_number:
        scheme = _el(element, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.tax_number)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "FC")
    legal = _el(element, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party.name)
    if party.registration:
        _el(legal, "cbc:CompanyID", party.registration)
    if party.contact:
        contact = _el(element, "cac:Contact")
        _el(contact, "cbc:Name", party.contact.name)
        _el(contact, "cbc:Telephone", party.contact.phone)
        _el(contact, "cbc:ElectronicMail", party.contact.email)
