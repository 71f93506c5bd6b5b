"""Bank details, buyer locales, the invoice PDF endpoint, the hosted page over HTTP, and the PDF
attached to the invoice email."""

import httpx

from tests.utils.factories import auth, checkout, create_buyer, create_merchant, error_code, post_payment
from tests.utils.pdf import pdf_text
from tests.utils.waiting import eventually, mails_to

BANK = {"iban": "DE89 3704 0044 0532 0130 00", "bic": "cobadeffxxx", "legal_name": "Widgets Handels GmbH",
        "address": "Hauptstr. 1\n10115 Berlin"}


async def merchant_with_bank(api: httpx.AsyncClient) -> str:
    key = await create_merchant(api)
    response = await api.put("/v1/settings/bank-details", json=BANK, headers=auth(key))
    assert response.status_code == 200, response.text
    return key


async def test_bank_details_are_checked_stored_and_read(api: httpx.AsyncClient) -> None:
    key = await merchant_with_bank(api)
    stored = (await api.get("/v1/settings/bank-details", headers=auth(key))).json()
    assert stored == BANK | {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}
    bad_iban = await api.put("/v1/settings/bank-details", json={"iban": "DE00123"}, headers=auth(key))
    assert bad_iban.status_code == 422 and error_code(bad_iban) == "invalid_iban"
    bad_bic = await api.put("/v1/settings/bank-details", json={"bic": "NOTABIC!"}, headers=auth(key))
    assert bad_bic.status_code == 422 and error_code(bad_bic) == "invalid_bic"


async def test_buyers_take_and_show_a_locale(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    assert buyer["locale"] == "en"
    german = await create_buyer(api, key, locale="de")
    assert german["locale"] == "de"
    patched = await api.patch(f"/v1/buyers/{buyer['id']}", json={"locale": "de"}, headers=auth(key))
    assert patched.json()["locale"] == "de"
    bad = await api.patch(f"/v1/buyers/{buyer['id']}", json={"locale": "fr"}, headers=auth(key))
    assert bad.status_code == 422


async def test_an_unknown_token_is_a_plain_404_page(api: httpx.AsyncClient) -> None:
    for token in ("x" * 32, "short", "<script>"):
        response = await api.get(f"/i/{token}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Invoice not found" in response.text and "<script>" not in response.text


async def test_the_invoice_json_links_its_pdf_and_hosted_page(api: httpx.AsyncClient, mail) -> None:
    key = await merchant_with_bank(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"], purchase_order="PO-77")).json()
    assert invoice["pdf_url"] == f"http://localhost:8000/v1/invoices/{invoice['id']}/pdf"
    hosted = invoice["hosted_invoice_url"]
    assert hosted.startswith("http://localhost:8000/i/") and len(hosted.rsplit("/", 1)[1]) >= 32
    assert invoice["hosted_invoice_url"] == (
        await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))
    ).json()["hosted_invoice_url"]

    async def page() -> httpx.Response | None:
        response = await api.get(hosted.removeprefix("http://localhost:8000"))
        return response if response.status_code == 200 else None

    response = await eventually(page)
    assert response.headers["cache-control"] == "no-store"
    assert "119.00 EUR" in response.text and invoice["payment_reference"] in response.text
    assert "DE89 3704 0044 0532 0130 00" in response.text and "data:image/svg+xml" in response.text

    other = await create_merchant(api, "Other GmbH")
    assert (await api.get(f"/v1/invoices/{invoice['id']}/pdf", headers=auth(other))).status_code == 404


async def test_the_pdf_endpoint_and_the_invoice_email_carry_the_pdf(api: httpx.AsyncClient, mail) -> None:
    key = await merchant_with_bank(api)
    buyer = await create_buyer(api, key, locale="de")
    invoice = (await checkout(api, key, buyer["id"])).json()
    response = await api.get(f"/v1/invoices/{invoice['id']}/pdf", headers=auth(key))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    assert invoice["number"] in text and "119,00 €" in text and "USt. 19 % auf 100,00 € 19,00 €" in text

    emails = await eventually(lambda: _async(mails_to(mail, buyer["email"])))
    message = emails[0]
    assert message["Subject"] == f"Rechnung {invoice['number']} von Widgets GmbH"
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"invoice-{invoice['number']}.pdf"]
    assert invoice["payment_reference"] in pdf_text(attachments[0].get_content())
    assert "Rechnung, Status und PDF online ansehen" in message.get_body(("plain",)).get_content()

    paid = await post_payment(api, key, invoice["id"])
    assert paid.status_code == 200, paid.text
    token_pdf = await api.get(invoice["hosted_invoice_url"].removeprefix("http://localhost:8000") + "/pdf")
    assert token_pdf.status_code == 200 and token_pdf.headers["content-type"] == "application/pdf"


async def _async(value):
    return value


COMPANY = {
    "legal_name": "Widgets Handels GmbH",
    "address": {"line1": "Hauptstraße 1", "postcode": "10115", "city": "Berlin", "country": "DE"},
    "vat_id": "DE136695976",
    "contact": {"name": "Erika Muster", "phone": "+49 30 1234567", "email": "billing@widgets.example"},
}
VIENNA = {"line1": "Seestraße 3", "postcode": "1010", "city": "Wien", "country": "AT"}


async def test_the_page_pdf_and_email_state_the_company_the_buyers_address_and_the_account(
    api: httpx.AsyncClient, mail
) -> None:
    """The company settings and the buyer's address reach what the buyer reads: the use case
    (services/documents.py) and the email activity hand the merchant's and buyer's rows over."""
    key = await merchant_with_bank(api)
    assert (await api.put("/v1/settings/company", json=COMPANY, headers=auth(key))).status_code == 200
    buyer = await create_buyer(api, key, locale="de", address=VIENNA, vat_id="ATU57194903")
    invoice = (await checkout(api, key, buyer["id"])).json()
    page = (await api.get(invoice["hosted_invoice_url"].removeprefix("http://localhost:8000"))).text
    pdf = pdf_text((await api.get(f"/v1/invoices/{invoice['id']}/pdf", headers=auth(key))).content)
    message = (await eventually(lambda: _async(mails_to(mail, buyer["email"]))))[0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (page, pdf, text, html):
        for expected in (
            "Hauptstraße 1", "10115 Berlin", "USt-IdNr.: DE136695976", "Seestraße 3", "1010 Wien",
            "Österreich", "USt-IdNr.: ATU57194903", "Leistungsdatum",
        ):
            assert expected in body, expected
    for body in (text, html):
        assert "DE89 3704 0044 0532 0130 00" in body and "COBADEFFXXX" in body
        assert invoice["payment_reference"] in body and "119,00\xa0€" in body
