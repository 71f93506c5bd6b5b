"""The Temporal worker: wires the invoice workflow to its activities and runs them."""

import asyncio
import logging
import os
import signal
from contextlib import AsyncExitStack

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.balances import BalanceActivities
from activities.credit import CreditActivities
from activities.email import EmailActivities, MailSettings, stop_renderer
from activities.issuing import IssuingActivities
from activities.notices import NoticeActivities
from activities.scoring import ScoringActivities
from activities.webhooks import WebhookActivities
from payinvoice.codec import keyring_from_settings
from payinvoice.contracts import mail_task_queue, notice_task_queue
from payinvoice.db.outbox import WebhookOutbox
from payinvoice.db.session import create_engine, create_sessionmaker
from payinvoice.observability import configure_logging, worker_runtime
from payinvoice.search import register_search_attributes
from payinvoice.settings import Settings, get_settings
from payinvoice.temporal import connect
from workflows.invoice import InvoiceWorkflow
from workflows.merchant_notice import MerchantNoticeWorkflow
from workflows.webhook_delivery import WebhookDeliveryWorkflow

# The sandbox re-imports every module it does not pass through for each new run (and each
# replay after a cache eviction). Our workflow modules keep no mutable module state, so they
# are passed through: the default sandbox compiled and executed them per checkout, about half
# of the sandbox's per-run cost (docs/performance.md, "First round: where the decision's time goes").
SANDBOXED_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows")
)


def workflow_runner(sandboxed: bool) -> WorkflowRunner:
    """The sandbox is a guard for development: it fails a workflow that reaches for I/O, clocks
    or randomness. The test suite runs every workflow under it, and the recorded-history replay
    tests (tests/replay) under the full default one; production runs without it
    (`PAYINVOICE_WORKFLOW_SANDBOX`), which saves 12-20 ms on every new run (the checkout's
    decision) and about two thirds of the memory per cached workflow (docs/performance.md)."""
    return SANDBOXED_RUNNER if sandboxed else UnsandboxedWorkflowRunner()


# Emails a worker takes from each mail queue at a time: enough to keep the one rendering process
# busy while others read the database or talk SMTP (at 4 a full test run's emails queued long
# enough to shift a reminder's recorded time by seconds). Many more would only wait in the
# renderer, running down their start-to-close timeouts; the rest wait in the task queue, where
# no timeout runs.
MAIL_CONCURRENCY = 16


class Workers:
    """The invoice, mail and notice workers of one process, run and stopped together."""

    def __init__(self, *workers: Worker) -> None:
        self._workers = workers
        self._running = AsyncExitStack()

    @property
    def workers(self) -> tuple[Worker, ...]:
        return self._workers

    @property
    def task_queues(self) -> tuple[str, ...]:
        return tuple(each.task_queue for each in self._workers)

    async def run(self) -> None:
        await asyncio.gather(*(each.run() for each in self._workers))

    async def shutdown(self) -> None:
        await asyncio.gather(*(each.shutdown() for each in self._workers))

    async def __aenter__(self) -> "Workers":
        for each in self._workers:
            await self._running.enter_async_context(each)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._running.aclose()


def build_worker(
    client: Client, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> Workers:
    """The invoice queue's workflows and activities, the mail queue's invoice emails and the
    notice queue's later emails: PDFs waiting for the renderer never hold up a decision's or a
    payment's activities (MAIL_QUEUE_PATCH), and a backlog of invoice emails never holds up a
    reminder or a receipt (NOTICE_QUEUE_PATCH). Each is built when `PAYINVOICE_WORKER_QUEUES`
    names it (all three by default); those of a process share its one rendering process."""
    outbox = WebhookOutbox(client, settings.public_url)
    mail = MailSettings(settings.smtp_host, settings.smtp_port, settings.mail_from, settings.public_url)
    credit = CreditActivities(sessions, outbox)
    issuing = IssuingActivities(sessions, outbox)
    scoring = ScoringActivities(
        sessions, settings.allow_private_urls, settings.decision_timeout_seconds,
        settings.credit_check_max_in_flight,
    )
    email = EmailActivities(sessions, mail)
    webhooks = WebhookActivities(
        sessions, mail, settings.webhook_timeout_seconds, settings.allow_private_urls
    )
    balance = BalanceActivities(sessions)
    notices = NoticeActivities(sessions, mail)
    workers = []
    if "invoices" in settings.served_queues:
        workers.append(Worker(
            client,
            task_queue=settings.temporal_task_queue,
            workflows=[InvoiceWorkflow, WebhookDeliveryWorkflow, MerchantNoticeWorkflow],
            workflow_runner=workflow_runner(settings.workflow_sandbox),
            max_cached_workflows=settings.worker_max_cached_workflows,
            max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
            max_concurrent_activities=(
                settings.worker_max_concurrent_activities
                or settings.database_pool_size + settings.database_max_overflow
            ),
            activities=[
                scoring.check_credit_externally, credit.reserve_credit, credit.adjust_credit,
                credit.suspend_buyer, credit.reinstate_buyer, credit.record_settlement,
                # send_email here too: emails scheduled before MAIL_QUEUE_PATCH are on this queue.
                issuing.assign_invoice_number, issuing.save_invoice, email.send_email,
                issuing.assign_credit_note_number, balance.apply_balance,
                webhooks.deliver_webhook, webhooks.disable_webhook_endpoint,
                webhooks.abandon_webhook_delivery,
                notices.send_bank_details_changed,
            ],
        ))  # fmt: skip
    for name, queue in (("mail", mail_task_queue), ("notices", notice_task_queue)):
        if name in settings.served_queues:
            workers.append(Worker(
                client, task_queue=queue(settings.temporal_task_queue), activities=[email.send_email],
                max_concurrent_activities=MAIL_CONCURRENCY,
            ))  # fmt: skip
    return Workers(*workers)


async def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    engine = create_engine(
        settings.database_url, settings.database_pool_size, settings.database_max_overflow,
        keyring=keyring_from_settings(settings),  # opens the sealed secrets (payinvoice/db/sealed.py)
    )
    # The SDK's own metrics (task latencies, pollers, slots) on their own Prometheus port.
    client = await connect(settings, runtime=worker_runtime(settings.worker_metrics_port))
    if settings.worker_metrics_port:
        logging.info("Temporal SDK metrics on :%d/metrics", settings.worker_metrics_port)
    added = await register_search_attributes(client)
    if added:
        logging.info("registered search attributes %s", ", ".join(added))
    worker = build_worker(client, settings, create_sessionmaker(engine))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with worker:
        logging.info(
            "worker polling %s of task queue %r", settings.worker_queues, settings.temporal_task_queue
        )
        await stop.wait()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
    stop_renderer()
    # The SDK can abort in interpreter teardown after all work is done (sdk-python#300):
    # leave with the real status once everything is closed.
    os._exit(0)
