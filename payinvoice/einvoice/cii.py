"""An `EInvoice` in UN/CEFACT Cross Industry Invoice D16B syntax (EN 16931-3-3): XRechnung 3.0 CII
and the XML of ZUGFeRD / Factur-X EN 16931. Element order follows the CII schema; only the
elements EN 16931 maps are written, so the Factur-X EN 16931 schema accepts the document.
"""

from datetime import date

from lxml import etree

from payinvoice.einvoice.model import EInvoice, Party, Profile, amount_text, rate_text

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _date(parent: etree._Element, tag: str, iso: str, namespace: str = "udt") -> None:
    _el(
        _el(parent, tag),
        f"{namespace}:DateTimeString",
        date.fromisoformat(iso).strftime("%Y%m%d"),
        format="102",
    )


def to_cii(invoice: EInvoice) -> bytes:
    """The document as UTF-8 XML bytes with an XML declaration."""
    money = lambda minor: amount_text(minor, invoice.currency)  # noqa: E731
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)

    context = _el(root, "rsm:ExchangedDocumentContext")
    if invoice.profile is Profile.XRECHNUNG:
        # BT-23: XRechnung names the Peppol billing process; Factur-X has no use for it.
        process = _el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter")
        _el(process, "ram:ID", "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", invoice.customization_id)

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", invoice.type_code)
    _date(document, "ram:IssueDateTime", invoice.issue_date)
    if invoice.note:
        _el(_el(document, "ram:IncludedNote"), "ram:Content", invoice.note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in invoice.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.id)
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", money(line.unit_price))
        _el(
            _el(item, "ram:SpecifiedLineTradeDelivery"),
            "ram:BilledQuantity",
            line.quantity,
            unitCode=line.unit_code,
        )
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", line.category)
        if line.category != "O":  # BR-O-05: no rate outside the scope of VAT
            _el(tax, "ram:RateApplicablePercent", rate_text(line.rate))
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", money(line.net))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    if invoice.buyer_reference:
        _el(agreement, "ram:BuyerReference", invoice.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", invoice.seller, seller=True)
    _party(agreement, "ram:BuyerTradeParty", invoice.buyer, seller=False)
    if invoice.sales_order:
        _el(_el(agreement, "ram:SellerOrderReferencedDocument"), "ram:IssuerAssignedID", invoice.sales_order)
    if invoice.purchase_order:
        _el(
            _el(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", invoice.purchase_order
        )

    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if invoice.delivery_date:
        _date(
            _el(delivery, "ram:ActualDeliverySupplyChainEvent"),
            "ram:OccurrenceDateTime",
            invoice.delivery_date,
        )

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    payment = invoice.payment
    if payment.reference:
        _el(settlement, "ram:PaymentReference", payment.reference)
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    _el(means, "ram:TypeCode", payment.means_code)
    if payment.iban:
        account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
        _el(account, "ram:IBANID", payment.iban)
        if payment.account_name:
            _el(account, "ram:AccountName", payment.account_name)
        if payment.bic:
            _el(_el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", payment.bic)
    for group in invoice.vat:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", money(group.tax))
        _el(tax, "ram:TypeCode", "VAT")
        if group.exemption_reason:
            _el(tax, "ram:ExemptionReason", group.exemption_reason)
        _el(tax, "ram:BasisAmount", money(group.taxable))
        _el(tax, "ram:CategoryCode", group.category)
        if group.exemption_code:
            _el(tax, "ram:ExemptionReasonCode", group.exemption_code)
        _el(tax, "ram:RateApplicablePercent", rate_text(group.rate))
    for charge in invoice.charges:
        element = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _el(_el(element, "ram:ChargeIndicator"), "udt:Indicator", "true")
        _el(element, "ram:ActualAmount", money(charge.amount))
        _el(element, "ram:Reason", charge.reason)
        tax = _el(element, "ram:CategoryTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", charge.category)
        if charge.category != "O":  # BR-O-07
            _el(tax, "ram:RateApplicablePercent", rate_text(charge.rate))
    if invoice.payment_terms or invoice.due_date:
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        if invoice.payment_terms:
            _el(terms, "ram:Description", invoice.payment_terms)
        if invoice.due_date:
            _date(terms, "ram:DueDateDateTime", invoice.due_date)
    totals = invoice.totals
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", money(totals.line_net))
    if invoice.charges:
        _el(summation, "ram:ChargeTotalAmount", money(totals.charges))
    _el(summation, "ram:TaxBasisTotalAmount", money(totals.tax_exclusive))
    _el(summation, "ram:TaxTotalAmount", money(totals.tax), currencyID=invoice.currency)
    _el(summation, "ram:GrandTotalAmount", money(totals.tax_inclusive))
    if totals.prepaid:
        _el(summation, "ram:TotalPrepaidAmount", money(totals.prepaid))
    _el(summation, "ram:DuePayableAmount", money(totals.payable))
    if invoice.preceding:
        referenced = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(referenced, "ram:IssuerAssignedID", invoice.preceding.number)
        if invoice.preceding.issue_date:
            _date(referenced, "ram:FormattedIssueDateTime", invoice.preceding.issue_date, namespace="qdt")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _party(parent: etree._Element, tag: str, party: Party, *, seller: bool) -> None:
    element = _el(parent, tag)
    _el(element, "ram:Name", party.name)
    if party.registration or party.trading_name:
        legal = _el(element, "ram:SpecifiedLegalOrganization")
        if party.registration:
            _el(legal, "ram:ID", party.registration)
        if party.trading_name:
            _el(legal, "ram:TradingBusinessName", party.trading_name)
    if party.contact:
        contact = _el(element, "ram:DefinedTradeContact")
        _el(contact, "ram:PersonName", party.contact.name)
        _el(_el(contact, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", party.contact.phone)
        _el(_el(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.contact.email)
    address = _el(element, "ram:PostalTradeAddress")
    _el(address, "ram:PostcodeCode", party.address.postcode)
    _el(address, "ram:LineOne", party.address.line1)
    if party.address.line2:
        _el(address, "ram:LineTwo", party.address.line2)
    _el(address, "ram:CityName", party.address.city)
    _el(address, "ram:CountryID", party.address.country)
    if party.electronic_address:
        uri = _el(element, "ram:URIUniversalCommunication")
        _el(uri, "ram:URIID", party.electronic_address.value, schemeID=party.electronic_address.scheme)
    if party.vat_id:
        _el(_el(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")
    if seller and party.tax_number:
        _el(_el(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_number, schemeID="FC")
