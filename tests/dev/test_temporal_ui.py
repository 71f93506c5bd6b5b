"""The Temporal UI proxy of `make run`: the UI's settings say "include cross-origin credentials"
for the codec, and everything else passes through unchanged."""

import json
from collections.abc import AsyncIterator

import httpx

from dev.temporal_ui import SETTINGS_PATH, create_app

CODEC = {"Endpoint": "http://localhost:8000/codec", "PassAccessToken": False}


class _Streamed(httpx.AsyncByteStream):
    """A body that is streamed, as a real server's is (bytes given as `content` count as read)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data


class _Upstream(httpx.AsyncBaseTransport):
    """The dev server's UI: its settings, and an echo of anything else, with two cookies."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if request.url.path == SETTINGS_PATH:
            return httpx.Response(200, json={"Codec": CODEC, "Version": "2"})
        headers = [
            ("set-cookie", "_csrf=a; Path=/"), ("set-cookie", "other=b; Path=/"),
            ("x-seen-host", request.headers["host"]),
        ]  # fmt: skip
        echo = f"{request.method} {request.url.path}?{request.url.query.decode()} ".encode() + body
        return httpx.Response(201, headers=headers, stream=_Streamed(echo))


def _proxy() -> httpx.AsyncClient:
    app = create_app("http://upstream", transport=_Upstream())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8233")


async def test_settings_turn_on_the_codec_credentials_and_keep_the_rest() -> None:
    async with _proxy() as ui:
        response = await ui.get(SETTINGS_PATH)

    assert response.status_code == 200
    assert response.json() == {"Codec": {**CODEC, "IncludeCredentials": True}, "Version": "2"}
    assert int(response.headers["content-length"]) == len(response.content)
    assert json.loads(response.content)["Codec"]["IncludeCredentials"] is True


async def test_other_requests_pass_through_with_their_body_query_and_every_cookie() -> None:
    async with _proxy() as ui:
        response = await ui.post("/api/v1/namespaces/default/workflows?query=x", content=b"payload")

    assert response.status_code == 201
    assert response.content == b"POST /api/v1/namespaces/default/workflows?query=x payload"
    assert response.headers.get_list("set-cookie") == ["_csrf=a; Path=/", "other=b; Path=/"]
    assert response.headers["x-seen-host"] == "localhost:8233"
