"""Resources, configured from the environment (see README, "Configuration")."""

from __future__ import annotations

import os
from contextlib import contextmanager

import dagster as dg
import psycopg

from tileshop_pipelines.crawl.fetcher import DEFAULT_USER_AGENT, PageFetcher
from tileshop_pipelines.embedding.model import DEFAULT_MODEL, embed_texts, load_model
from tileshop_pipelines.store import db
from tileshop_pipelines.store.migrations import migrate

DEFAULT_SITEMAP_URL = "https://www.tileshop.com/sitemap.xml"


class PostgresResource(dg.ConfigurableResource):
    """The pipeline's tables. Empty `database_url` means DATABASE_URL or the embedded server."""

    database_url: str = ""

    @contextmanager
    def connect(self) -> psycopg.Connection:
        conn = db.connect(self.database_url or None)
        try:
            migrate(conn)
            yield conn
        finally:
            conn.close()


class CatalogSiteResource(dg.ConfigurableResource):
    sitemap_url: str = DEFAULT_SITEMAP_URL
    user_agent: str = DEFAULT_USER_AGENT


class CrawlerResource(dg.ConfigurableResource):
    """Product page fetching with crawl4ai (`AsyncHTTPCrawlerStrategy`)."""

    user_agent: str = DEFAULT_USER_AGENT
    concurrency: int = 8
    timeout_s: float = 30.0

    def fetcher(self) -> PageFetcher:
        return PageFetcher(user_agent=self.user_agent, concurrency=self.concurrency, timeout_s=self.timeout_s)


class EmbedderResource(dg.ConfigurableResource):
    model_name: str = DEFAULT_MODEL
    batch_size: int = 32
    device: str = "cpu"

    def embed(self, texts: list[str]):
        return embed_texts(load_model(self.model_name, self.device), texts, batch_size=self.batch_size)


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"environment variable {name} must be >= 1, got {value}")
    return value


def build_resources() -> dict:
    return {
        # The URL stays out of the resource config (it may hold a password): resolved at connect time.
        "postgres": PostgresResource(),
        "site": CatalogSiteResource(
            sitemap_url=_env("TILESHOP_SITEMAP_URL", DEFAULT_SITEMAP_URL),
            user_agent=_env("TILESHOP_USER_AGENT", DEFAULT_USER_AGENT),
        ),
        "crawler": CrawlerResource(
            user_agent=_env("TILESHOP_USER_AGENT", DEFAULT_USER_AGENT),
            concurrency=_env_int("TILESHOP_CRAWL_CONCURRENCY", 8),
        ),
        "embedder": EmbedderResource(
            model_name=_env("TILESHOP_EMBEDDING_MODEL", DEFAULT_MODEL),
            batch_size=_env_int("TILESHOP_EMBEDDING_BATCH_SIZE", 32),
        ),
    }
