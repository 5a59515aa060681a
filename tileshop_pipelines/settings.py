"""The pipeline's settings (Dagster code location, daemon, run workers, `tileshop` CLI), read once
from environment variables and validated.

A malformed variable stops the process with a SettingsError naming it. Secrets are `SecretStr`
(never in a repr or a log line); resources receive them as `dg.EnvVar`, so they stay out of run
configs too (`defs/resources.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tileshop_pipelines.crawl.transports import DEFAULT_USER_AGENT
from tileshop_pipelines.embedding.model import DEFAULT_MODEL
from tileshop_pipelines.embedding.model import Backend as EmbeddingBackend
from tileshop_pipelines.store.product_vectors import Backend as VectorStoreBackend

DEFAULT_SITEMAP_URL = "https://www.tileshop.com/sitemap.xml"
DEFAULT_DAGSTER_UI_URL = "http://127.0.0.1:3000"  # `tileshop ui`
# The crawl service on Fly's private network: Flycast goes through Fly's proxy, which starts a
# stopped crawler machine (`.internal` addresses bypass the proxy and never wake it).
FLY_CRAWLER_URL = "http://tileshop-crawler.flycast:11235"
# A crawl run's length when TILESHOP_CRAWL_BATCH_SIZE is unset, and the batch's bounds.
CRAWL_RUN_SECONDS = 600
MIN_CRAWL_BATCH, MAX_CRAWL_BATCH = 100, 10_000
CrawlMode = Literal["http", "browser", "service"]


class SettingsError(ValueError):
    pass


def _env(name: str, **field_args):
    return Field(validation_alias=AliasChoices(name), **field_args)


class PipelineSettings(BaseSettings):
    """The environment variables of the pipeline; the README's "Configuration" lists them. Where
    the database and the state folder are (DATABASE_URL, TILESHOP_HOME) is `store.db`'s, shared
    with rag_app."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=False, frozen=True)

    sitemap_url: str = _env("TILESHOP_SITEMAP_URL", default=DEFAULT_SITEMAP_URL, min_length=1)
    user_agent: str = _env("TILESHOP_USER_AGENT", default=DEFAULT_USER_AGENT, min_length=1)
    crawl_mode: CrawlMode = _env("TILESHOP_CRAWL_MODE", default="http")
    crawl_rate: float = _env("TILESHOP_CRAWL_RATE", default=2.0, ge=0, le=1000)  # requests/s per host; 0: off
    crawl_concurrency: int = _env("TILESHOP_CRAWL_CONCURRENCY", default=4, ge=1, le=256)
    # Products per crawl run. Unset: what the rate checks in CRAWL_RUN_SECONDS (1,200 at 2/s), so a
    # run's launch (3-4 s here, bench production; 5-25 s on a loaded machine) stays ~1% of a refresh.
    crawl_batch_size: int | None = _env("TILESHOP_CRAWL_BATCH_SIZE", default=None, ge=1, le=MAX_CRAWL_BATCH)
    crawler_url: str = _env("CRAWLER_URL", default="")  # unset: default_crawler_url()
    crawler_token: SecretStr | None = _env("CRAWLER_TOKEN", default=None)
    chromium_path: str = _env("TILESHOP_CHROMIUM", default="")
    embedding_model: str = _env("TILESHOP_EMBEDDING_MODEL", default=DEFAULT_MODEL, min_length=1)
    embedding_batch_size: int = _env("TILESHOP_EMBEDDING_BATCH_SIZE", default=32, ge=1, le=4096)
    embedding_device: str = _env("TILESHOP_EMBEDDING_DEVICE", default="cpu", min_length=1)
    embedding_backend: EmbeddingBackend = _env("TILESHOP_EMBEDDING_BACKEND", default="torch")
    torch_threads: int = _env("TILESHOP_TORCH_THREADS", default=0, ge=0, le=256)  # 0: torch's default
    vector_store: VectorStoreBackend = _env("TILESHOP_VECTOR_STORE", default="postgres")
    supabase_url: str = _env("SUPABASE_URL", default="")
    supabase_service_key: SecretStr | None = _env("SUPABASE_SERVICE_KEY", default=None)
    automation: bool = _env("TILESHOP_AUTOMATION", default=True)  # off: schedules and sensors start stopped
    max_age_days: float = _env("TILESHOP_MAX_AGE_DAYS", default=7.0, gt=0, le=365)
    sitemap_cron: str = _env("TILESHOP_SITEMAP_CRON", default="0 6 * * *")
    # Slack-compatible incoming webhook for alerts (alerts.py); unset: alerts are logged only.
    # A secret: a Slack webhook URL is its own credential.
    alert_webhook_url: SecretStr | None = _env("TILESHOP_ALERT_WEBHOOK_URL", default=None)
    dagster_ui_url: str = _env("TILESHOP_DAGSTER_UI_URL", default=DEFAULT_DAGSTER_UI_URL)  # the alerts' links

    @model_validator(mode="after")
    def _batch_from_rate(self):
        if self.crawl_batch_size is None:  # frozen: set once, here
            object.__setattr__(self, "crawl_batch_size", default_crawl_batch_size(self.crawl_rate))
        return self

    @field_validator("automation", mode="before")
    @classmethod
    def _on_off(cls, value):
        return on_off(value)

    @field_validator("alert_webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            _http_url(value.get_secret_value(), shown="(secret)")
        return value

    @field_validator("dagster_ui_url")
    @classmethod
    def _ui_url(cls, value: str) -> str:
        return _http_url(value, shown=repr(value)).rstrip("/")

    @field_validator("sitemap_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from dagster._utils.schedules import is_valid_cron_string

        if not is_valid_cron_string(value):
            raise ValueError(f"not a cron expression: {value!r}")
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


def on_off(value):
    """`on` / `off` (any case) as a bool; anything else is left to the field's own validation."""
    if isinstance(value, str) and value.strip().lower() in ("on", "off"):
        return value.strip().lower() == "on"
    return value


def _http_url(value: str, *, shown: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http(s) URL, got {shown}")
    return value


def default_crawler_url(env: Mapping[str, str]) -> str:
    """CRAWLER_URL when set; on Fly (FLY_APP_NAME set) the crawler app's private address; else
    none (the pipeline crawls in-process)."""
    configured = env.get("CRAWLER_URL", "").strip()
    if configured:
        return configured
    return FLY_CRAWLER_URL if env.get("FLY_APP_NAME", "").strip() else ""


def load_settings(env: Mapping[str, str] | None = None) -> PipelineSettings:
    """The settings from `env` (default: os.environ); empty values count as unset."""
    import os

    source = os.environ if env is None else env
    values = {name: value for name, value in source.items() if value.strip() != "" and name in _VARIABLES}
    if crawler_url := default_crawler_url(source):
        values["CRAWLER_URL"] = crawler_url
    try:
        return PipelineSettings.model_validate(values)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, values)) from None


def _field_variable(name: str) -> str:
    return PipelineSettings.model_fields[name].validation_alias.choices[0]


_VARIABLES = {_field_variable(name) for name in PipelineSettings.model_fields}
_SECRETS = {_field_variable(name) for name, field in PipelineSettings.model_fields.items()
            if field.annotation == SecretStr | None}


def _describe(exc: ValidationError, values: Mapping[str, str]) -> str:
    problems = []
    for error in exc.errors():
        variable = str(error["loc"][0]) if error["loc"] else "?"
        shown = "(secret)" if variable in _SECRETS else repr(values.get(variable))
        problems.append(f"environment variable {variable}: {error['msg']}; got {shown}")
    return "; ".join(problems)
