"""What no route should ever see, refused before any does: a NUL in the URL (422
`invalid_request`, as any value the API cannot take; PostgreSQL cannot even compare it) and a
request body over the limit (413 `payload_too_large`); and the request id every log line of the
request carries."""

import re
import uuid
from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from payinvoice.domain.errors import ErrorType
from payinvoice.observability import request_id_var


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
            response = error_response(ErrorType.INVALID_REQUEST, "the URL must not contain NUL characters")
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
            ErrorType.PAYLOAD_TOO_LARGE, f"the request body is larger than {limit} bytes"
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


_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def sane_request_id(value: str | None) -> str | None:
    return value if value is not None and _SANE_REQUEST_ID.fullmatch(value) else None


class RequestIdMiddleware:
    """Takes a sane `X-Request-Id` from the request or makes one, keeps it in `request_id_var`
    for the logs while the request runs, and returns it as the `X-Request-Id` response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = sane_request_id(given.decode("latin-1") if given is not None else None)
        request_id = request_id or uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
