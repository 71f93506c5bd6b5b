"""The ground every body stands on: strict models, bounded text, currencies, URLs we call."""

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from payinvoice.domain.money import CURRENCY_EXPONENTS

Text = Field(min_length=1, max_length=200)
# The supported currencies, stated in the OpenAPI document; the domain refuses any other with
# 422 `unsupported_currency` (a code of its own, so pydantic does not check the list).
CURRENCIES: dict[str, Any] = {"enum": sorted(CURRENCY_EXPONENTS)}
OPTIONAL_CURRENCIES: dict[str, Any] = {"enum": [*sorted(CURRENCY_EXPONENTS), None]}


# What no text column can hold: NUL (PostgreSQL refuses it) and unpaired UTF-16 surrogates
# (JSON escapes like "\ud800", which have no UTF-8 form).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def http_url(value: str) -> str:
    """A field validator's check of a URL we will POST to (credit check and webhook endpoints)."""
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError("must not contain whitespace or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError("is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    return value


class Strict(BaseModel):
    # No unknown fields, and no coercion: `false` is not 0 and "30" is not 30.
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str) and UNSTORABLE.search(value):
            raise ValueError("must not contain NUL characters or unpaired surrogates")
        return value
