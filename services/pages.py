"""Pages of a list: `limit` and an opaque `cursor`, answered as `{data, next_cursor}`.

The one cursor codec of the API (`GET /v1/invoices`, a buyer's credit history, an invoice's
events, the credit report): a cursor is the position of the last item of a page, a time and a
key, base64url-encoded so that callers treat it as opaque. A cursor this API did not write is
refused with `invalid_cursor`."""

import base64
from datetime import datetime

from payinvoice.domain.errors import ErrorType, Refusal

# What a list answers without a `limit`, and the most it answers with one.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode_cursor(at: datetime, key: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{key}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, key = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(at), key
    except ValueError:
        raise Refusal(ErrorType.INVALID_CURSOR, "cursor is not one this API returned") from None
