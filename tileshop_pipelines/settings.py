"""The pipeline's settings (Dagster code location, daemon, run workers, `tileshop` CLI), read once
from environment variables and validated.

On the serving settings base (serving/settings.py): a malformed variable stops the process with a
SettingsError naming it. Secrets are `SecretStr` (never in a repr or a log line); resources receive
them as `dg.EnvVar`, so they stay out of run configs too (`defs/resources.py`). Where the database
and the state folder are is bootstrap.py's.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from tileshop_pipelines.crawl.addresses import normalized_host
from tileshop_pipelines.crawl.politeness import DEFAULT_CONCURRENCY_PER_HOST, DEFAULT_REQUESTS_PER_SECOND
from tileshop_pipelines.crawl.transports import DEFAULT_SITEMAP_URL, DEFAULT_USER_AGENT
from tileshop_pipelines.embedding.model import DEFAULT_MODEL
from tileshop_pipelines.embedding.model import Backend as EmbeddingBackend
from tileshop_pipelines.pdf.extract import Limits as PdfLimits
from tileshop_pipelines.serving.settings import EnvSettings, HttpUrl, OnOff, SecretHttpUrl, env

DEFAULT_DAGSTER_UI_URL = "http://127.0.0.1:3000"  # `tileshop ui`
DEFAULT_MAX_AGE_DAYS = 7.0  # a product not checked for this long is stale (the app says so too)
# Where `tileshop daemon` serves Prometheus' /metrics (fly.toml's [[metrics]]; the app's 9091 and the
# crawl service's 9092 differ, so all three can run on one host, as `make deploy-check` runs them).
DEFAULT_DAEMON_METRICS_PORT = 9095
# A crawl run's length when TILESHOP_CRAWL_BATCH_SIZE is unset, and the batch's bounds.
CRAWL_RUN_SECONDS = 600
MIN_CRAWL_BATCH, MAX_CRAWL_BATCH = 100, 10_000
CrawlMode = Literal["http", "browser", "service"]
_KEY_FOLDER = re.compile(r"^(?!.*(^|/)\.\.?(/|$))[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")

# Where the real product pages' documents live: the site and its CDN (docs/site.md). A document on
# any other host is refused, whatever page names it.
DEFAULT_DOCUMENT_HOSTS = ("www.tileshop.com", "s7d1.scene7.com")


def _host_list(value):
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    return tuple(normalized_host(str(host)) for host in value)


HostList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_host_list)]
VectorStoreBackend = Literal["postgres", "supabase"]


class PipelineSettings(EnvSettings):
    """The environment variables of the pipeline (docs/CONFIG.md lists them)."""

    sitemap_url: str = env("TILESHOP_SITEMAP_URL", default=DEFAULT_SITEMAP_URL, min_length=1)
    user_agent: str = env("TILESHOP_USER_AGENT", default=DEFAULT_USER_AGENT, min_length=1)
    crawl_mode: CrawlMode = env("TILESHOP_CRAWL_MODE", default="http")
    crawl_rate: float = env("TILESHOP_CRAWL_RATE", default=DEFAULT_REQUESTS_PER_SECOND, ge=0, le=1000)  # 0: off
    crawl_concurrency: int = env("TILESHOP_CRAWL_CONCURRENCY", default=DEFAULT_CONCURRENCY_PER_HOST, ge=1, le=256)
    # Products per crawl run. Unset: what the rate checks in CRAWL_RUN_SECONDS (1,200 at 2/s), so a
    # run's launch (3-4 s here, bench production; 5-25 s on a loaded machine) stays ~1% of a refresh.
    crawl_batch_size: int | None = env("TILESHOP_CRAWL_BATCH_SIZE", default=None, ge=1, le=MAX_CRAWL_BATCH)
    crawler_url: HttpUrl | None = env("CRAWLER_URL", default=None)  # unset: crawl in-process (fly.toml sets it)
    crawler_token: SecretStr | None = env("CRAWLER_TOKEN", default=None)
    chromium_path: str = env("TILESHOP_CHROMIUM", default="")
    embedding_model: str = env("TILESHOP_EMBEDDING_MODEL", default=DEFAULT_MODEL, min_length=1)
    embedding_batch_size: int = env("TILESHOP_EMBEDDING_BATCH_SIZE", default=32, ge=1, le=4096)
    embedding_device: str = env("TILESHOP_EMBEDDING_DEVICE", default="cpu", min_length=1)
    embedding_backend: EmbeddingBackend = env("TILESHOP_EMBEDDING_BACKEND", default="torch")
    torch_threads: int = env("TILESHOP_TORCH_THREADS", default=0, ge=0, le=256)  # 0: torch's default
    vector_store: VectorStoreBackend = env("TILESHOP_VECTOR_STORE", default="postgres")
    supabase_url: str = env("SUPABASE_URL", default="")
    supabase_service_key: SecretStr | None = env("SUPABASE_SERVICE_KEY", default=None)
    automation: OnOff = env("TILESHOP_AUTOMATION", default=True)  # off: schedules and sensors start stopped
    max_age_days: float = env("TILESHOP_MAX_AGE_DAYS", default=DEFAULT_MAX_AGE_DAYS, gt=0, le=365)
    sitemap_cron: str = env("TILESHOP_SITEMAP_CRON", default="0 6 * * *")
    # Slack-compatible incoming webhook for alerts (alerts.py); unset: alerts are logged only.
    # A secret: a Slack webhook URL is its own credential.
    alert_webhook_url: SecretHttpUrl | None = env("TILESHOP_ALERT_WEBHOOK_URL", default=None)
    dagster_ui_url: HttpUrl = env("TILESHOP_DAGSTER_UI_URL", default=DEFAULT_DAGSTER_UI_URL)  # the alerts' links
    # Database backups to the bucket (bootstrap.BucketSettings; transfer/backups.py): when, where
    # in it, and how many days of them are kept.
    backup_cron: str = env("TILESHOP_BACKUP_CRON", default="0 5 * * *")
    backup_prefix: str = env("TILESHOP_BACKUP_PREFIX", default="backups/", min_length=1, max_length=200)
    backup_keep_days: int = env("TILESHOP_BACKUP_KEEP_DAYS", default=14, ge=1, le=3650)
    metrics_port: int = env("METRICS_PORT", default=DEFAULT_DAEMON_METRICS_PORT, ge=0, le=65535)  # 0: no /metrics
    # The repository the UI's code links point into (its main branch), a GitHub or GitLab URL;
    # unset: the checkout's `origin` remote, else the local files (definitions.code_references).
    git_url: HttpUrl | None = env("TILESHOP_GIT_URL", default=None)
    # Dagster's own name (dagster-daemon reads it too): how stale a heartbeat may be past the 30 s
    # interval before `tileshop daemon` answers 503 and then exits (daemon.py).
    daemon_heartbeat_tolerance_s: int = env("DAGSTER_DAEMON_HEARTBEAT_TOLERANCE", default=300, ge=1, le=3600)
    # Documents (acquisition/documents.py): the hosts they may be fetched from, and the bounds of
    # one document's fetch and read (pdf/).
    document_hosts: HostList = env("TILESHOP_DOCUMENT_HOSTS", default=DEFAULT_DOCUMENT_HOSTS, min_length=1)
    document_max_bytes: int = env("TILESHOP_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024, ge=1024, le=1 << 30)
    document_fetch_timeout_s: float = env("TILESHOP_DOCUMENT_FETCH_TIMEOUT_S", default=60.0, gt=0, le=3600)
    document_max_pages: int = env("TILESHOP_DOCUMENT_MAX_PAGES", default=PdfLimits.max_pages, ge=1, le=100_000)
    document_max_text_chars: int = env(
        "TILESHOP_DOCUMENT_MAX_TEXT_CHARS", default=PdfLimits.max_text_chars, ge=1000, le=100_000_000
    )
    document_max_stream_bytes: int = env(
        "TILESHOP_DOCUMENT_MAX_STREAM_BYTES", default=PdfLimits.max_stream_bytes, ge=64 * 1024, le=1 << 30
    )
    document_parse_timeout_s: float = env("TILESHOP_DOCUMENT_PARSE_TIMEOUT_S", default=60.0, gt=0, le=3600)
    document_parse_memory_mb: int = env("TILESHOP_DOCUMENT_PARSE_MEMORY_MB", default=768, ge=128, le=65536)
    document_parse_workers: int = env("TILESHOP_DOCUMENT_PARSE_WORKERS", default=2, ge=1, le=64)

    @model_validator(mode="after")
    def _batch_from_rate(self):
        if self.crawl_batch_size is None:  # frozen: set once, here
            object.__setattr__(self, "crawl_batch_size", default_crawl_batch_size(self.crawl_rate))
        return self

    @field_validator("document_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not all(value):
            raise ValueError("a host name is empty")
        return value

    @model_validator(mode="after")
    def _crawler_installed(self):
        # The pipeline's image has no crawl4ai (it crawls through the crawl service): say so at start,
        # not at the first page. The default mode is checked too, so not as a field validator.
        if self.crawl_mode != "service" and importlib.util.find_spec("crawl4ai") is None:
            raise ValueError(
                f"TILESHOP_CRAWL_MODE {self.crawl_mode!r} (default 'http') crawls in this process "
                "with crawl4ai, which is not installed here (the pipeline's image crawls through the "
                "crawl service: TILESHOP_CRAWL_MODE=service and CRAWLER_URL); or install the crawler extra"
            )
        return self

    @field_validator("sitemap_cron", "backup_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        import dagster as dg

        try:  # Dagster's own check, through its public API: the schedule it would build
            dg.ScheduleDefinition(name="cron_check", cron_schedule=value, job_name="cron_check")
        except dg.DagsterInvalidDefinitionError:
            raise ValueError("not a cron expression") from None
        return value

    @field_validator("backup_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        """A folder of the bucket: `backups`, `prod/backups/` -> ending in one "/"."""
        folder = value.strip("/")
        if not _KEY_FOLDER.match(folder):
            raise ValueError("must be a folder of the bucket: letters, digits, '.', '_', '-' in parts separated by '/'")
        return folder + "/"

    @field_validator("git_url")
    @classmethod
    def _git_host(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host = urlsplit(value).hostname or ""
        if "github" not in host and "gitlab" not in host:
            raise ValueError("Dagster links code to GitHub or GitLab only (https://github.com/OWNER/REPO)")
        return value.removesuffix(".git")

    @property
    def max_age(self) -> dt.timedelta:
        return dt.timedelta(days=self.max_age_days)


def default_crawl_batch_size(rate: float) -> int:
    """The products `rate` requests/s check in CRAWL_RUN_SECONDS, within the batch's bounds (no
    rate limit: the largest batch)."""
    if rate <= 0:
        return MAX_CRAWL_BATCH
    return max(MIN_CRAWL_BATCH, min(MAX_CRAWL_BATCH, round(rate * CRAWL_RUN_SECONDS)))


load_settings = PipelineSettings.load  # the pipeline's entry point: load_settings(env=None)
