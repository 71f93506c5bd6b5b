"""E-invoices over HTTP: `GET /v1/invoices/{id}/einvoice?format=...` and the credit notes' own, on
invoices opened by a real checkout, checked against the official rules (tests/utils/einvoice.py);
and the invoice email carrying the buyer's format."""

from typing import Any

import httpx
import pytest
from lxml import etree

from dev.mailsink import MailSink
from tests.utils.einvoice import elements, embedded_xml, text_of, validation_errors
from tests.utils.factories import auth, create_buyer, create_merchant, error_code, open_invoice, put_ok
from tests.utils.pdf import pdf_text
from tests.utils.waiting import eventually, mails_to

BANK = {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "legal_name": "Widgets GmbH"}
COMPANY = {
    "legal_name": "Widgets GmbH",
    "address": {"line1": "Hauptstraße 1", "postcode": "10115", "city": "Berlin", "country": "DE"},
    "vat_id": "DE136695976",
    "registration": "HRB 12345 B, Amtsgericht Charlottenburg",
    "contact": {"name": "Erika Mustermann", "phone": "+49 30 1234567", "email": "billing@widgets.example"},
    "electronic_address": {"scheme": "EM", "value": "einvoice@widgets.example"},
}
PUBLIC_BUYER = {
    "name": "Stadt Musterstadt",
    "locale": "de",
    "address": {"line1": "Rathausplatz 1", "postcode": "12345", "city": "Musterstadt", "country": "DE"},
    "buyer_reference": "04011000-12345-03",
    "electronic_address": {"scheme": "0204", "value": "04011000-12345-03"},
}
LINES = [
    {"description": "Widget", "quantity": "3", "unit_price": "19.99", "tax_rate": "19"},
    {"description": "Manual", "quantity": "1", "unit_price": "24.50", "tax_rate": "7"},
]


async def einvoicing_merchant(api: httpx.AsyncClient) -> str:
    key = await create_merchant(api)
    await put_ok(api, key, "/v1/settings/bank-details", BANK)
    await put_ok(api, key, "/v1/settings/company", COMPANY)
    return key


async def issued_invoice(api: httpx.AsyncClient, key: str, **buyer: Any) -> dict[str, Any]:
    """An open invoice of several rates to a new buyer, once the read model has it."""
    created = await create_buyer(api, key, **(PUBLIC_BUYER | buyer))
    invoice = await open_invoice(api, key, created["id"], lines=LINES, purchase_order="PO-4711")

    async def stored() -> dict[str, Any] | None:
        body = (await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))).json()
        return body if body.get("number") else None

    return await eventually(stored)


async def get_einvoice(api: httpx.AsyncClient, key: str, path: str, format_name: str) -> httpx.Response:
    return await api.get(path, params={"format": format_name}, headers=auth(key))


@pytest.mark.parametrize("format_name", ["xrechnung-cii", "xrechnung-ubl", "peppol"])
async def test_an_invoice_is_answered_as_xml_that_passes_the_official_rules(
    api: httpx.AsyncClient, format_name: str
) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key)

    response = await get_einvoice(api, key, f"/v1/invoices/{invoice['id']}/einvoice", format_name)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml"
    assert validation_errors(response.content, format_name) == []


async def test_zugferd_is_the_invoice_pdf_with_its_valid_xml_inside(api: httpx.AsyncClient) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key)

    response = await get_einvoice(api, key, f"/v1/invoices/{invoice['id']}/einvoice", "zugferd")

    filename, xml = embedded_xml(response.content)
    assert (filename, invoice["number"] in pdf_text(response.content)) == ("factur-x.xml", True)
    assert validation_errors(xml, "zugferd") == []


async def test_the_xml_states_the_iban_payment_reference_and_purchase_order(api: httpx.AsyncClient) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key)

    response = await get_einvoice(api, key, f"/v1/invoices/{invoice['id']}/einvoice", "xrechnung-ubl")

    root = etree.fromstring(response.content)
    assert (
        text_of(root, "/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
        text_of(root, "/*/cac:PaymentMeans/cbc:PaymentID"),
        text_of(root, "/*/cac:OrderReference/cbc:ID"),
    ) == ("DE89370400440532013000", invoice["payment_reference"], "PO-4711")


async def test_missing_data_is_409_einvoice_incomplete_naming_the_business_terms(
    api: httpx.AsyncClient,
) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key, buyer_reference=None, electronic_address=None)

    response = await get_einvoice(api, key, f"/v1/invoices/{invoice['id']}/einvoice", "xrechnung-cii")

    assert (response.status_code, error_code(response)) == (409, "einvoice_incomplete")
    assert "BT-49" in response.json()["error"]["message"] and "BT-10" in response.json()["error"]["message"]


async def test_an_unknown_format_is_422(api: httpx.AsyncClient) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key)

    response = await get_einvoice(api, key, f"/v1/invoices/{invoice['id']}/einvoice", "edifact")

    assert (response.status_code, error_code(response)) == (422, "unknown_einvoice_format")


