"""Our Standard Webhooks signatures, checked by the `standardwebhooks` package itself."""

import time

import pytest
import standardwebhooks

from payinvoice.webhooks import new_secret, signed_headers

BODY = b'{"type":"invoice.paid","created_at":"2026-12-01T10:00:00+00:00","data":{"id":"x"}}'


def test_a_signed_body_verifies_with_standardwebhooks() -> None:
    secret = new_secret()
    headers = signed_headers(secret, "msg_1", int(time.time()), BODY)

    assert standardwebhooks.Webhook(secret).verify(BODY, headers)["type"] == "invoice.paid"


def test_a_changed_body_does_not_verify() -> None:
    secret = new_secret()
    headers = signed_headers(secret, "msg_1", int(time.time()), BODY)

    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(BODY.replace(b"paid", b"void"), headers)


def test_another_secret_does_not_verify() -> None:
    headers = signed_headers(new_secret(), "msg_1", int(time.time()), BODY)

    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(new_secret()).verify(BODY, headers)
