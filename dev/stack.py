"""`make run`: the whole service on one machine.

Starts the Temporal dev server with its UI (state in .data/temporal.db, its log in
.data/temporal.log), migrates the SQLite database, runs a local SMTP sink (messages kept in
.data/mail/), the worker and the API, creates a demo merchant and buyer once, writes the demo's
shell variables to .data/demo.env, prints where everything is, and stops it all on Ctrl-C.

The children run in process groups of their own, so the terminal's Ctrl-C reaches this process
alone, which then stops them in order (the API, the worker, Temporal last): nothing is cut off
mid-call and no child prints its own interrupt.
"""

import base64
import json
import logging
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from dev.mailsink import MailSink, start_mail_sink
from dev.ports import free_port
from dev.temporal_ui import UPSTREAM_VARIABLE
from payinvoice.codec import Keyring, parse_key
from payinvoice.search import dev_server_args
from payinvoice.temporal import DEV_SERVER_ARGS, temporal_cli

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
TEMPORAL_PORT, TEMPORAL_UI_PORT, API_PORT, SMTP_PORT = 7233, 8233, 8000, 1025
# A demo "day" lasts ten seconds: the demo buyer's net-30 invoice falls due after 5 minutes, and
# its final notice, which suspends the buyer's credit, comes 30 days (5 more minutes) later. A
# newcomer who reads "Try it" slowly still has ten minutes before `declined buyer_suspended`; a
# one-second day suspended the demo buyer a minute after the first checkout. Every page, PDF and
# email of such an invoice says how long its day lasts (payinvoice.documents.day_length_note).
DEMO_DAY_SECONDS = "10"

log = logging.getLogger("dev.stack")


def _kept_secret(name: str, make: Callable[[], str]) -> str:
    """A secret made once and kept in .data/<name>, readable by its owner only."""
    path = DATA / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PAYINVOICE_DATABASE_URL", f"sqlite+aiosqlite:///{DATA / 'payinvoice.db'}")
    env.setdefault("PAYINVOICE_TEMPORAL_ADDRESS", f"127.0.0.1:{TEMPORAL_PORT}")
    env.setdefault("PAYINVOICE_SMTP_HOST", "127.0.0.1")
    env.setdefault("PAYINVOICE_SMTP_PORT", str(SMTP_PORT))
    env.setdefault("PAYINVOICE_DAY_SECONDS", DEMO_DAY_SECONDS)
    env.setdefault("PAYINVOICE_PUBLIC_URL", f"http://localhost:{API_PORT}")
    # The scoring server and the webhook receivers of a local demo listen on 127.0.0.1.
    env.setdefault("PAYINVOICE_ALLOW_PRIVATE_URLS", "true")
    env.setdefault("PAYINVOICE_ADMIN_KEY", _kept_secret("admin_key", lambda: secrets.token_urlsafe(32)))
    env.setdefault("PAYINVOICE_ENCRYPTION_KEY", _kept_secret(
        "encryption_key", lambda: base64.b64encode(secrets.token_bytes(32)).decode()
    ))  # fmt: skip
    return env


def temporal_command(ui_port: int) -> list[str]:
    """The dev server of `make run`. Its UI listens on `ui_port`, behind dev/temporal_ui.py (on
    TEMPORAL_UI_PORT), which turns on the codec's "include cross-origin credentials"."""
    return [
        temporal_cli(), "server", "start-dev", "--db-filename", str(DATA / "temporal.db"),
        "--port", str(TEMPORAL_PORT), "--ui-ip", "127.0.0.1", "--ui-port", str(ui_port),
        "--log-level", "warn", "--ui-codec-endpoint", f"http://localhost:{API_PORT}/codec",
        *DEV_SERVER_ARGS, *dev_server_args(),
    ]  # fmt: skip


def temporal_ui_command() -> list[str]:
    """The UI's proxy (dev/temporal_ui.py) on TEMPORAL_UI_PORT; its upstream in the environment."""
    return [
        sys.executable, "-m", "uvicorn", "--factory", "dev.temporal_ui:from_environment",
        "--host", "127.0.0.1", "--port", str(TEMPORAL_UI_PORT), "--log-level", "warning",
    ]  # fmt: skip


