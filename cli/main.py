"""The operator CLI: `python -m cli <command>` (or the `payinvoice` console script).

It talks to the database and Temporal named by the usual `PAYINVOICE_*` settings, with the same
code the API runs: the same key making, the same invoice JSON, the same data converter.
"""

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError

from payinvoice.codec import keyring_from_settings
from payinvoice.contracts import ResendReminderInput, from_document, invoice_workflow_id
from payinvoice.db.models import Base, Invoice, Merchant, WebhookDelivery, WebhookEvent
from payinvoice.db.sealed import SealedValueError, reseal, sealed_columns
from payinvoice.db.session import create_engine, create_sessionmaker
from payinvoice.domain.money import exponent
from payinvoice.keys import Role, add_key
from payinvoice.settings import Settings, get_settings
from payinvoice.temporal import connect

Command = Callable[[argparse.Namespace, "Context"], Awaitable[Any]]


class Context:
    """The database sessions, and a Temporal client made only when a command needs one."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._client: Client | None = None

    async def temporal(self) -> Client:
        if self._client is None:
            self._client = await connect(self.settings, wait_seconds=10)
        return self._client


class CommandError(Exception):
    """A refusal to print for the operator (exit status 2), not a crash."""


async def create_merchant(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    exponent(args.currency)
    async with ctx.sessions.begin() as session:
        merchant = Merchant(id=str(uuid.uuid4()), name=args.name, currency=args.currency, email=args.email)
        session.add(merchant)
        await session.flush()
        _, key, _ = add_key(session, merchant.id, Role.MERCHANT)
    return {"id": merchant.id, "name": merchant.name, "api_key": key}


async def create_key(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    async with ctx.sessions.begin() as session:
        if await session.get(Merchant, args.merchant_id) is None:
            raise CommandError(f"no merchant {args.merchant_id}")
        row, key, secret = add_key(session, args.merchant_id, Role(args.role))
    return {"id": row.id, "role": row.role, "key": key, "signing_secret": secret}


async def _history_line(client: Client, event: Any) -> dict[str, Any]:
    """One event of the workflow's history as support staff read it."""
    kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
    line: dict[str, Any] = {"at": event.event_time.ToJsonString(), "event": kind}
    if event.HasField("user_metadata") and event.user_metadata.HasField("summary"):
        # Through the client's converter: with encryption on, the summary is ciphertext too.
        [line["summary"]] = await client.data_converter.decode([event.user_metadata.summary])
    attributes = event.activity_task_scheduled_event_attributes
    if event.HasField("activity_task_scheduled_event_attributes"):
        line["activity"] = attributes.activity_type.name
    if event.HasField("workflow_execution_update_accepted_event_attributes"):
        line["update"] = event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
    if event.HasField("workflow_execution_signaled_event_attributes"):
        line["signal"] = event.workflow_execution_signaled_event_attributes.signal_name
    return line


