"""What no route should ever see, refused before any does: a NUL in the URL (422
`invalid_request`, as any value the API cannot take; PostgreSQL cannot even compare it) and a
request body over the limit (413 `payload_too_large`)."""

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response


class RequestGuardMiddleware:
    """Refuses a URL with a NUL in its path or query, and a body larger than `max_body_bytes`,
    whether it says so in its `Content-Length` or only turns out so while it streams in
    (chunked). The body is read here in full (at most the limit) and replayed to the app, which
    buffers it anyway. `path_limits` gives a path a limit of its own (a bank statement upload)."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_body_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").lower()
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            # 422, not 400: the request is well formed, and a NUL is a string value the schema
            # admits (a full schemathesis run sent one in `buyer_id` and took 400 for a bug).
            response = error_response(422, "invalid_request", "the URL must not contain NUL characters")
            await response(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.max_bytes)
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._too_large(limit, scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: the app sees that
                break
            body += message.get("body", b"")
            if len(body) > limit:
                await self._too_large(limit, scope, receive, send)
                return
            if not message.get("more_body", False):
                message = {"type": "http.request", "body": bytes(body), "more_body": False}
                break
        await self.app(scope, _first(message, receive), send)

    async def _too_large(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "payload_too_large", f"the request body is larger than {limit} bytes"
        )
        await response(scope, receive, send)


def _first(message: Message, receive: Receive) -> Receive:
    """A receive that hands out `message` once, then the real ones."""
    given = False

    async def wrapped() -> Message:
        nonlocal given
        if not given:
            given = True
            return message
        return await receive()

    return wrapped
