"""The Temporal UI of `make run`, with "include cross-origin credentials" on for the codec.

The dev server's embedded UI takes a codec endpoint (`--ui-codec-endpoint`) but has no option for
the UI server's `codec.includeCredentials` (the temporalio/ui image reads it from
TEMPORAL_CODEC_INCLUDE_CREDENTIALS; `temporal server start-dev` builds its UI config in code and
reads neither a file nor the environment). Without it the browser does not send the codec session
cookie of /codec/login, and the UI shows ciphertext. So `make run` puts this small reverse proxy on
the UI's port: it passes every request through to the dev server's UI on a private port, and
answers the UI's settings request (`/api/v1/settings`) with `Codec.IncludeCredentials` set.

Run by dev/stack.py as `uvicorn --factory dev.temporal_ui:from_environment`, upstream in
PAYINVOICE_DEV_TEMPORAL_UI_UPSTREAM (e.g. http://127.0.0.1:41234).
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

SETTINGS_PATH = "/api/v1/settings"
UPSTREAM_VARIABLE = "PAYINVOICE_DEV_TEMPORAL_UI_UPSTREAM"
# Hop-by-hop headers (RFC 9110, 7.6.1) stay on their own hop.
_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade",
}  # fmt: skip


def _forwarded(headers: list[tuple[bytes, bytes]], *, drop: set[str]) -> list[tuple[bytes, bytes]]:
    """The headers to pass on, each as often as it came (Set-Cookie may come more than once)."""
    skipped = _HOP_BY_HOP | drop
    return [(name, value) for name, value in headers if name.decode("latin-1").lower() not in skipped]


def _answer(response: Response, headers: list[tuple[bytes, bytes]]) -> Response:
    response.raw_headers = [*headers, *(h for h in response.raw_headers if h[0] == b"content-length")]
    return response


def with_credentials(settings: dict[str, object]) -> dict[str, object]:
    """The UI server's settings answer, with the codec's cross-origin credentials switched on."""
    codec = settings.get("Codec")
    amended = dict(codec) if isinstance(codec, dict) else {}
    amended["IncludeCredentials"] = True
    return {**settings, "Codec": amended}


def create_app(upstream: str, transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    client = httpx.AsyncClient(base_url=upstream, transport=transport, timeout=None)

    async def proxy(request: Request) -> Response:
        outgoing = client.build_request(
            request.method, request.url.path, params=request.url.query or None,
            headers=_forwarded(request.headers.raw, drop={"content-length"}),  # httpx sets it
            content=await request.body(),
        )  # fmt: skip
        answer = await client.send(outgoing, stream=True)
        if request.url.path == SETTINGS_PATH and answer.status_code == 200:
            body = json.loads(await answer.aread())  # decoded: its content-encoding is dropped below
            await answer.aclose()
            headers = _forwarded(answer.headers.raw, drop={"content-length", "content-encoding"})
            return _answer(Response(json.dumps(with_credentials(body)), status_code=200), headers)
        streamed = StreamingResponse(
            answer.aiter_raw(), status_code=answer.status_code, background=BackgroundTask(answer.aclose)
        )
        return _answer(streamed, _forwarded(answer.headers.raw, drop=set()))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with client:
            yield

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", proxy, methods=methods)], lifespan=lifespan)


def from_environment() -> Starlette:
    return create_app(os.environ[UPSTREAM_VARIABLE])
