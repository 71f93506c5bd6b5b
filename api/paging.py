"""The query parameters of a paginated list (services/pages.py): `limit` and `cursor`."""

from typing import Annotated

from fastapi import Query

from services.pages import DEFAULT_LIMIT, MAX_LIMIT

PageLimit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"At most this many items (default {DEFAULT_LIMIT}).")
]
PageCursor = Annotated[
    str | None, Query(max_length=500, description="The `next_cursor` of the previous page.")
]
