"""A real scoring endpoint on 127.0.0.1 for tests of the external credit check.

It checks the `Payinvoice-Signature` of every request with the shared secret (401 on a bad
one), records what it got, and answers as the test told it to:

    with ScoringServer(secret) as scoring:
        scoring.approve(limit="2500.00")
        ... scoring.url ... scoring.requests[-1].body ...
"""

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]  # names lower-cased
    raw: bytes
    body: Any  # the parsed JSON, or None if it was not JSON
    signature_valid: bool


def signature_valid(header: str | None, raw: bytes, secret: str) -> bool:
    """`t=<unix>,v1=<hex>` with v1 the HMAC-SHA256 of "<t>.<raw>" under `secret`."""
    if not header:
        return False
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp, mac = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit():
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, mac)


class ScoringServer:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._answer: tuple[int, bytes] = (200, b'{"decision":"approve"}')
        self._delay = 0.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="scoring-server",
            daemon=True,
        )

    # Behaviours

    def _set(self, status: int, body: bytes, delay: float = 0.0) -> None:
        with self._lock:
            self._answer, self._delay = (status, body), delay

    def approve(self, limit: str | None = None) -> None:
        self._decide("approve", limit)

    def decline(self) -> None:
        self._decide("decline")

    def review(self) -> None:
        self._decide("review")

    def _decide(self, decision: str, limit: str | None = None) -> None:
        answer: dict[str, Any] = {"decision": decision}
        if limit is not None:
            answer["limit"] = limit
        self._set(200, json.dumps(answer).encode())

    def slow(self, seconds: float = 5.0) -> None:
        """Answer an approval, but only after `seconds` (longer than the caller will wait)."""
        self._set(200, b'{"decision":"approve"}', delay=seconds)

    def fail(self, status: int = 500) -> None:
        self._set(status, b'{"error":"scoring is down"}')

    def garbage(self, body: bytes = b"<html>this is not json") -> None:
        self._set(200, body)

    # Lifecycle

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/score"

    def start(self) -> "ScoringServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases slow answers at once
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "ScoringServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # The handler

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        valid = signature_valid(handler.headers.get("Payinvoice-Signature"), raw, self.secret)
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    path=handler.path, headers={k.lower(): v for k, v in handler.headers.items()},
                    raw=raw, body=body, signature_valid=valid,
                )
            )
            (status, answer), delay = self._answer, self._delay
        if not valid:
            status, answer, delay = 401, b'{"error":"bad signature"}', 0.0
        if delay and self._stopping.wait(delay):
            return
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(answer)))
            handler.end_headers()
            handler.wfile.write(answer)
        except OSError:
            pass  # the client gave up waiting (a slow answer): nothing to tell it

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler
