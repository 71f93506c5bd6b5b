"""Reading a paginated list (`{data, next_cursor}`) whole, page after page."""

from typing import Any

import httpx

from tests.utils.factories import get_ok


async def every_item(api: httpx.AsyncClient, key: str, path: str, **params: Any) -> list[Any]:
    """Every item of the list at `path` as the merchant of `key` sees it, following `next_cursor`."""
    items: list[Any] = []
    cursor: str | None = None
    while True:
        page = await get_ok(api, key, path, **params, **({"cursor": cursor} if cursor else {}))
        assert set(page) == {"data", "next_cursor"}, page
        items += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
