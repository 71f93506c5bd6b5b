"""The FastAPI application: `uvicorn api.app:app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.request_guard import RequestGuardMiddleware, RequestIdMiddleware
from api.routes import (
    api_docs,
    balances,
    bank_details,
    buyers,
    company,
    corrections,
    credit_check,
    credit_notes,
    credit_policy,
    documents,
    dunning,
    einvoices,
    health,
    invoice_changes,
    invoices,
    keys,
    late_interest,
    ledger,
    merchants,
    metrics,
    reconciliation,
    reports,
    settlements,
    stripe_integration,
    webhook_endpoints,
)
from api.routes import codec as codec_server
from payinvoice.codec import keyring_from_settings
from payinvoice.db.session import create_engine, create_sessionmaker
from payinvoice.observability import ReadModelGauges, configure_logging
from payinvoice.rate_limit import HostedPageLimits
from payinvoice.settings import Settings, get_settings
from payinvoice.temporal import connect
from services.documents import PdfPrinter


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # JSON logs for the served process (the tests' ASGI transport never runs the lifespan).
        configure_logging(settings.log_level)
        # One engine and one Temporal client for the whole process, made here and closed here.
        engine = create_engine(
            settings.database_url, settings.database_pool_size, settings.database_max_overflow,
            keyring=keyring_from_settings(settings),  # seals the secret columns (payinvoice/db/sealed.py)
        )
        app.state.sessions = create_sessionmaker(engine)
        app.state.temporal = await connect(settings)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="payinvoice",
        version="1.0.0",
        summary="Pay by invoice: credit decision at checkout, one durable workflow per invoice.",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc with their assets served locally: api_docs.install below
        redoc_url=None,
    )
    app.state.settings = settings
    # The read-model gauges of /metrics, read at most once per interval however often scraped.
    app.state.metrics_gauges = ReadModelGauges(settings.metrics_cache_seconds)
    # The hosted page's rate limits and the PDFs' printer, each counted in this process alone.
    app.state.hosted_limits = HostedPageLimits(
        settings.hosted_rate_per_minute, settings.hosted_rate_per_client_per_minute
    )
    app.state.pdf_printer = PdfPrinter(settings.pdf_render_concurrency)
    install_error_handlers(app)
    app.add_middleware(
        RequestGuardMiddleware, max_body_bytes=settings.max_body_bytes,
        path_limits={reconciliation.STATEMENT_PATH: reconciliation.MAX_STATEMENT_BYTES},
    )
    app.add_middleware(RequestIdMiddleware)
    for module in (
        health, merchants, buyers, invoices, credit_policy, credit_check, dunning, reports, metrics,
        webhook_endpoints, keys, settlements, reconciliation, stripe_integration, corrections, ledger,
        bank_details, documents, invoice_changes, late_interest, credit_notes, balances, company, einvoices,
    ):
        app.include_router(module.router)
    codec_server.install(app, settings.codec_cors_origins)  # /codec/*, with CORS for the Temporal UI only
    api_docs.install(app)

    return app


app = create_app()