def _wait_for_port(port: int, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start on port {port}")


def _call(method: str, path: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{API_PORT}{path}", method=method, data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _demo(admin_key: str) -> dict[str, str]:
    """The demo merchant and buyer, made once and remembered in .data/demo.json."""
    path = DATA / "demo.json"
    if path.exists():
        return json.loads(path.read_text())
    # With an email: notices to the merchant (its bank details set just below) land in the sink.
    merchant = _call("POST", "/v1/merchants", admin_key, {
        "name": "Demo Wholesale Ltd", "email": "finance@demo-wholesale.example",
    })  # fmt: skip
    buyer = _call("POST", "/v1/buyers", merchant["api_key"], {
        "external_id": "demo-buyer", "name": "Demo Buyer GmbH", "email": "ap@demo-buyer.example",
        "currency": "EUR", "credit_limit": "5000.00", "payment_terms_days": 30,
    })  # fmt: skip
    # A (well-known test) IBAN, so that the demo's PDF and hosted page show a transfer QR code.
    _call("PUT", "/v1/settings/bank-details", merchant["api_key"], {
        "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "legal_name": "Demo Wholesale Ltd",
        "address": "Musterstrasse 1\n10115 Berlin",
    })  # fmt: skip
    demo = {"api_key": merchant["api_key"], "merchant_id": merchant["id"], "buyer_id": buyer["id"]}
    path.write_text(json.dumps(demo, indent=2))
    path.chmod(0o600)
    return demo


def demo_env(demo: dict[str, str]) -> str:
    """The shell variables the README's "Try it" uses: `source .data/demo.env`."""
    return (
        f"export API=http://localhost:{API_PORT}\n"
        f"export KEY={shlex.quote(demo['api_key'])}\n"
        f"export BUYER={shlex.quote(demo['buyer_id'])}\n"
        f"export ADMIN_KEY=$(cat {shlex.quote(str(DATA / 'admin_key'))})\n"
    )


def _write_demo_env(demo: dict[str, str]) -> Path:
    path = DATA / "demo.env"
    path.write_text(demo_env(demo))
    path.chmod(0o600)
    return path


def _banner(demo: dict[str, str], day_seconds: str, env_file: Path) -> str:
    body = json.dumps({
        "order_id": "demo-order-1", "buyer_id": demo["buyer_id"], "currency": "EUR",
        "lines": [{"description": "Pallet of widgets", "quantity": "3", "unit_price": "120.00",
                   "tax_rate": "19"}],
    })  # fmt: skip
    return f"""
payinvoice is running.
  API            http://localhost:{API_PORT}   (OpenAPI: http://localhost:{API_PORT}/docs)
  Temporal UI    http://localhost:{TEMPORAL_UI_PORT}   (to see payloads decrypted, sign in once at
                 http://localhost:{API_PORT}/codec/login with the admin key in {DATA / 'admin_key'})
  Mail sink      smtp://127.0.0.1:{SMTP_PORT}   (messages in {DATA / 'mail'})
  Metrics        curl -H "Authorization: Bearer $(cat {DATA / 'admin_key'})" \\
                   http://localhost:{API_PORT}/metrics   (or PAYINVOICE_METRICS_TOKEN, for Prometheus)
  Demo API key   {demo['api_key']}   ($KEY, $BUYER and $API in {env_file})
  One day lasts  {day_seconds} s
  Temporal log   {DATA / 'temporal.log'}

Try a checkout (in another terminal):
  curl -s -X POST http://localhost:{API_PORT}/v1/invoices \\
    -H 'Authorization: Bearer {demo['api_key']}' -H 'Content-Type: application/json' \\
    -d '{body}'
or, for the README's "Try it":  source {env_file}

Ctrl-C stops everything.
"""


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-connection chatter
    DATA.mkdir(exist_ok=True)
    env = _environment()
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    sink = start_mail_sink(MailSink(DATA / "mail"), port=SMTP_PORT)
    # Every child in a process group of its own (process_group=0): Ctrl-C reaches this process
    # only, and the `finally` below stops the children one by one, Temporal last.
    temporal_log = (DATA / "temporal.log").open("ab")
    try:
        ui_port = free_port()
        # The dev server's chatter (and its dial errors while it stops) goes to .data/temporal.log.
        children.append(subprocess.Popen(
            temporal_command(ui_port), stdout=temporal_log, stderr=subprocess.STDOUT,
            cwd=ROOT, process_group=0,
        ))  # fmt: skip
        children.append(subprocess.Popen(
            temporal_ui_command(), env={**env, UPSTREAM_VARIABLE: f"http://127.0.0.1:{ui_port}"},
            cwd=ROOT, process_group=0,
        ))  # fmt: skip
        _wait_for_port(TEMPORAL_PORT, "Temporal")
        config = Config(str(ROOT / "alembic.ini"))
        config.attributes["database_url"] = env["PAYINVOICE_DATABASE_URL"]
        # The secrets an older demo database holds in clear are sealed with the demo's key (0015).
        key = parse_key(env["PAYINVOICE_ENCRYPTION_KEY"], setting="PAYINVOICE_ENCRYPTION_KEY")
        config.attributes["keyring"] = Keyring.from_keys(key, [])
        command.upgrade(config, "head")
        children.append(subprocess.Popen([sys.executable, "worker.py"], env=env, cwd=ROOT, process_group=0))
        children.append(subprocess.Popen([
            sys.executable, "-m", "uvicorn", "api.app:app", "--port", str(API_PORT),
            "--log-level", "warning",
        ], env=env, cwd=ROOT, process_group=0))  # fmt: skip
        _wait_for_port(API_PORT, "API")
        _wait_for_port(TEMPORAL_UI_PORT, "Temporal UI")
        demo = _demo(env["PAYINVOICE_ADMIN_KEY"])
        print(_banner(demo, env["PAYINVOICE_DAY_SECONDS"], _write_demo_env(demo)), flush=True)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 0 if stopping else 1
    finally:
        for child in reversed(children):  # the API, the worker, the UI, then Temporal they call
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        sink.stop()
        temporal_log.close()
        print("payinvoice stopped.", flush=True)


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    os._exit(status)
