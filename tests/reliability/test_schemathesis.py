"""Schemathesis against the live `/openapi.json` of the real app with every check: no 5xx, every
answer as documented, and every 4xx in the one error shape `{"error": {"code", "message"}}`.

The app is served by uvicorn on the tests' event loop (with the test database, the test Temporal
server and the worker); schemathesis runs as its CLI in a subprocess, so that its blocking HTTP
calls never stall that loop. Path ids are a real buyer and a real invoice of the merchant whose
key it sends, so that it gets past the 401/404 layer."""

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.conftest import ADMIN_KEY
from tests.reliability.conftest import FULL, make_tenant, scaled, served

SCHEMATHESIS = [sys.executable, "-m", "schemathesis.cli"]
# Per operation and phase. The short run stays well under a minute on a 2-core machine.
MAX_EXAMPLES = scaled(short=8, full=150)
# Every check is on. `positive_data_acceptance` also takes 422 for schema-valid input: the rules
# JSON Schema cannot state (a currency's decimals, quantity > 0, a cursor this API issued, the
# payment's currency equal to the invoice's, ...) answer 422 with a code of their own, which the
# hand-written tests pin down.
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "413", "422", "429", "5xx"]
# Schemathesis's own list plus 413: a body over PAYINVOICE_MAX_BODY_BYTES is refused as
# `payload_too_large` before it is read, schema-valid or not: a hundred ladder stages of 20,000
# characters each are schema-valid and several megabytes. (A full run once failed ST201 on
# PUT /v1/settings/dunning; 413 is the one answer outside schemathesis's list the API gives an
# invalid ladder.) JSON Schema counts characters, not bytes, so the limit cannot be stated in it.
NEGATIVE_STATUSES = [
    "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx",
]
ADMIN_PATHS = r"^/(v1/merchants|codec/)"
# The readiness probe's 503 is its answer when Temporal is slow to reply (a loaded CI machine);
# tests/api/routes/test_health.py covers it.
PROBE = r"^/readyz$"
# Stripe's webhook has no key: no generated Stripe-Signature verifies, and the answer to that is
# a 401 `invalid_signature` (tests/api/routes/test_stripe.py). Every other check still runs.
STRIPE_EVENTS = r"^/v1/integrations/stripe/events/"


def _config(key: str, parameters: dict[str, str]) -> str:
    lines = [
        f"headers = {{ Authorization = {json.dumps('Bearer ' + key)} }}",
        "[checks]",
        f"positive_data_acceptance.expected-statuses = {json.dumps(POSITIVE_STATUSES)}",
        f"negative_data_rejection.expected-statuses = {json.dumps(NEGATIVE_STATUSES)}",
        "[parameters]",
        *(f"{json.dumps(name)} = {json.dumps(value)}" for name, value in parameters.items()),
        "[[operations]]",
        f"include-path-regex = {json.dumps(STRIPE_EVENTS)}",
        f"checks.positive_data_acceptance.expected-statuses = {json.dumps([*POSITIVE_STATUSES, '400'])}",
    ]
    return "\n".join(lines) + "\n"


async def _schemathesis(base_url: str, config: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run `st run` with every check; its exit code and its report."""
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(config)
    seed = str(time.time_ns() % 2**32) if FULL else "8"  # the short run is the same every time
    options = {
        "--checks": "all", "--max-examples": str(MAX_EXAMPLES), "--workers": "1", "--seed": seed,
        "--generation-database": "none", "--request-timeout": "30",
    }  # fmt: skip
    if not FULL:  # the stateful phase (chains of calls along the schema's links) is the slow one
        options["--phases"] = "examples,coverage,fuzzing"
    process = await asyncio.create_subprocess_exec(
        *SCHEMATHESIS, "--config-file", str(config_file), "run", f"{base_url}/openapi.json", "--no-color",
        *(item for pair in options.items() for item in pair), *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    output, _ = await process.communicate()
    return (process.returncode or 0), output.decode(errors="replace")


async def test_schemathesis_finds_no_failure_on_the_merchant_endpoints(
    app: FastAPI, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    tenant = await make_tenant(api)
    parameters = {"path.buyer_id": tenant.buyer["id"], "path.invoice_id": tenant.invoice["id"]}
    async with served(app) as base_url:
        code, output = await _schemathesis(
            base_url, _config(tenant.key, parameters), tmp_path,
            "--exclude-path-regex", f"{ADMIN_PATHS}|{PROBE}",
        )
    assert code == 0, output


async def test_schemathesis_finds_no_failure_on_the_admin_endpoints(app: FastAPI, tmp_path: Path) -> None:
    async with served(app) as base_url:
        code, output = await _schemathesis(
            base_url, _config(ADMIN_KEY, {}), tmp_path, "--include-path-regex", ADMIN_PATHS
        )
    assert code == 0, output
