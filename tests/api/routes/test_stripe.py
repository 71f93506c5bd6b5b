"""The Stripe adapter: events signed as Stripe signs them, each applied once through the payment
path, and every refusal after the signature answered 200 with its reason. Nothing calls Stripe."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import stripe

from payinvoice.stripe_events import Skip, iso_minor
from tests.utils.factories import auth, checkout, create_buyer, create_key, create_merchant, error_code

STRIPE = "/v1/integrations/stripe"
EVENT_TIME = 1_795_000_000  # 2026-11-18T...Z: `created` of every event, the payment's paid_at


def _secret() -> str:
    return f"whsec_{uuid.uuid4().hex}"


def _sign(payload: bytes, secret: str, at: float | None = None) -> str:
    """`Stripe-Signature` as Stripe computes it: t=<unix seconds>,v1=<hex HMAC-SHA256 of
    "<t>.<payload>" under the endpoint secret>."""
    timestamp = int(time.time() if at is None else at)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _event(kind: str, obj: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A v1 snapshot event as Stripe posts it."""
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "api_version": "2024-06-20",
        "created": EVENT_TIME, "data": {"object": obj, **extra}, "livemode": False, "pending_webhooks": 1,
        "request": {"id": f"req_{uuid.uuid4().hex[:14]}", "idempotency_key": str(uuid.uuid4())},
        "type": kind,
    }  # fmt: skip


def _payment_intent(amount: int, *, currency: str = "eur", metadata: dict[str, str] | None = None,
                    description: str | None = None, types: list[str] | None = None) -> dict[str, Any]:
    pi = f"pi_{uuid.uuid4().hex[:24]}"
    return {
        "id": pi, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
        "amount_received": amount, "capture_method": "automatic_async", "client_secret": f"{pi}_secret_x",
        "confirmation_method": "automatic", "created": EVENT_TIME - 60, "currency": currency,
        "customer": None, "description": description, "latest_charge": f"ch_{uuid.uuid4().hex[:24]}",
        "livemode": False, "metadata": metadata or {}, "payment_method": f"pm_{uuid.uuid4().hex[:24]}",
        "payment_method_types": types or ["card"], "status": "succeeded",
    }  # fmt: skip


def _cash_balance_transaction(net_amount: int, reference: str, kind: str = "funded") -> dict[str, Any]:
    return {
        "id": f"ccsbtxn_{uuid.uuid4().hex[:24]}", "object": "customer_cash_balance_transaction",
        "created": EVENT_TIME - 5, "currency": "eur", "customer": "cus_9s6XKzkNRiz8i3",
        "ending_balance": net_amount, "livemode": False, "net_amount": net_amount, "type": kind,
        "funded": {"bank_transfer": {
            "eu_bank_transfer": {"bic": "BANKDEAAXXX", "iban_last4": "7089", "sender_name": "Ada Buyer"},
            "reference": reference, "type": "eu_bank_transfer",
        }},
    }  # fmt: skip


async def _post(
    api: httpx.AsyncClient, path: str, event: dict[str, Any], secret: str, *,
    signature: str | None = None, sent: bytes | None = None,
) -> httpx.Response:
    raw = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature or _sign(raw, secret)}
    return await api.post(path, content=sent if sent is not None else raw, headers=headers)


class Shop:
    """A merchant with its Stripe secret stored, and an open invoice of 119.00 EUR."""

    def __init__(self, key: str, secret: str, events: str, invoice: dict[str, Any]) -> None:
        self.key, self.secret, self.events, self.invoice = key, secret, events, invoice

    async def send(self, api: httpx.AsyncClient, event: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return await _post(api, self.events, event, self.secret, **kwargs)

    async def invoice_now(self, api: httpx.AsyncClient) -> dict[str, Any]:
        return (await api.get(f"/v1/invoices/{self.invoice['id']}", headers=auth(self.key))).json()


async def _shop(api: httpx.AsyncClient) -> Shop:
    key = await create_merchant(api)
    secret = _secret()
    stored = await api.put(STRIPE, json={"webhook_secret": secret}, headers=auth(key))
    assert stored.status_code == 200, stored.text
    buyer = await create_buyer(api, key)
    invoice = (await checkout(api, key, buyer["id"])).json()
    assert invoice["status"] == "open", invoice
    return Shop(key, secret, stored.json()["events_path"], invoice)


@pytest.fixture
async def shop(api: httpx.AsyncClient) -> Shop:
    return await _shop(api)


def _paying(shop: Shop, amount: int = 11900, **fields: Any) -> dict[str, Any]:
    metadata = {"payinvoice_invoice_id": shop.invoice["id"]}
    return _event("payment_intent.succeeded", _payment_intent(amount, metadata=metadata, **fields))


# Settings


async def test_put_stores_the_secret_and_get_shows_it_is_configured_without_it(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    secret = _secret()
    before = await api.get(STRIPE, headers=auth(key))

    stored = await api.put(STRIPE, json={"webhook_secret": secret}, headers=auth(key))
    after = await api.get(STRIPE, headers=auth(key))

    assert before.status_code == 200 and before.json()["configured"] is False
    assert stored.status_code == after.status_code == 200
    assert after.json()["configured"] is True
    assert after.json()["events_path"].startswith("/v1/integrations/stripe/events/")
    assert secret not in stored.text + after.text


@pytest.mark.parametrize("secret", ["sk_test_0123456789abcdef", "whsec_short", "whsec_" + "a" * 15 + "!"])
async def test_a_secret_not_shaped_like_whsec_is_refused(api: httpx.AsyncClient, secret: str) -> None:
    key = await create_merchant(api)

    response = await api.put(STRIPE, json={"webhook_secret": secret}, headers=auth(key))

    assert (response.status_code, error_code(response)) == (422, "invalid_request")
    assert secret not in response.text


async def test_delete_removes_the_secret_and_its_events_are_then_refused(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    deleted = await api.delete(STRIPE, headers=auth(shop.key))

    response = await shop.send(api, _paying(shop))

    assert deleted.status_code == 204
    assert (await api.get(STRIPE, headers=auth(shop.key))).json()["configured"] is False
    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    assert (await shop.invoice_now(api))["amount_paid"] == "0.00"


async def test_a_support_key_may_read_but_not_set_the_secret(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    support = (await create_key(api, key, "support"))["key"]

    read = await api.get(STRIPE, headers=auth(support))
    write = await api.put(STRIPE, json={"webhook_secret": _secret()}, headers=auth(support))

    assert read.status_code == 200
    assert (write.status_code, error_code(write)) == (403, "forbidden")


# Signatures


def test_the_test_signature_is_the_one_stripe_verifies() -> None:
    secret, raw = _secret(), json.dumps(_event("ping", {"id": "x"})).encode()
    header = _sign(raw, secret)
    timestamp = int(header.split(",")[0].removeprefix("t="))

    event = stripe.Webhook.construct_event(raw, header, secret)

    assert header == stripe.WebhookSignature.generate_signature_header(raw.decode(), secret, timestamp)
    assert event.type == "ping"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(raw + b" ", header, secret)


async def test_a_tampered_payload_is_refused(api: httpx.AsyncClient, shop: Shop) -> None:
    event = _paying(shop, amount=100)
    signature = _sign(json.dumps(event).encode(), shop.secret)
    event["data"]["object"]["amount_received"] = 11900

    response = await shop.send(api, event, signature=signature)

    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    assert (await shop.invoice_now(api))["amount_paid"] == "0.00"


async def test_a_timestamp_older_than_five_minutes_is_refused(api: httpx.AsyncClient, shop: Shop) -> None:
    event = _paying(shop)
    stale = _sign(json.dumps(event).encode(), shop.secret, at=time.time() - 330)

    response = await shop.send(api, event, signature=stale)

    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    assert (await shop.invoice_now(api))["amount_paid"] == "0.00"


@pytest.mark.parametrize("signature", ["", "t=,v1=", "v1=abc", "t=123"])
async def test_a_missing_or_malformed_signature_is_refused(
    api: httpx.AsyncClient, shop: Shop, signature: str
) -> None:
    raw = json.dumps(_paying(shop)).encode()
    headers = {"Content-Type": "application/json"} | ({"Stripe-Signature": signature} if signature else {})

    response = await api.post(shop.events, content=raw, headers=headers)

    assert (response.status_code, error_code(response)) == (401, "invalid_signature")


async def test_an_unknown_merchant_gets_the_same_answer_as_a_bad_signature(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    event = _paying(shop)
    bad = await shop.send(api, event, signature=_sign(json.dumps(event).encode(), _secret()))

    unknown = await _post(api, f"{STRIPE}/events/{uuid.uuid4()}", event, shop.secret)

    assert (unknown.status_code, unknown.json()) == (bad.status_code, bad.json())
    assert error_code(unknown) == "invalid_signature"


async def test_another_merchants_secret_cannot_settle_this_merchants_invoice(api: httpx.AsyncClient) -> None:
    mine, other = await _shop(api), await _shop(api)
    event = _paying(mine)

    here = await _post(api, mine.events, event, other.secret)
    there = await _post(api, other.events, event, other.secret)

    assert (here.status_code, error_code(here)) == (401, "invalid_signature")
    assert there.status_code == 200, there.text
    assert (there.json()["applied"], there.json()["outcome"]) == (False, "unmatched")
    assert mine.invoice["id"] not in there.text
    assert (await mine.invoice_now(api))["amount_paid"] == "0.00"


# Events


async def test_payment_intent_succeeded_pays_the_invoice_named_in_its_metadata(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    event = _paying(shop)

    response = await shop.send(api, event)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["received"], answer["applied"], answer["duplicate"]) == (True, True, False)
    assert answer["invoice_id"] == shop.invoice["id"]
    invoice = await shop.invoice_now(api)
    assert (invoice["status"], invoice["amount_due"]) == ("paid", "0.00")
    [payment] = invoice["payments"]
    assert payment["payment_id"] == event["data"]["object"]["id"]
    assert (payment["amount"], payment["currency"], payment["method"]) == ("119.00", "EUR", "card")
    # Stripe's `created` (EVENT_TIME) is older than the invoice: the payment counts from its issue.
    paid_at = datetime.fromisoformat(payment["paid_at"])
    assert datetime.fromtimestamp(EVENT_TIME, UTC) < datetime.fromisoformat(invoice["created_at"]) <= paid_at
    assert paid_at <= datetime.now(UTC)


async def test_a_payment_intent_is_matched_by_the_rf_reference_in_its_description(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    reference = shop.invoice["payment_reference"]
    event = _event("payment_intent.succeeded", _payment_intent(1900, description=f"Invoice {reference}"))

    response = await shop.send(api, event)

    assert response.json()["applied"] is True, response.text
    assert (await shop.invoice_now(api))["amount_due"] == "100.00"


async def test_a_payment_intent_is_matched_by_its_payinvoice_reference_metadata(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    metadata = {"payinvoice_reference": shop.invoice["payment_reference"]}
    event = _event("payment_intent.succeeded", _payment_intent(1900, metadata=metadata, types=["sepa_debit"]))

    response = await shop.send(api, event)

    assert response.json()["applied"] is True, response.text
    assert (await shop.invoice_now(api))["payments"][0]["method"] == "sepa_debit"


async def test_a_funded_cash_balance_transaction_pays_the_invoice_its_transfer_reference_names(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    txn = _cash_balance_transaction(11900, f"{shop.invoice['payment_reference']} thank you")

    response = await shop.send(api, _event("customer_cash_balance_transaction.created", txn))

    assert response.json()["applied"] is True, response.text
    invoice = await shop.invoice_now(api)
    assert invoice["status"] == "paid"
    [payment] = invoice["payments"]
    assert (payment["payment_id"], payment["method"]) == (txn["id"], "bank_transfer")


async def test_a_payment_intent_paid_from_the_cash_balance_is_not_counted_again(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    funded = _cash_balance_transaction(11900, shop.invoice["payment_reference"])
    await shop.send(api, _event("customer_cash_balance_transaction.created", funded))

    response = await shop.send(api, _paying(shop, types=["customer_balance"]))

    assert response.status_code == 200, response.text
    assert (response.json()["applied"], response.json()["outcome"]) == (False, "ignored")
    invoice = await shop.invoice_now(api)
    assert (invoice["amount_paid"], len(invoice["payments"])) == ("119.00", 1)


async def test_a_cash_balance_transaction_other_than_funding_is_ignored(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    txn = _cash_balance_transaction(-11900, shop.invoice["payment_reference"], kind="applied_to_payment")

    response = await shop.send(api, _event("customer_cash_balance_transaction.created", txn))

    assert response.status_code == 200, response.text
    assert (response.json()["applied"], response.json()["reason"]) == (False, "ignored")


def _refunded(payment_intent: str, refunded: int, before: int, **fields: Any) -> dict[str, Any]:
    """charge.refunded: `amount_refunded` is the charge's running total, `previous_attributes`
    what it was before this refund."""
    charge = {
        "id": f"ch_{uuid.uuid4().hex[:24]}", "object": "charge", "amount": 11900, "amount_captured": 11900,
        "amount_refunded": refunded, "currency": "eur", "paid": True, "refunded": refunded == 11900,
        "payment_intent": payment_intent, "metadata": {},
    } | fields  # fmt: skip
    previous = {"amount_refunded": before, "refunded": False}
    return _event("charge.refunded", charge, previous_attributes=previous)


async def test_charge_refunded_refunds_what_this_event_refunded_and_reopens_the_invoice(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    paid = _paying(shop)
    await shop.send(api, paid)
    payment_intent = paid["data"]["object"]["id"]

    first = await shop.send(api, _refunded(payment_intent, 1900, 0))
    second = await shop.send(api, _refunded(payment_intent, 2900, 1900))

    assert (first.status_code, first.json()["applied"]) == (200, True), first.text
    assert (second.json()["applied"], second.json()["invoice_id"]) == (True, shop.invoice["id"])
    invoice = await shop.invoice_now(api)
    assert (invoice["status"], invoice["amount_due"]) == ("open", "29.00")
    assert sorted(r["amount"] for r in invoice["refunds"]) == ["10.00", "19.00"]
    assert {r["payment_id"] for r in invoice["refunds"]} == {payment_intent}


async def test_a_refund_of_a_payment_the_invoice_never_had_is_refused_with_its_reason(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    event = _refunded("pi_unknown", 1900, 0, metadata={"payinvoice_invoice_id": shop.invoice["id"]})

    response = await shop.send(api, event)

    assert response.status_code == 200, response.text
    assert (response.json()["applied"], response.json()["outcome"]) == (False, "refused")
    assert response.json()["reason"].startswith("unknown_payment")


async def test_other_event_types_are_ignored(api: httpx.AsyncClient, shop: Shop) -> None:
    event = _event("customer.created", {"id": "cus_1", "object": "customer"})

    response = await shop.send(api, event)

    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("received", "applied", "reason")} == {
        "received": True, "applied": False, "reason": "ignored"
    }


async def test_a_redelivered_event_answers_duplicate_and_applies_nothing_twice(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    event = _paying(shop, amount=1900)

    first = await shop.send(api, event)
    again = await shop.send(api, event)

    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert again.status_code == 200 and again.json()["applied"] is True
    invoice = await shop.invoice_now(api)
    assert (invoice["amount_due"], len(invoice["payments"])) == ("100.00", 1)


async def test_the_same_payment_reported_as_a_settlement_and_by_stripe_counts_once(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    event = _paying(shop, amount=1900)
    processor = await create_key(api, shop.key, "processor")
    body = json.dumps({
        "settlement_id": event["data"]["object"]["id"], "invoice_id": shop.invoice["id"], "amount": "19.00",
        "currency": "EUR", "method": "card",
    }).encode()  # fmt: skip
    signature = _sign(body, processor["signing_secret"])  # the same scheme under another name
    headers = auth(processor["key"]) | {"Content-Type": "application/json", "Payinvoice-Signature": signature}
    settled = await api.post("/v1/settlements", content=body, headers=headers)

    response = await shop.send(api, event)

    assert settled.status_code == 200, settled.text
    assert response.status_code == 200, response.text
    invoice = await shop.invoice_now(api)
    assert (invoice["amount_due"], len(invoice["payments"])) == ("100.00", 1)


async def test_an_event_matching_no_invoice_is_recorded_as_unmatched_and_answered_200(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    event = _event("payment_intent.succeeded", _payment_intent(11900, description="Order 5531"))

    response = await shop.send(api, event)
    again = await shop.send(api, event)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["applied"], answer["outcome"], answer["invoice_id"]) == (False, "unmatched", None)
    assert "names no invoice" in answer["reason"]
    assert (again.json()["duplicate"], again.json()["outcome"]) == (True, "unmatched")


async def test_a_payment_in_another_currency_is_recorded_and_not_applied(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    response = await shop.send(api, _paying(shop, currency="usd"))

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["applied"], answer["outcome"]) == (False, "refused")
    assert answer["invoice_id"] == shop.invoice["id"]
    assert answer["reason"].startswith("currency_mismatch")
    assert (await shop.invoice_now(api))["amount_paid"] == "0.00"


# Amounts


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [(11900, "eur", (11900, "EUR")), (500, "jpy", (500, "JPY")), (1230, "kwd", (1230, "KWD")),
     (500, "isk", (5, "ISK"))],
)  # fmt: skip
def test_stripe_minor_units_become_the_currencys_iso_minor_units(
    amount: int, currency: str, expected: tuple[int, str]
) -> None:
    assert iso_minor(amount, currency) == expected


@pytest.mark.parametrize(("amount", "currency"), [(100, "xyz"), (0, "eur"), (550, "isk"), ("1.00", "eur")])
def test_amounts_that_are_no_whole_minor_units_of_a_supported_currency_are_refused(
    amount: Any, currency: str
) -> None:
    assert isinstance(iso_minor(amount, currency), Skip)
