"""The app's settings, read once from environment variables and validated.

A missing or malformed variable stops the app with a ConfigError that names it. Secrets (the
Anthropic key, the admin token) are kept out of `repr` so they never reach a log line.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

DEFAULT_CLAUDE_MODEL = "claude-sonnet-5-5"  # the newest Sonnet the pinned SDK lists
DEFAULT_DAGSTER_GRAPHQL_URL = "http://127.0.0.1:3000/graphql"  # `make ui`


class ConfigError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Settings:
    anthropic_api_key: str | None = dataclasses.field(default=None, repr=False)
    anthropic_base_url: str | None = None  # None: the SDK's default (api.anthropic.com)
    claude_model: str = DEFAULT_CLAUDE_MODEL
    claude_max_tokens: int = 1024
    claude_timeout_s: float = 30.0
    claude_max_retries: int = 3
    admin_token: str | None = dataclasses.field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    rate_limit_per_minute: int = 120  # per client address, sustained
    rate_limit_burst: int = 30
    max_body_bytes: int = 64 * 1024
    products_per_answer: int = 5
    db_pool_size: int = 4
    max_in_flight_searches: int = 32
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_cache_size: int = 4096
    embedding_threads: int = 1
    embedding_gather_ms: float = 0.0
    embedding_backend: str = "onnx"
    dagster_graphql_url: str = DEFAULT_DAGSTER_GRAPHQL_URL
    acquisition_job: str = "sitemap_refresh"
    crawler_url: str | None = None  # the crawl service; None: the pipeline crawls in-process

    @property
    def claude_enabled(self) -> bool:
        return bool(self.anthropic_api_key)


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    return _number(env, name, default, minimum, maximum, int, "an integer")


def _float(env: Mapping[str, str], name: str, default: float, minimum: float, maximum: float) -> float:
    return _number(env, name, default, minimum, maximum, float, "a number")


def _number(env, name, default, minimum, maximum, parse, kind):
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be {kind}, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"environment variable {name} must be between {minimum} and {maximum}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (_text(env, name) or default).lower()
    if value not in choices:
        raise ConfigError(f"environment variable {name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _http_url(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    raw = _text(env, name)
    if raw is None:
        return default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"environment variable {name} must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = _text(env, name)
    if raw is None:
        return ()
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if origin != "*" and (parts.scheme not in ("http", "https") or not parts.netloc or parts.path):
            raise ConfigError(
                f"environment variable {name} must be a comma-separated list of origins "
                f"(scheme://host[:port]) or *, got {origin!r}")
    return origins


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    token = _text(env, "TILESHOP_ADMIN_TOKEN")
    if token is not None and len(token) < 16:
        raise ConfigError("environment variable TILESHOP_ADMIN_TOKEN must be at least 16 characters")
    model = _text(env, "TILESHOP_CLAUDE_MODEL") or DEFAULT_CLAUDE_MODEL
    if any(c.isspace() for c in model):
        raise ConfigError(f"environment variable TILESHOP_CLAUDE_MODEL must be a model id, got {model!r}")
    return Settings(
        anthropic_api_key=_text(env, "ANTHROPIC_API_KEY"),
        anthropic_base_url=_http_url(env, "ANTHROPIC_BASE_URL", None),
        claude_model=model,
        claude_max_tokens=_int(env, "TILESHOP_CLAUDE_MAX_TOKENS", 1024, 64, 8192),
        claude_timeout_s=_float(env, "TILESHOP_CLAUDE_TIMEOUT_S", 30.0, 0.1, 600.0),
        claude_max_retries=_int(env, "TILESHOP_CLAUDE_MAX_RETRIES", 3, 0, 10),
        admin_token=token,
        cors_origins=_origins(env, "TILESHOP_CORS_ORIGINS"),
        rate_limit_per_minute=_int(env, "TILESHOP_RATE_LIMIT_PER_MINUTE", 120, 1, 1_000_000),
        rate_limit_burst=_int(env, "TILESHOP_RATE_LIMIT_BURST", 30, 1, 1_000_000),
        max_body_bytes=_int(env, "TILESHOP_MAX_BODY_BYTES", 64 * 1024, 1024, 10 * 1024 * 1024),
        products_per_answer=_int(env, "TILESHOP_PRODUCTS_PER_ANSWER", 5, 1, 20),
        db_pool_size=_int(env, "TILESHOP_DB_POOL_SIZE", 4, 1, 64),
        max_in_flight_searches=_int(env, "TILESHOP_MAX_IN_FLIGHT_SEARCHES", 32, 1, 100_000),
        embedding_model=_text(env, "TILESHOP_EMBEDDING_MODEL") or "all-MiniLM-L6-v2",
        embedding_cache_size=_int(env, "TILESHOP_QUERY_CACHE_SIZE", 4096, 0, 1_000_000),
        embedding_threads=_int(env, "TILESHOP_QUERY_EMBED_THREADS", 1, 1, 64),
        embedding_gather_ms=_float(env, "TILESHOP_QUERY_EMBED_GATHER_MS", 0.0, 0.0, 100.0),
        embedding_backend=_choice(env, "TILESHOP_QUERY_EMBED_BACKEND", "onnx", ("onnx", "torch")),
        dagster_graphql_url=_http_url(env, "DAGSTER_GRAPHQL_URL", DEFAULT_DAGSTER_GRAPHQL_URL),
        acquisition_job=_text(env, "TILESHOP_ACQUISITION_JOB") or "sitemap_refresh",
        crawler_url=_http_url(env, "TILESHOP_CRAWLER_URL", None),
    )
