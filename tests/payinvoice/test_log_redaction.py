"""Secrets never reach a log line: the JSON handler's redaction (payinvoice/observability.py)."""

import io
import json
import logging

from payinvoice.keys import Role, new_api_key
from payinvoice.observability import JsonHandler, redact
from payinvoice.webhooks import new_secret

SIGNING_SECRET = "pss_Qx3-_9aZ0bYcXdWeVfUgThSiRjQkPlOmNnMoLpKqJr"


def logged(message: str, *args: object) -> str:
    """The message of the one JSON line `message % args` is logged as."""
    stream = io.StringIO()
    logger = logging.getLogger(f"test-redaction-{id(stream)}")
    logger.propagate = False
    logger.addHandler(JsonHandler(stream))
    logger.warning(message, *args)
    return json.loads(stream.getvalue())["message"]


def test_a_processor_signing_secret_is_redacted_from_a_log_line() -> None:
    line = logged("processor key made: %s", {"role": Role.PROCESSOR, "signing_secret": SIGNING_SECRET})

    assert SIGNING_SECRET not in line and "[REDACTED]" in line


def test_a_signing_secret_is_redacted_wherever_it_stands_in_the_text() -> None:
    assert redact(f"secret={SIGNING_SECRET}; next") == "secret=[REDACTED]; next"


def test_a_word_merely_containing_pss_underscore_is_kept() -> None:
    assert redact("class_pss_mapping stays") == "class_pss_mapping stays"


def test_api_keys_and_webhook_secrets_are_still_redacted() -> None:
    key, secret = new_api_key(), new_secret()

    line = logged("key %s secret %s", key, secret)

    assert key not in line and secret not in line