async def show_invoice(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """The invoice as the API shows it, and its workflow's history, step by step."""
    from payinvoice.views import invoice_out  # the API's own invoice JSON, imported only when needed

    async with ctx.sessions() as session:
        row = await session.get(Invoice, args.invoice_id)
    if row is None:
        raise CommandError(f"no invoice {args.invoice_id}")
    client = await ctx.temporal()
    history = await client.get_workflow_handle(invoice_workflow_id(row.id)).fetch_history()
    return {
        "invoice": invoice_out(from_document(row.document), ctx.settings.public_url).model_dump(mode="json"),
        "history": [await _history_line(client, event) for event in history.events],
    }


async def reconcile(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Import a camt.053 statement for a merchant, exactly as `POST /v1/reconciliation/camt053`."""
    from payinvoice.domain.errors import Refusal
    from services.reconciliation import import_statement, read_statement

    try:
        data = open(args.file, "rb").read()  # noqa: ASYNC230 (a local file, read once)
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror}") from None
    async with ctx.sessions() as session:
        merchant = await session.get(Merchant, args.merchant_id)
        if merchant is None:
            raise CommandError(f"no merchant {args.merchant_id}")
        try:
            imported = await import_statement(await ctx.temporal(), session, merchant, read_statement(data))
        except Refusal as refusal:
            raise CommandError(f"{refusal.code}: {refusal.message}") from None
    return imported.model_dump(mode="json")


async def check_ledger(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Every difference between the ledger and the invoices and buyers, as `GET /v1/ledger/check`,
    for one merchant or all of them."""
    from services.ledger import ledger_check  # the API's own check

    async with ctx.sessions() as session:
        if args.merchant_id is not None:
            if await session.get(Merchant, args.merchant_id) is None:
                raise CommandError(f"no merchant {args.merchant_id}")
            merchant_ids = [args.merchant_id]
        else:
            merchant_ids = list(await session.scalars(select(Merchant.id).order_by(Merchant.id)))
        checks = {m: (await ledger_check(session, m)).model_dump(mode="json") for m in merchant_ids}
    differences = [d | {"merchant_id": m} for m, check in checks.items() for d in check["differences"]]
    return {"consistent": not differences, "merchants": len(merchant_ids), "differences": differences}


async def retry_webhook(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Send a webhook delivery again (same webhook-id, fresh window), as the API's retry does."""
    from payinvoice.db.outbox import Outgoing, enqueue_deliveries

    async with ctx.sessions() as session:
        found = (
            await session.execute(
                select(WebhookDelivery, WebhookEvent.subject_id)
                .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                .where(WebhookDelivery.id == args.delivery_id)
            )
        ).first()
    if found is None:
        raise CommandError(f"no webhook delivery {args.delivery_id}")
    delivery, subject_id = found
    await enqueue_deliveries(
        await ctx.temporal(), ctx.settings.temporal_task_queue,
        Outgoing(delivery.endpoint_id, subject_id, [delivery.id]),
        day_seconds=ctx.settings.day_seconds, resend=True,
    )
    return {"delivery_id": delivery.id, "endpoint_id": delivery.endpoint_id, "queued": True}


async def resend_reminder(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Send a reminder the invoice already sent once more, through its workflow (a new message)."""
    from payinvoice.domain.errors import Refusal
    from payinvoice.views import invoice_out
    from services.temporal import update_invoice
    from workflows.invoice import InvoiceWorkflow

    request = ResendReminderInput(args.stage)
    try:
        client = await ctx.temporal()
        view = await update_invoice(client, args.invoice_id, InvoiceWorkflow.resend_reminder, request)
    except Refusal as refusal:
        raise CommandError(refusal.message) from None
    except RPCError as error:
        raise CommandError(f"invoice {args.invoice_id} has no running workflow: {error.message}") from None
    if view is None:
        raise CommandError(f"invoice {args.invoice_id} has no running workflow")
    return invoice_out(view, ctx.settings.public_url).model_dump(mode="json")


async def reseal_secrets(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Seal every stored secret under the current `PAYINVOICE_ENCRYPTION_KEY`: those still in clear
    and those under an old key (after a rotation). Idempotent: a second run rewrites nothing."""
    keyring = keyring_from_settings(ctx.settings)
    if keyring is None:
        raise CommandError("PAYINVOICE_ENCRYPTION_KEY is not set: there is no key to seal the secrets with")
    async with ctx.sessions.begin() as session:
        try:
            resealed = await session.run_sync(
                lambda sync: reseal(sync.connection(), keyring, sealed_columns(Base.metadata))
            )
        except SealedValueError as error:
            raise CommandError(str(error)) from None
    return {"key_id": keyring.current_key_id, "resealed": resealed}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="payinvoice", description="payinvoice operator commands")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    merchant = commands.add_parser("create-merchant", help="create a merchant and its first API key")
    merchant.add_argument("name")
    merchant.add_argument("--email", default=None)
    merchant.add_argument("--currency", default="EUR")
    merchant.set_defaults(run=create_merchant)

    key = commands.add_parser("create-key", help="create another API key for a merchant")
    key.add_argument("merchant_id")
    key.add_argument("role", choices=[role.value for role in Role])
    key.set_defaults(run=create_key)

    show = commands.add_parser("show-invoice", help="an invoice and its workflow history")
    show.add_argument("invoice_id")
    show.set_defaults(run=show_invoice)

    resend = commands.add_parser("resend-reminder", help="send a reminder an invoice already sent again")
    resend.add_argument("invoice_id")
    resend.add_argument("stage")
    resend.set_defaults(run=resend_reminder)

    webhook = commands.add_parser("retry-webhook", help="send a webhook delivery again")
    webhook.add_argument("delivery_id")
    webhook.set_defaults(run=retry_webhook)

    statement = commands.add_parser("reconcile", help="import a camt.053 bank statement for a merchant")
    statement.add_argument("merchant_id")
    statement.add_argument("file")
    statement.set_defaults(run=reconcile)

    ledger = commands.add_parser("check-ledger", help="recompute balances from the ledger, list differences")
    ledger.add_argument("merchant_id", nargs="?", default=None, help="one merchant (default: all)")
    ledger.set_defaults(run=check_ledger)

    secrets = commands.add_parser(
        "reseal-secrets", help="seal every stored secret under the current encryption key (after a rotation)"
    )
    secrets.set_defaults(run=reseal_secrets)
    return root


async def run(argv: list[str], settings: Settings | None = None) -> tuple[int, Any]:
    """Run one command; (exit status, what to print)."""
    args = parser().parse_args(argv)
    settings = settings or get_settings()
    engine = create_engine(settings.database_url, keyring=keyring_from_settings(settings))
    try:
        return 0, await args.run(args, Context(settings, create_sessionmaker(engine)))
    except CommandError as refusal:
        return 2, {"error": str(refusal)}
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    status, output = asyncio.run(run(sys.argv[1:] if argv is None else argv))
    print(json.dumps(output, indent=2, default=str), file=sys.stdout if status == 0 else sys.stderr)
    return status
