"""A real webhook receiver on 127.0.0.1 that fails, times out and succeeds on purpose.

It records every request (headers and raw body, for `standardwebhooks` to verify) and answers
from a script, then with its default answer:

    with WebhookReceiver() as receiver:
        receiver.script(Answer(500), Answer(200, delay=5))   # the next two requests
        receiver.answer(Answer(200))                          # every request after them
        receiver.down() ... receiver.up()                    # connections refused meanwhile
"""

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import standardwebhooks


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0  # seconds before answering; longer than the sender waits is a timeout
    body: bytes = b'{"ok":true}'
    location: str | None = None  # a Location header: with a 3xx status, a redirect


@dataclass
class Received:
    headers: dict[str, str]  # names lower-cased
    raw: bytes
    answered: int

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> Any:
        """The body, once `standardwebhooks` verified its signature (raises otherwise)."""
        return standardwebhooks.Webhook(secret).verify(self.raw, self.headers)

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


class WebhookReceiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._script: deque[Answer] = deque()
        self._default = Answer()
        self._server = self._bind(0)
        self._thread: threading.Thread | None = None

    # Behaviours

    def answer(self, answer: Answer) -> None:
        with self._lock:
            self._default = answer

    def script(self, *answers: Answer) -> None:
        with self._lock:
            self._script.extend(answers)

    def down(self) -> None:
        """Stop listening: deliveries meet a refused connection until `up()`."""
        self._stop_serving()

    def up(self) -> None:
        self._server = self._bind(self.port)
        self._serve()

    def received(self, event_type: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if event_type is None or r.body["type"] == event_type]

    # Lifecycle

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def __enter__(self) -> "WebhookReceiver":
        self._serve()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()  # releases delayed answers at once
        self._stop_serving()

    def _bind(self, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        server.daemon_threads = True
        return server

    def _serve(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-receiver",
            daemon=True,
        )
        self._thread.start()

    def _stop_serving(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # The handler

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        with self._lock:
            answer = self._script.popleft() if self._script else self._default
            self.requests.append(
                Received({k.lower(): v for k, v in handler.headers.items()}, raw, answer.status)
            )
        if answer.delay and self._stopping.wait(answer.delay):
            return
        try:
            handler.send_response(answer.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(answer.body)))
            if answer.location is not None:
                handler.send_header("Location", answer.location)
            handler.end_headers()
            handler.wfile.write(answer.body)
        except OSError:
            pass  # the sender gave up waiting (a timeout on purpose)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler
