"""Bank details are frozen on each invoice at issue: a change applies to the invoices issued
after it, and is emailed to the merchant."""

import uuid

import httpx
from temporalio.client import Client

from payinvoice.contracts import MERCHANT_NOTICE_WORKFLOW
from tests.utils.factories import auth, checkout, create_buyer, create_merchant
from tests.utils.histories import record_history
from tests.utils.pdf import pdf_text
from tests.utils.waiting import eventually, late_duplicates_arrive, mails_to

OLD = {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "legal_name": "Widgets Handels GmbH"}
NEW = {"iban": "DE02 1203 0000 0000 2020 51", "bic": "BYLADEM1001", "legal_name": "Widgets Handels GmbH"}


async def _set_bank(api: httpx.AsyncClient, key: str, details: dict[str, str]) -> None:
    response = await api.put("/v1/settings/bank-details", json=details, headers=auth(key))
    assert response.status_code == 200, response.text


async def _pdf_text(api: httpx.AsyncClient, key: str, invoice_id: str) -> str:
    response = await api.get(f"/v1/invoices/{invoice_id}/pdf", headers=auth(key))
    assert response.status_code == 200, response.text
    return pdf_text(response.content)


async def test_an_invoice_keeps_the_bank_details_it_was_issued_with(api: httpx.AsyncClient, mail) -> None:
    key = await create_merchant(api, email="finance@widgets.example")
    await _set_bank(api, key, OLD)
    buyer = await create_buyer(api, key)
    before = (await checkout(api, key, buyer["id"])).json()
    assert before["status"] == "open", before

    await _set_bank(api, key, NEW)
    after = (await checkout(api, key, buyer["id"])).json()

    old_pdf, new_pdf = await _pdf_text(api, key, before["id"]), await _pdf_text(api, key, after["id"])
    assert "DE89370400440532013000" in old_pdf.replace(" ", "") and "DE02" not in old_pdf
    assert "DE02120300000000202051" in new_pdf.replace(" ", "") and "DE8937" not in new_pdf.replace(" ", "")
    page = await api.get(before["hosted_invoice_url"].removeprefix("http://localhost:8000"))
    assert "DE89 3704 0044 0532 0130 00" in page.text and "DE02 1203" not in page.text


async def test_a_change_of_bank_details_is_emailed_to_the_merchant_once(
    api: httpx.AsyncClient, mail, temporal_client: Client
) -> None:
    address = f"finance-{uuid.uuid4().hex[:8]}@widgets.example"
    key = await create_merchant(api, email=address)
    await _set_bank(api, key, OLD)
    await _set_bank(api, key, NEW)
    await _set_bank(api, key, NEW)  # the same details again: no change, no notice

    notices = await eventually(lambda: _async(mails_to(mail, address)))
    await late_duplicates_arrive(day_seconds=0.1)
    notices = [m for m in mails_to(mail, address) if m["X-Payinvoice-Kind"] == "bank_details_changed"]
    assert len(notices) == 2  # none -> OLD, OLD -> NEW
    text = notices[-1].get_body(("plain",)).get_content()
    assert "Account before: DE89 …3000" in text and "Account now:    DE02 …2051" in text
    assert "0532013000" not in text  # the accounts are masked
    async for execution in temporal_client.list_workflows(f"WorkflowType = '{MERCHANT_NOTICE_WORKFLOW}'"):
        await record_history(temporal_client, execution.id, "bank_details_change_notice")
        break


async def _async(value):
    return value
