"""Temporal names: workflow types, task queues and the ids built from business keys."""

import uuid

INVOICE_WORKFLOW = "InvoiceWorkflow"


def mail_task_queue(task_queue: str) -> str:
    """The task queue of the invoice emails of invoices on `task_queue` (worker.build_worker)."""
    return f"{task_queue}-mail"


def notice_task_queue(task_queue: str) -> str:
    """The task queue of every later email (reminders, receipts, ...) of invoices on `task_queue`:
    a backlog of invoice emails after a burst of checkouts never delays them."""
    return f"{task_queue}-notices"


_INVOICE_NAMESPACE = uuid.UUID("5d1c4a6e-2f0b-4d53-9a51-6f1f3c0de7a1")


def invoice_id_for(merchant_id: str, order_id: str) -> str:
    """One invoice per (merchant, order): the id is derived, so retries find the same invoice."""
    return str(uuid.uuid5(_INVOICE_NAMESPACE, f"{merchant_id}\n{order_id}"))


def invoice_workflow_id(invoice_id: str) -> str:
    # Ids only: no customer data in workflow ids (they are not encrypted).
    return f"invoice-{invoice_id}"


WEBHOOK_DELIVERY_WORKFLOW = "WebhookDeliveryWorkflow"
WEBHOOK_ENQUEUE_SIGNAL = "enqueue"


def webhook_delivery_workflow_id(endpoint_id: str, subject_id: str) -> str:
    """One delivery workflow per (endpoint, invoice or buyer): its events go out in order."""
    return f"webhooks-{endpoint_id}-{subject_id}"


MERCHANT_NOTICE_WORKFLOW = "MerchantNoticeWorkflow"


def merchant_notice_workflow_id(merchant_id: str, notice_id: str) -> str:
    """One workflow per notice: a repeated start of the same notice joins the first."""
    return f"merchant-notice-{merchant_id}-{notice_id}"