async def test_another_merchants_invoice_is_404(api: httpx.AsyncClient) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key)
    other = await einvoicing_merchant(api)

    response = await get_einvoice(api, other, f"/v1/invoices/{invoice['id']}/einvoice", "peppol")

    assert (response.status_code, error_code(response)) == (404, "invoice_not_found")


async def test_a_credit_notes_einvoice_is_a_381_referencing_its_invoice(api: httpx.AsyncClient) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key)
    credited = await api.post(
        f"/v1/invoices/{invoice['id']}/credit-notes",
        json={"amount": "15.00", "reason": "goodwill", "credit_note_id": "cn-goodwill"},
        headers=auth(key),
    )
    assert credited.status_code == 201, credited.text

    async def answered() -> httpx.Response | None:
        path = f"/v1/invoices/{invoice['id']}/credit-notes/cn-goodwill/einvoice"
        response = await get_einvoice(api, key, path, "peppol")
        return response if response.status_code == 200 else None

    response = await eventually(answered)

    root = etree.fromstring(response.content)
    assert (
        text_of(root, "/*/cbc:CreditNoteTypeCode"),
        text_of(root, "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
    ) == ("381", invoice["number"])
    assert validation_errors(response.content, "peppol") == []


async def test_an_unknown_credit_note_is_404(api: httpx.AsyncClient) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key)

    response = await get_einvoice(
        api, key, f"/v1/invoices/{invoice['id']}/credit-notes/nope/einvoice", "peppol"
    )

    assert (response.status_code, error_code(response)) == (404, "credit_note_not_found")


def _attachments(mail: MailSink, address: str) -> list[Any]:
    emails = mails_to(mail, address)
    return list(emails[0].iter_attachments()) if emails else []


async def test_an_xrechnung_cii_buyer_gets_the_xml_beside_the_pdf(
    api: httpx.AsyncClient, mail: MailSink
) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key, einvoice_format="xrechnung_cii")
    buyer = (await api.get(f"/v1/buyers/{invoice['buyer_id']}", headers=auth(key))).json()

    async def attached() -> list[Any]:
        return _attachments(mail, buyer["email"])

    attachments = await eventually(attached)

    assert [a.get_content_type() for a in attachments] == ["application/pdf", "application/xml"]
    assert validation_errors(attachments[1].get_payload(decode=True), "xrechnung-cii") == []


async def test_a_zugferd_buyer_gets_a_pdf_with_the_xml_inside(api: httpx.AsyncClient, mail: MailSink) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key, einvoice_format="zugferd")
    buyer = (await api.get(f"/v1/buyers/{invoice['buyer_id']}", headers=auth(key))).json()

    async def attached() -> list[Any]:
        return _attachments(mail, buyer["email"])

    attachments = await eventually(attached)

    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
    filename, xml = embedded_xml(attachments[0].get_payload(decode=True))
    assert (filename, elements(etree.fromstring(xml), "//ram:BuyerReference")[0].text) == (
        "factur-x.xml",
        "04011000-12345-03",
    )


async def test_a_buyer_whose_format_lacks_data_gets_the_plain_pdf(
    api: httpx.AsyncClient, mail: MailSink
) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key, einvoice_format="peppol", electronic_address=None)
    buyer = (await api.get(f"/v1/buyers/{invoice['buyer_id']}", headers=auth(key))).json()

    async def attached() -> list[Any]:
        return _attachments(mail, buyer["email"])

    attachments = await eventually(attached)

    assert [a.get_filename() for a in attachments] == [f"invoice-{invoice['number']}.pdf"]


async def test_a_zugferd_buyers_credit_note_email_carries_its_381_inside_the_pdf(
    api: httpx.AsyncClient, mail: MailSink
) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key, einvoice_format="zugferd")
    buyer = (await api.get(f"/v1/buyers/{invoice['buyer_id']}", headers=auth(key))).json()
    credited = await api.post(
        f"/v1/invoices/{invoice['id']}/credit-notes",
        json={"amount": "10.00", "reason": "goodwill"},
        headers=auth(key),
    )
    assert credited.status_code == 201, credited.text

    async def credit_note_mail() -> list[Any]:
        emails = [m for m in mails_to(mail, buyer["email"]) if "CN-" in m["Subject"]]
        return list(emails[0].iter_attachments()) if emails else []

    attachments = await eventually(credit_note_mail)

    _, xml = embedded_xml(attachments[0].get_payload(decode=True))
    assert text_of(etree.fromstring(xml), "/*/rsm:ExchangedDocument/ram:TypeCode") == "381"


async def test_without_a_format_the_buyers_own_is_answered(api: httpx.AsyncClient) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key, einvoice_format="xrechnung_ubl")

    response = await api.get(f"/v1/invoices/{invoice['id']}/einvoice", headers=auth(key))

    assert text_of(etree.fromstring(response.content), "/*/cbc:CustomizationID").endswith("xrechnung_3.0")


async def test_without_a_format_for_a_buyer_without_one_is_422(api: httpx.AsyncClient) -> None:
    key = await einvoicing_merchant(api)
    invoice = await issued_invoice(api, key)

    response = await api.get(f"/v1/invoices/{invoice['id']}/einvoice", headers=auth(key))

    assert (response.status_code, error_code(response)) == (422, "unknown_einvoice_format")
