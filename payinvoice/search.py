"""Temporal search attributes of invoice workflows: what support staff filter on in the UI.

Ids and states only, no personal data: search attributes are not encrypted.
"""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey

INVOICE_STATUS = SearchAttributeKey.for_keyword("InvoiceStatus")
INVOICE_NUMBER = SearchAttributeKey.for_keyword("InvoiceNumber")
ORDER_ID = SearchAttributeKey.for_keyword("OrderId")
MERCHANT_ID = SearchAttributeKey.for_keyword("MerchantId")
BUYER_ID = SearchAttributeKey.for_keyword("BuyerId")
DUE_DATE = SearchAttributeKey.for_datetime("DueDate")
AMOUNT_DUE = SearchAttributeKey.for_float("AmountDue")  # major units, for sorting only
DUNNING_STAGE = SearchAttributeKey.for_keyword("DunningStage")

SEARCH_ATTRIBUTES = (
    INVOICE_STATUS, INVOICE_NUMBER, ORDER_ID, MERCHANT_ID, BUYER_ID, DUE_DATE, AMOUNT_DUE, DUNNING_STAGE,
)


def dev_server_args() -> list[str]:
    """`temporal server start-dev` flags that create the attributes with the server."""
    args: list[str] = []
    for key in SEARCH_ATTRIBUTES:
        args += ["--search-attribute", f"{key.name}={key._metadata_type}"]
    return args


async def register_search_attributes(client: Client) -> list[str]:
    """Add the attributes the namespace lacks (idempotent); returns the names added."""
    namespace = client.namespace
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in SEARCH_ATTRIBUTES
        if key.name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
