"""The codec server's door: who may decode, from which browser origin, and with which session."""

import base64
import os
import time

import httpx

from api.routes.codec import SESSION_COOKIE, session_token, valid_session
from tests.conftest import ADMIN_KEY
from tests.utils.factories import auth, error_code

UI_ORIGIN = "http://localhost:8233"
EMPTY = {"payloads": []}


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


async def test_decoding_needs_staff_credentials(api_factory) -> None:
    async with api_factory(encryption_key=_key()) as api:
        anonymous = await api.post("/codec/decode", json=EMPTY)
        merchant = await api.post("/codec/decode", json=EMPTY, headers=auth("pi_not-the-admin"))
        staff = await api.post("/codec/decode", json=EMPTY, headers=auth(ADMIN_KEY))

    assert (anonymous.status_code, error_code(anonymous)) == (401, "unauthorized")
    assert merchant.status_code == 401
    assert staff.status_code == 200


async def test_without_an_encryption_key_the_codec_is_disabled(api_factory) -> None:
    async with api_factory(encryption_key=None) as api:
        response = await api.post("/codec/decode", json=EMPTY, headers=auth(ADMIN_KEY))

    assert (response.status_code, error_code(response)) == (404, "codec_disabled")


async def test_a_body_that_is_not_payloads_is_a_400(api_factory) -> None:
    async with api_factory(encryption_key=_key()) as api:
        response = await api.post("/codec/decode", content=b"{not json", headers=auth(ADMIN_KEY))

    assert (response.status_code, error_code(response)) == (400, "bad_request")


async def test_signing_in_with_the_admin_key_gives_a_session_that_decodes(api_factory) -> None:
    async with api_factory(encryption_key=_key()) as api:
        wrong = await api.post("/codec/login", data={"key": "guess"})
        signed_in = await api.post("/codec/login", data={"key": ADMIN_KEY})
        cookie = signed_in.cookies.get(SESSION_COOKIE)
        decoded = await api.post("/codec/decode", json=EMPTY)  # the client keeps the cookie

    assert wrong.status_code == 401 and SESSION_COOKIE not in wrong.cookies
    assert signed_in.status_code == 303 and cookie
    set_cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/codec" in set_cookie
    assert ADMIN_KEY not in cookie
    assert decoded.status_code == 200


def test_a_session_expires_and_cannot_be_forged() -> None:
    now = time.time()
    token = session_token("admin-key", now)
    expires, _, mac = token.partition(".")

    assert valid_session(token, "admin-key", now)
    assert not valid_session(token, "another-admin-key", now)
    assert not valid_session(token, "admin-key", int(expires) + 1)
    assert not valid_session(f"{int(expires) + 3600}.{mac}", "admin-key", now)


async def test_the_temporal_ui_origin_may_call_the_codec_from_the_browser(api_factory) -> None:
    preflight = {"Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-namespace"}
    async with api_factory(encryption_key=_key(), codec_cors_origins=UI_ORIGIN) as api:
        allowed = await api.options("/codec/decode", headers=preflight)
        other = await api.options("/codec/decode", headers=preflight | {"Origin": "http://evil.example"})
        elsewhere = await api.get("/healthz", headers={"Origin": UI_ORIGIN})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in elsewhere.headers


async def test_the_ui_decodes_with_the_session_cookie_alone_from_its_origin(api_factory) -> None:
    """What the Temporal UI sends after the sign-in: the cookie (credentials: include), no header."""
    async with api_factory(encryption_key=_key(), codec_cors_origins=UI_ORIGIN) as api:
        await api.post("/codec/login", data={"key": ADMIN_KEY})
        browser = {"Origin": UI_ORIGIN, "X-Namespace": "default"}
        decoded = await api.post("/codec/decode", json=EMPTY, headers=browser)
        done = await api.get("/codec/login/done")

    assert decoded.status_code == 200
    assert decoded.headers["access-control-allow-origin"] == UI_ORIGIN  # exact: never "*" with credentials
    assert decoded.headers["access-control-allow-credentials"] == "true"
    assert "cross-origin credentials" in done.text
    assert "now decodes payloads for this browser" not in done.text


async def test_the_codec_routes_are_documented_but_login_is_not(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]

    assert {"/codec/encode", "/codec/decode"} <= set(paths)
    assert "/codec/login" not in paths
