"""The one settings object. Entrypoints build it and pass it down; workflow code never reads it."""

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The task queues a worker can serve (worker.build_worker).
WORKER_QUEUES = ("invoices", "mail", "notices")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYINVOICE_", env_ignore_empty=True, extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./payinvoice.db"
    # Connections each process may hold: keep (pool + overflow) x processes below the server's
    # max_connections when API replicas and workers scale out (docs/operations/production.md).
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=20, ge=0)
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "payinvoice"
    smtp_host: str = "localhost"
    smtp_port: int = 1025
    mail_from: str = "billing@payinvoice.local"
    # Admin endpoints answer 401 until a key is configured: there is deliberately no default.
    admin_key: SecretStr | None = None
    # Length of one "day" of payment terms and reminder ladders, frozen into each invoice.
    day_seconds: float = 86400.0
    decision_timeout_seconds: float = 5.0
    # The external credit check: calls one worker process makes to one merchant's endpoint at
    # once (more fall back to its on_error at once: payinvoice/breaker.py). Its timeout is the
    # merchant's, capped at 60% of the decision timeout so that the checkout still gets an answer.
    credit_check_max_in_flight: int = Field(default=4, ge=1)
    # Days a paid invoice still takes refunds, frozen into each invoice like its day length.
    refund_window_days: int = 60
    # How long a payment waits for a worker to take it before it is accepted durably (202) and
    # applied when a worker runs.
    message_timeout_seconds: float = 5.0
    public_url: str = "http://localhost:8000"
    # How long one webhook delivery attempt may take before it counts as failed (and is retried).
    webhook_timeout_seconds: float = 10.0
    # Webhook endpoints a merchant may have, and resends on request of one delivery (409 beyond).
    webhook_max_endpoints: int = Field(default=20, ge=1)
    webhook_max_resends: int = Field(default=10, ge=0)
    # Merchants' URLs (webhook endpoints, the external credit check) must be https and reach only
    # global unicast addresses (payinvoice/outbound.py). On: http and private addresses are allowed
    # too, for local receivers (`make run`, the tests, the benchmark); never in production.
    allow_private_urls: bool = False
    # Root log level; the API (at startup) and the worker log JSON lines to stderr.
    log_level: str = "INFO"
    # Port of the worker's Prometheus endpoint for the Temporal SDK's metrics; 0 turns it off.
    worker_metrics_port: int = 9464
    # Invoice workflows the worker keeps in memory between their tasks (Temporal's sticky cache):
    # what bounds its memory however many invoices are open; an evicted one is replayed.
    worker_max_cached_workflows: int = 1000
    # Workflow tasks the worker runs at once (Temporal's default). A decision's local activities
    # run inside its task, which is lost and redone after 10 s: lower it where the worker shares
    # an overloaded CPU.
    worker_max_concurrent_workflow_tasks: int = Field(default=100, ge=2)
    # Activities the worker runs at once on the invoice queue; 0: as many as its database pool
    # has connections (pool size + overflow). More only wait for a connection inside their
    # attempt's timeout, and lose it: a burst of payments of one buyer, all waiting for its row,
    # timed out and backed off for minutes (docs/operations/production.md).
    worker_max_concurrent_activities: int = Field(default=0, ge=0)
    # The task queues this worker serves, comma-separated: `invoices` (the workflows, decisions
    # and payments), `mail` (invoice emails, each printing its PDF) and `notices` (every later
    # email). Machines that only render and send emails serve `mail,notices`.
    worker_queues: str = ",".join(WORKER_QUEUES)
    # Run workflows in Temporal's sandbox (worker.workflow_runner): on in the tests, off in
    # production, where it costs every checkout's decision 12-20 ms.
    workflow_sandbox: bool = False
    # Payload encryption (payinvoice/codec.py): base64 of 32 bytes, never a default. Old keys
    # (comma-separated) still decrypt during a rotation. Unset = payloads are stored in clear.
    encryption_key: SecretStr | None = None
    encryption_old_keys: SecretStr | None = None
    # Comma-separated origins of the Temporal UI allowed to call /codec/* from the browser.
    codec_cors_origins: str = "http://localhost:8233"
    # Production (docker-compose.yml) sets this: the API, the worker and the migration then refuse
    # to start without an admin key and an encryption key rather than run open or in clear.
    require_secrets: bool = False
    # Largest request body the API reads; a larger one is answered 413 `payload_too_large`.
    max_body_bytes: int = 1024 * 1024
    # `GET /metrics` answers 401 unless called with `Authorization: Bearer <this token>` (what
    # Prometheus is given) or the admin key: there is deliberately no default.
    metrics_token: SecretStr | None = None
    # The read-model gauges of `/metrics` are read at most once per this many seconds (0: every
    # scrape), so that a storm of scrapes runs their aggregate queries once per interval.
    metrics_cache_seconds: float = Field(default=5.0, ge=0)
    # The hosted invoice page (`/i/{token}` and its PDF), counted in each API process on its own:
    # requests a minute per token and per client address; beyond, 429 `rate_limited` with
    # Retry-After (docs/concepts/buyer-documents.md).
    hosted_rate_per_minute: int = Field(default=30, ge=1)
    hosted_rate_per_client_per_minute: int = Field(default=120, ge=1)
    # Days (of the invoice's day length) a hosted page's link lives after the invoice was paid or
    # voided; then it answers the 404 page of an unknown token.
    hosted_link_days_after_settled: int = Field(default=90, ge=0)
    # Invoice PDFs each API process prints at once (in threads), when the archived one is stale.
    pdf_render_concurrency: int = Field(default=2, ge=1)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """Accept the usual sync schemes and switch them to the async drivers we ship."""
        for sync, async_ in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(sync):
                return async_ + url[len(sync) :]
        return url

    @field_validator("worker_queues")
    @classmethod
    def _known_queues(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = sorted(set(names) - set(WORKER_QUEUES))
        if not names or unknown:
            raise ValueError(f"must name one or more of {', '.join(WORKER_QUEUES)}; got {value!r}")
        return ",".join(names)

    @property
    def served_queues(self) -> frozenset[str]:
        return frozenset(self.worker_queues.split(","))

    @field_validator("day_seconds", "decision_timeout_seconds", "message_timeout_seconds", "max_body_bytes")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @model_validator(mode="after")
    def _secrets_present(self) -> "Settings":
        if self.require_secrets:
            missing = [
                f"PAYINVOICE_{name.upper()}"
                for name in ("admin_key", "encryption_key")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"{' and '.join(missing)} must be set (PAYINVOICE_REQUIRE_SECRETS is on)")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
