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
from typing import Literal

from pydantic import SecretStr, field_validator, model_validator

from tileshop_pipelines.crawl.politeness import DEFAULT_CONCURRENCY_PER_HOST, DEFAULT_REQUESTS_PER_SECOND
from tileshop_pipelines.crawl.transports import DEFAULT_SITEMAP_URL, DEFAULT_USER_AGENT
from tileshop_pipelines.embedding.model import DEFAULT_MODEL
from tileshop_pipelines.embedding.model import Backend as EmbeddingBackend
from tileshop_pipelines.serving.settings import EnvSettings, HttpUrl, OnOff, SecretHttpUrl, env

DEFAULT_DAGSTER_UI_URL = "http://127.0.0.1:3000"  # `tileshop ui`
DEFAULT_MAX_AGE_DAYS = 7.0  # a product not checked for this long is stale (the app says so too)
# A crawl run's length when TILESHOP_CRAWL_BATCH_SIZE is unset, and the batch's bounds.
CRAWL_RUN_SECONDS = 600
MIN_CRAWL_BATCH, MAX_CRAWL_BATCH = 100, 10_000
CrawlMode = Literal["http", "browser", "service"]
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

    @model_validator(mode="after")
    def _batch_from_rate(self):
        if self.crawl_batch_size is None:  # frozen: set once, here
            object.__setattr__(self, "crawl_batch_size", default_crawl_batch_size(self.crawl_rate))
        return self

    @model_validator(mode="after")
    def _crawler_installed(self):
        # The pipeline's image has no crawl4ai (it crawls through the crawl service): say so at start,
        # not at the first page. The default mode is checked too, so not as a field validator.
        if self.crawl_mode != "service" and importlib.util.find_spec("crawl4ai") is None:
            raise ValueError(f"TILESHOP_CRAWL_MODE {self.crawl_mode!r} (default 'http') crawls in this process "
                             "with crawl4ai, which is not installed here (the pipeline's image crawls through the "
                             "crawl service: TILESHOP_CRAWL_MODE=service and CRAWLER_URL); or install the crawler extra")
        return self

    @field_validator("sitemap_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from dagster._utils.schedules import is_valid_cron_string

        if not is_valid_cron_string(value):
            raise ValueError("not a cron expression")
        return value

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
