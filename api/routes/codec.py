"""The codec server: `/codec/encode` and `/codec/decode` for the Temporal UI and CLI.

They follow Temporal's remote codec protocol: a JSON body `{"payloads": [{"metadata": {k: base64},
"data": base64}]}` in and out, as the protobuf JSON mapping of `temporalio.api.common.v1.Payloads`.
They run the same `EncryptionCodec` as the API and the worker (payinvoice/codec.py), answer 404
`codec_disabled` while no encryption key is configured, and allow CORS only from
`PAYINVOICE_CODEC_CORS_ORIGINS`, on these paths only.

Only authorised staff decode. Scripts and the CLI send `Authorization: Bearer <admin key>`. A
browser cannot add that header to the Temporal UI's calls, so staff sign in once at
`/codec/login` with the admin key. That sets an HttpOnly, SameSite=Lax session cookie: a MAC of
its expiry under the admin key, so no session is stored and changing the key ends every session.
The UI sends the cookie when its codec setting "Include cross-origin credentials" is on: the
temporalio/ui image takes TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true (docker-compose.yml), and the
UI of `make run` gets it from dev/temporal_ui.py, since `temporal server start-dev` has no option.
"""

import hashlib
import hmac
import time
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from google.protobuf import json_format
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads

from api.deps import Credentials, SettingsDep
from payinvoice.codec import EncryptionCodec, keyring_from_settings
from payinvoice.domain.errors import ErrorType, Refusal

PREFIX = "/codec"
SESSION_COOKIE = "payinvoice_codec_session"
SESSION_SECONDS = 8 * 3600


def _session_mac(admin_key: str, expires: int) -> str:
    return hmac.new(admin_key.encode(), f"codec-session:{expires}".encode(), hashlib.sha256).hexdigest()


def session_token(admin_key: str, now: float) -> str:
    expires = int(now) + SESSION_SECONDS
    return f"{expires}.{_session_mac(admin_key, expires)}"


def valid_session(token: str, admin_key: str, now: float) -> bool:
    expires, _, mac = token.partition(".")
    if not expires.isdigit() or int(expires) < now:
        return False
    return hmac.compare_digest(mac, _session_mac(admin_key, int(expires)))


def _admin_key(settings: SettingsDep) -> str:
    return settings.admin_key.get_secret_value() if settings.admin_key else ""


def require_staff(request: Request, credentials: Credentials, settings: SettingsDep) -> None:
    """The admin key as a bearer token, or a session cookie signed with it."""
    admin_key = _admin_key(settings)
    if admin_key:
        if credentials is not None and hmac.compare_digest(
            credentials.credentials.encode(), admin_key.encode()
        ):
            return
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and valid_session(cookie, admin_key, time.time()):
            return
    raise Refusal(ErrorType.UNAUTHORIZED, "admin key or a codec session (sign in at /codec/login) required")


router = APIRouter(prefix=PREFIX, tags=["codec"], dependencies=[Depends(require_staff)])
login_router = APIRouter(prefix=PREFIX, tags=["codec"], include_in_schema=False)

_LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>payinvoice codec sign-in</title></head><body>
<h1>Decrypt payloads in the Temporal UI</h1>
<p>{message}</p>
<form method="post" action="{prefix}/login">
<label>Admin key <input type="password" name="key" autocomplete="off" required></label>
<button type="submit">Sign in</button></form></body></html>"""


@login_router.get("/login")
async def login_page() -> HTMLResponse:
    return HTMLResponse(_LOGIN_PAGE.format(prefix=PREFIX, message="Sign in with the admin key."))


@login_router.post("/login")
async def login(request: Request, settings: SettingsDep) -> Response:
    """Form post of the admin key: sets the session cookie, or shows the form again (401)."""
    admin_key = _admin_key(settings)
    given = parse_qs((await request.body()).decode(errors="replace")).get("key", [""])[0]
    if not admin_key or not hmac.compare_digest(given.encode(), admin_key.encode()):
        page = _LOGIN_PAGE.format(prefix=PREFIX, message="That key is not the admin key.")
        return HTMLResponse(page, status_code=401)
    done = RedirectResponse(f"{PREFIX}/login/done", status_code=303)
    done.set_cookie(
        SESSION_COOKIE, session_token(admin_key, time.time()), max_age=SESSION_SECONDS,
        path=PREFIX, httponly=True, samesite="lax", secure=settings.public_url.startswith("https://"),
    )
    return done


@login_router.get("/login/done")
async def login_done() -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><title>Signed in</title><p>Signed in for this browser, for "
        f"{SESSION_SECONDS // 3600} hours.</p>"
        "<p>A Temporal UI whose codec endpoint is this server's <code>/codec</code>, with cross-origin "
        "credentials included, now shows payloads decrypted: reload its page. The UI of "
        "<code>make run</code> and the one in <code>docker-compose.yml</code> are set up so; "
        "any other needs both in its codec settings (or TEMPORAL_CODEC_ENDPOINT and "
        "TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true), and its origin in PAYINVOICE_CODEC_CORS_ORIGINS.</p>"
    )

_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"example": {"payloads": [{"metadata": {}, "data": ""}]}}},
    }
}


def _codec(settings: SettingsDep) -> EncryptionCodec:
    keyring = keyring_from_settings(settings)
    if keyring is None:
        raise Refusal(ErrorType.CODEC_DISABLED, "payload encryption is not configured")
    return EncryptionCodec(keyring)


CodecDep = Annotated[EncryptionCodec, Depends(_codec)]


async def _payloads(request: Request) -> Payloads:
    try:
        return json_format.Parse(await request.body(), Payloads())
    except (json_format.ParseError, UnicodeDecodeError) as error:
        raise Refusal(ErrorType.BAD_REQUEST, f'expected {{"payloads": [...]}}: {error}') from None


def _answer(payloads: Payloads) -> Response:
    return Response(json_format.MessageToJson(payloads), media_type="application/json")


@router.post("/encode", summary="Encrypt payloads (Temporal codec protocol)", openapi_extra=_BODY)
async def encode(request: Request, codec: CodecDep) -> Response:
    payloads = await _payloads(request)
    return _answer(Payloads(payloads=await codec.encode(payloads.payloads)))


@router.post("/decode", summary="Decrypt payloads (Temporal codec protocol)", openapi_extra=_BODY)
async def decode(request: Request, codec: CodecDep) -> Response:
    payloads = await _payloads(request)
    try:
        decoded = await codec.decode(payloads.payloads)
    except ValueError as error:  # unknown key id, tampered or corrupt: never a secret in the text
        raise Refusal(ErrorType.UNDECODABLE_PAYLOAD, str(error)) from None
    return _answer(Payloads(payloads=decoded))


class _CodecCORS:
    """Starlette's CORSMiddleware for the codec paths only; every other path is left untouched."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(f"{PREFIX}/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install(app: FastAPI, cors_origins: str) -> None:
    """Mount the codec routes and their CORS (comma-separated origins of the Temporal UI)."""
    app.include_router(router)
    app.include_router(login_router)
    origins = [origin.strip() for origin in cors_origins.split(",") if origin.strip()]
    app.add_middleware(_CodecCORS, origins=origins)
