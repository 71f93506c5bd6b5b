"""Outgoing webhooks: the event types, their ids, and Standard Webhooks signing.

Signing follows https://www.standardwebhooks.com: the secret is `whsec_<base64 of the key>`,
and each attempt carries `webhook-id` (the delivery's stable `msg_…` id, the same on every
retry), `webhook-timestamp` (unix seconds of the attempt) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`).

What a delivery keeps of a reply (its excerpt, or the error met instead) passes `storable_text`
first: a receiver controls those characters, and one that PostgreSQL refuses (NUL) would fail
the attempt's record, again on every retry, and hold up that subject's later events.
"""

import base64
import hashlib
import hmac
import secrets
import uuid
from enum import StrEnum

SECRET_PREFIX = "whsec_"
# Length of the error text kept with a failed attempt (`webhook_attempts.error`).
ERROR_CHARS = 200
_IDS = uuid.UUID("0b7f3a52-7f1e-4c8e-9d1a-2a4c5e6f7a8b")


class EventType(StrEnum):
    INVOICE_CREATED = "invoice.created"
    INVOICE_DECLINED = "invoice.declined"
    INVOICE_ISSUED = "invoice.issued"
    INVOICE_REMINDER_SENT = "invoice.reminder_sent"
    INVOICE_OVERDUE = "invoice.overdue"
    INVOICE_PAYMENT_RECEIVED = "invoice.payment_received"
    INVOICE_PAID = "invoice.paid"
    INVOICE_VOIDED = "invoice.voided"
    INVOICE_UNCOLLECTIBLE = "invoice.uncollectible"
    INVOICE_EXTENDED = "invoice.extended"
    INVOICE_PAUSED = "invoice.paused"
    INVOICE_RESUMED = "invoice.resumed"
    INVOICE_DISPUTED = "invoice.disputed"
    INVOICE_DISPUTE_RESOLVED = "invoice.dispute_resolved"
    INVOICE_PROMISED = "invoice.promised"
    INVOICE_PROMISE_KEPT = "invoice.promise_kept"
    INVOICE_PROMISE_BROKEN = "invoice.promise_broken"
    INVOICE_REFUNDED = "invoice.refunded"
    INVOICE_CREDITED = "invoice.credited"
    INVOICE_INSTALMENTS_PLANNED = "invoice.instalments_planned"
    BUYER_CREDIT_SUSPENDED = "buyer.credit_suspended"
    BUYER_CREDIT_REINSTATED = "buyer.credit_reinstated"
    BUYER_CREDIT_LIMIT_CHANGED = "buyer.credit_limit_changed"


EVENT_TYPES: frozenset[str] = frozenset(EventType)


def subscribes(events: list[str], event_type: str) -> bool:
    """An endpoint's `events` select what it gets; an empty list selects everything."""
    return not events or event_type in events


def event_id(cause: str, event_type: str) -> str:
    """The same cause and type, the same id: a retried activity records the event once."""
    return "evt_" + uuid.uuid5(_IDS, f"{cause}|{event_type}").hex


def delivery_id(event: str, endpoint_id: str) -> str:
    """The `webhook-id` of the event's delivery to one endpoint, stable across retries."""
    return "msg_" + uuid.uuid5(_IDS, f"{event}|{endpoint_id}").hex


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value of `body` sent as `msg_id` at `timestamp` (unix seconds)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(mac).decode()}"


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def storable_text(text: str, limit: int) -> str:
    """At most `limit` characters of `text` that every text column stores as they are: NUL and
    other control characters, unpaired surrogates, noncharacters and separators other than the
    space become U+FFFD, the replacement character (tab and newline stay). Pure and idempotent."""
    return "".join(c if c.isprintable() or c in "\t\n" else "\ufffd" for c in text[:limit])
