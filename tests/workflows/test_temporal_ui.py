"""What support staff see in the Temporal UI: searchable invoices and a readable summary."""

import httpx
from temporalio.client import Client

from tests.utils.factories import checkout, create_buyer, create_merchant
from tests.utils.waiting import eventually
from workflows.invoice import InvoiceWorkflow


async def workflows_matching(client: Client, query: str) -> list[str]:
    return [execution.id async for execution in client.list_workflows(query)]


async def test_the_open_invoices_of_a_buyer_are_one_search_away(
    api: httpx.AsyncClient, temporal_client: Client
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    query = f'InvoiceStatus="open" AND BuyerId="{buyer["id"]}"'

    async def found() -> list[str]:
        return await workflows_matching(temporal_client, query)

    assert await eventually(found) == [invoice["workflow_id"]]


async def test_an_invoice_is_found_by_merchant_number_and_order(
    api: httpx.AsyncClient, temporal_client: Client
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    handle = temporal_client.get_workflow_handle(invoice["workflow_id"])
    merchant_id = (await handle.query(InvoiceWorkflow.get_invoice)).merchant_id
    query = (
        f'MerchantId="{merchant_id}" AND InvoiceNumber="{invoice["number"]}"'
        f' AND OrderId="{invoice["order_id"]}"'
    )

    async def found() -> list[str]:
        return await workflows_matching(temporal_client, query)

    assert await eventually(found) == [invoice["workflow_id"]]


async def test_a_declined_invoice_is_searchable_by_status(
    api: httpx.AsyncClient, temporal_client: Client
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, credit_limit="1.00")
    invoice = (await checkout(api, key, buyer["id"])).json()
    query = f'InvoiceStatus="declined" AND BuyerId="{buyer["id"]}"'

    async def found() -> list[str]:
        return await workflows_matching(temporal_client, query)

    assert await eventually(found) == [invoice["workflow_id"]]


async def test_the_summary_query_reads_as_one_line(api: httpx.AsyncClient, temporal_client: Client) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()

    summary = await temporal_client.get_workflow_handle(invoice["workflow_id"]).query(InvoiceWorkflow.summary)

    assert summary.startswith(f"{invoice['number']} | open | 119.00 EUR due | by {invoice['due_date']}")
    assert "next: upcoming" in summary
