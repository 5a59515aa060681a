"""The app's settings: one class on the serving settings base, read once from environment variables
and validated.

A malformed variable stops the app with a SettingsError that names it. Secrets (the Anthropic key,
the admin token) are SecretStr: masked in `repr`, so they never reach a log line or an error.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import SecretStr, field_validator
from pydantic_settings import NoDecode

from tileshop_pipelines.embedding.model import DEFAULT_MODEL
from tileshop_pipelines.serving.settings import EnvSettings, HttpUrl, Lowercase, OnOff, env
from tileshop_pipelines.settings import DEFAULT_DAGSTER_UI_URL, DEFAULT_MAX_AGE_DAYS

DEFAULT_CLAUDE_MODEL = "claude-sonnet-5-5"  # the newest Sonnet the pinned SDK lists
DEFAULT_DAGSTER_GRAPHQL_URL = f"{DEFAULT_DAGSTER_UI_URL}/graphql"  # `make ui`
# The request line's share of the parser's bound on a request head (serving.server): the search's
# q (2,000 characters) percent-encoded as 4-byte UTF-8 is 24,000 bytes of target.
MAX_REQUEST_LINE_BYTES = 32 * 1024
# /metrics' own port (serving.metrics_server; rag_app/fly.toml's [[metrics]]): never the public one.
DEFAULT_METRICS_PORT = 9091


class Settings(EnvSettings):
    """The app's environment variables (docs/CONFIG.md lists them); `load_settings(env, **values)`
    validates `env` (default: os.environ) and `values` by field name, nothing else."""

    anthropic_api_key: SecretStr | None = env("ANTHROPIC_API_KEY", default=None)
    # None: the SDK's default (api.anthropic.com)
    anthropic_base_url: HttpUrl | None = env("ANTHROPIC_BASE_URL", default=None)
    claude_model: str = env("TILESHOP_CLAUDE_MODEL", default=DEFAULT_CLAUDE_MODEL)
    claude_max_tokens: int = env("TILESHOP_CLAUDE_MAX_TOKENS", default=1024, ge=64, le=8192)
    claude_timeout_s: float = env("TILESHOP_CLAUDE_TIMEOUT_S", default=30.0, ge=0.1, le=600.0)
    claude_max_retries: int = env("TILESHOP_CLAUDE_MAX_RETRIES", default=3, ge=0, le=10)
    # One answer's time with Claude, tool rounds and retries included; past it the shopper gets the
    # offline answer.
    claude_deadline_s: float = env("TILESHOP_CLAUDE_DEADLINE_S", default=20.0, ge=0.5, le=600.0)
    # Claude calls at once per process; a question beyond them gets the offline answer at once.
    claude_max_concurrent: int = env("TILESHOP_CLAUDE_MAX_CONCURRENT", default=16, ge=1, le=10_000)
    admin_token: SecretStr | None = env("TILESHOP_ADMIN_TOKEN", default=None, min_length=16)
    cors_origins: Annotated[tuple[str, ...], NoDecode] = env("TILESHOP_CORS_ORIGINS", default=())
    # per client address, sustained
    rate_limit_per_minute: int = env("TILESHOP_RATE_LIMIT_PER_MINUTE", default=120, ge=1, le=1_000_000)
    rate_limit_burst: int = env("TILESHOP_RATE_LIMIT_BURST", default=30, ge=1, le=1_000_000)
    max_body_bytes: int = env("TILESHOP_MAX_BODY_BYTES", default=64 * 1024, ge=1024, le=10 * 1024 * 1024)
    max_headers: int = env("TILESHOP_MAX_HEADERS", default=100, ge=10, le=1000)  # a browser sends ~15
    # names and values together
    max_header_bytes: int = env("TILESHOP_MAX_HEADER_BYTES", default=16 * 1024, ge=1024, le=1024 * 1024)
    products_per_answer: int = env("TILESHOP_PRODUCTS_PER_ANSWER", default=5, ge=1, le=20)
    db_pool_size: int = env("TILESHOP_DB_POOL_SIZE", default=4, ge=1, le=64)
    max_in_flight_searches: int = env("TILESHOP_MAX_IN_FLIGHT_SEARCHES", default=32, ge=1, le=100_000)
    embedding_model: str = env("TILESHOP_EMBEDDING_MODEL", default=DEFAULT_MODEL)  # the pipeline's model
    query_cache_size: int = env("TILESHOP_QUERY_CACHE_SIZE", default=4096, ge=0, le=1_000_000)
    # How long a query vector stays in the shared cache (REDIS_URL): ~2 KB a question (measured:
    # docs/operations.md, "Several app machines: Redis"); a day covers a day's repeats, Redis's
    # maxmemory bounds the size.
    query_cache_shared_ttl_s: int = env("TILESHOP_QUERY_CACHE_SHARED_TTL_S", default=86_400, ge=60, le=30 * 86_400)
    query_embed_threads: int = env("TILESHOP_QUERY_EMBED_THREADS", default=1, ge=1, le=64)
    query_embed_gather_ms: float = env("TILESHOP_QUERY_EMBED_GATHER_MS", default=0.0, ge=0.0, le=100.0)
    query_embed_backend: Annotated[Literal["onnx", "torch"], Lowercase] = env(
        "TILESHOP_QUERY_EMBED_BACKEND", default="onnx"
    )
    dagster_graphql_url: HttpUrl = env("DAGSTER_GRAPHQL_URL", default=DEFAULT_DAGSTER_GRAPHQL_URL)
    acquisition_job: str = env("TILESHOP_ACQUISITION_JOB", default="sitemap_refresh")
    # the crawl service (the pipeline's CRAWLER_URL); None: the pipeline crawls in-process (on Fly,
    # rag_app/fly.toml sets it)
    crawler_url: HttpUrl | None = env("CRAWLER_URL", default=None)
    # Set by Fly on its machines: Fly's proxy is in front, and its Fly-Client-IP header is the client.
    fly_app_name: str | None = env("FLY_APP_NAME", default=None, pattern=r"^[a-z0-9-]+$")
    # The monitoring page's rollups and the search analytics (rag_app.monitoring); off: neither is written.
    analytics: OnOff = env("TILESHOP_ANALYTICS", default=True)
    analytics_retention_days: int = env("TILESHOP_ANALYTICS_RETENTION_DAYS", default=90, ge=1, le=3650)
    analytics_flush_s: float = env("TILESHOP_ANALYTICS_FLUSH_S", default=5.0, ge=0.1, le=300.0)
    # the pipeline's TILESHOP_MAX_AGE_DAYS ("stale")
    max_age_days: float = env("TILESHOP_MAX_AGE_DAYS", default=DEFAULT_MAX_AGE_DAYS, gt=0, le=365)
    # Shared by every app process when set: rate limits and the query-embedding cache (rag_app.shared_state).
    redis_url: str | None = env("REDIS_URL", default=None)
    port: int = env("PORT", default=8000, ge=1, le=65535)  # `python -m rag_app`'s (Fly's convention)
    metrics_port: int = env("METRICS_PORT", default=DEFAULT_METRICS_PORT, ge=0, le=65535)  # 0: no /metrics
    # Connections to Redis per process; a request waits at most 0.5 s for one, then this process's
    # own rate limit decides (rag_app.shared_state).
    redis_max_connections: int = env("TILESHOP_REDIS_MAX_CONNECTIONS", default=50, ge=1, le=10_000)

    @property
    def claude_enabled(self) -> bool:
        return self.anthropic_api_key is not None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"must be a redis://, rediss:// or unix:// URL, got scheme {urlsplit(value).scheme!r}")
        return value

    @property
    def dagster_ui_url(self) -> str:
        """The Dagster UI, where the GraphQL API is served (its /graphql path dropped)."""
        return self.dagster_graphql_url.removesuffix("/graphql")

    @field_validator("claude_model")
    @classmethod
    def _model_id(cls, value: str) -> str:
        if any(c.isspace() for c in value):
            raise ValueError("must be a model id")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value):
        if not isinstance(value, str):
            return value
        origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
        for origin in origins:
            parts = urlsplit(origin)
            if origin != "*" and (parts.scheme not in ("http", "https") or not parts.netloc or parts.path):
                raise ValueError(
                    f"must be a comma-separated list of origins (scheme://host[:port]) or *; {origin!r} is not one"
                )
        return origins


load_settings = Settings.load  # the app's entry point: load_settings(env=None, **values)
