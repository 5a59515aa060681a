"""The app's settings: one pydantic-settings class, read once from environment variables and validated.

A missing or malformed variable stops the app with a ConfigError that names it. Secrets (the
Anthropic key, the admin token) are SecretStr: masked in `repr`, so they never reach a log line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from annotated_types import Ge, Le
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tileshop_pipelines.settings import FLY_CRAWLER_URL, on_off

DEFAULT_CLAUDE_MODEL = "claude-sonnet-5-5"  # the newest Sonnet the pinned SDK lists
DEFAULT_DAGSTER_GRAPHQL_URL = "http://127.0.0.1:3000/graphql"  # `make ui`
ENV_PREFIX = "TILESHOP_"


class ConfigError(ValueError):
    pass


class Settings(BaseSettings):
    """Each field is read from TILESHOP_<FIELD NAME>, unless its validation_alias names the variable.

    `Settings(...)` reads os.environ as any BaseSettings does; the app and tests use
    `load_settings`, which validates only the mapping it is given."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True,
                                      validate_by_name=True, extra="ignore")

    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    # None: the SDK's default (api.anthropic.com)
    anthropic_base_url: str | None = Field(default=None, validation_alias="ANTHROPIC_BASE_URL")
    claude_model: str = DEFAULT_CLAUDE_MODEL
    claude_max_tokens: int = Field(default=1024, ge=64, le=8192)
    claude_timeout_s: float = Field(default=30.0, ge=0.1, le=600.0)
    claude_max_retries: int = Field(default=3, ge=0, le=10)
    # One answer's time with Claude, its retries included; past it the shopper gets the offline answer.
    claude_deadline_s: float = Field(default=20.0, ge=0.5, le=600.0)
    # Claude calls at once per process; a question beyond them gets the offline answer at once.
    claude_max_concurrent: int = Field(default=16, ge=1, le=10_000)
    admin_token: SecretStr | None = Field(default=None, min_length=16)
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    rate_limit_per_minute: int = Field(default=120, ge=1, le=1_000_000)  # per client address, sustained
    rate_limit_burst: int = Field(default=30, ge=1, le=1_000_000)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=10 * 1024 * 1024)
    max_headers: int = Field(default=100, ge=10, le=1000)  # a browser sends ~15
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)  # names and values together
    products_per_answer: int = Field(default=5, ge=1, le=20)
    db_pool_size: int = Field(default=4, ge=1, le=64)
    max_in_flight_searches: int = Field(default=32, ge=1, le=100_000)
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_cache_size: int = Field(default=4096, ge=0, le=1_000_000,
                                      validation_alias="TILESHOP_QUERY_CACHE_SIZE")
    # How long a query vector stays in the shared cache (REDIS_URL): ~2 KB a question (measured:
    # README, "Several app machines: Redis"); a day covers a day's repeats, maxmemory bounds the size.
    embedding_shared_ttl_s: int = Field(default=86_400, ge=60, le=30 * 86_400,
                                        validation_alias="TILESHOP_QUERY_CACHE_SHARED_TTL_S")
    embedding_threads: int = Field(default=1, ge=1, le=64, validation_alias="TILESHOP_QUERY_EMBED_THREADS")
    embedding_gather_ms: float = Field(default=0.0, ge=0.0, le=100.0,
                                       validation_alias="TILESHOP_QUERY_EMBED_GATHER_MS")
    embedding_backend: Literal["onnx", "torch"] = Field(default="onnx",
                                                        validation_alias="TILESHOP_QUERY_EMBED_BACKEND")
    dagster_graphql_url: str = Field(default=DEFAULT_DAGSTER_GRAPHQL_URL,
                                     validation_alias="DAGSTER_GRAPHQL_URL")
    acquisition_job: str = "sitemap_refresh"
    # the crawl service (the pipeline's CRAWLER_URL); None: the pipeline crawls in-process. Unset on
    # Fly (FLY_APP_NAME set): the crawler app's private address, as the pipeline defaults it.
    crawler_url: str | None = Field(default=None, validation_alias="CRAWLER_URL")
    # Set by Fly on its machines: Fly's proxy is in front, and its Fly-Client-IP header is the client.
    fly_app_name: str | None = Field(default=None, validation_alias="FLY_APP_NAME", pattern=r"^[a-z0-9-]+$")
    # The monitoring page's rollups and the search analytics (rag_app.monitoring); off: neither is written.
    analytics: bool = True
    analytics_retention_days: int = Field(default=90, ge=1, le=3650)
    analytics_flush_s: float = Field(default=5.0, ge=0.1, le=300.0)
    max_age_days: float = Field(default=7.0, gt=0, le=365)  # the pipeline's TILESHOP_MAX_AGE_DAYS ("stale")
    # Shared by every app process when set: rate limits and the query-embedding cache (rag_app.shared_state).
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    # Connections to Redis per process; a request waits at most 0.5 s for one, then this process's
    # own rate limit decides (rag_app.shared_state).
    redis_max_connections: int = Field(default=50, ge=1, le=10_000)

    @property
    def claude_enabled(self) -> bool:
        return self.anthropic_api_key is not None

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values):
        """Surrounding spaces are dropped; a blank value is the default, as an unset one."""
        if not isinstance(values, dict):
            return values
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
        values = {k: v for k, v in stripped.items() if v != ""}
        on_fly = values.get("fly_app_name", values.get("FLY_APP_NAME"))
        if on_fly and "crawler_url" not in values and "CRAWLER_URL" not in values:
            values["crawler_url"] = FLY_CRAWLER_URL
        return values

    @field_validator("analytics", mode="before")
    @classmethod
    def _on_off(cls, value):
        return on_off(value)

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
            raise ValueError(f"must be a model id, got {value!r}")
        return value

    @field_validator("embedding_backend", mode="before")
    @classmethod
    def _lowercase(cls, value):
        return value.lower() if isinstance(value, str) else value

    @field_validator("anthropic_base_url", "dagster_graphql_url", "crawler_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value):
        if not isinstance(value, str):
            return value
        origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
        for origin in origins:
            parts = urlsplit(origin)
            if origin != "*" and (parts.scheme not in ("http", "https") or not parts.netloc or parts.path):
                raise ValueError("must be a comma-separated list of origins (scheme://host[:port]) or *, "
                                 f"got {origin!r}")
        return origins


def env_name(field: str) -> str:
    """The environment variable a field is read from."""
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"{ENV_PREFIX}{field.upper()}"


def _field_of(loc: tuple) -> str | None:
    return next((name for name, info in Settings.model_fields.items()
                 if loc and loc[0] in (name, info.validation_alias)), None)


def _problem(field: str | None, error: dict) -> str:
    """What is wrong with the value, in the words the error shows after the variable's name."""
    kind, value = error["type"], error.get("input")
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("int_parsing", "int_from_float"):
        return f"must be an integer, got {value!r}"
    if kind == "float_parsing":
        return f"must be a number, got {value!r}"
    if kind in ("greater_than_equal", "less_than_equal") and field is not None:
        metadata = Settings.model_fields[field].metadata
        low = next(m.ge for m in metadata if isinstance(m, Ge))
        high = next(m.le for m in metadata if isinstance(m, Le))
        return f"must be between {low} and {high}, got {value}"
    if kind == "literal_error" and field is not None:
        return f"must be one of {', '.join(get_args(Settings.model_fields[field].annotation))}, got {value!r}"
    if kind in ("string_too_short", "too_short"):  # the admin token: its value is never quoted
        return f"must be at least {error['ctx']['min_length']} characters"
    return error["msg"]


def load_settings(env: Mapping[str, str] | None = None, **values: Any) -> Settings:
    """Settings from `values` (by field name), then `env` (default: os.environ), then the defaults.
    Validated from an explicit mapping, so nothing but `env` is read."""
    source = {name.upper(): value for name, value in (os.environ if env is None else env).items()}
    from_env = {field: source[env_name(field).upper()] for field in Settings.model_fields
                if env_name(field).upper() in source}
    try:
        return Settings.model_validate({**from_env, **values})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = _field_of(error["loc"])
        name = env_name(field) if field else ".".join(map(str, error["loc"]))
        raise ConfigError(f"environment variable {name} {_problem(field, error)}") from None
