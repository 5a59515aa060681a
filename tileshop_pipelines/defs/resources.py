"""Resources, configured from the environment (see README, "Configuration")."""

from __future__ import annotations

import os
from contextlib import contextmanager

import dagster as dg
import psycopg

from tileshop_pipelines.crawl.fetcher import DEFAULT_USER_AGENT, PageFetcher
from tileshop_pipelines.embedding import model as embedding_model
from tileshop_pipelines.embedding.model import DEFAULT_MODEL
from tileshop_pipelines.store import db
from tileshop_pipelines.store.migrations import migrate
from tileshop_pipelines.store.vector_store import VectorStore, open_vector_store

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
    """The sentence-transformers model, offline. Batch 32 with 2 torch threads was fastest on the
    2-core development machine; `onnx` needs the optional sentence-transformers[onnx] extra."""

    model_name: str = DEFAULT_MODEL
    batch_size: int = 32
    device: str = "cpu"
    backend: str = "torch"
    torch_threads: int = 0  # 0: torch's default

    @property
    def model_id(self) -> str:
        return embedding_model.model_id(self.model_name, self.backend)

    @property
    def dimension(self) -> int:
        return embedding_model.model_dimension(self.model_name)

    def embed(self, texts: list[str]):
        embedding_model.set_torch_threads(self.torch_threads)
        model = embedding_model.load_model(self.model_name, self.device, self.backend)
        return embedding_model.embed_texts(model, texts, batch_size=self.batch_size)

    def word_piece_spans(self):
        return embedding_model.word_piece_spans(self.model_name)


class VectorStoreResource(dg.ConfigurableResource):
    """Where product_vectors is served from: `postgres` (beside the pipeline's tables) or
    `supabase` (SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY, read at open time: the key is a secret)."""

    backend: str = "postgres"

    def open(self, conn: psycopg.Connection) -> VectorStore:
        return open_vector_store(self.backend, conn, os.environ.get("SUPABASE_URL", ""),
                                 os.environ.get("SUPABASE_SERVICE_ROLE_KEY", ""))


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
            device=_env("TILESHOP_EMBEDDING_DEVICE", "cpu"),
            backend=_env("TILESHOP_EMBEDDING_BACKEND", "torch"),
            torch_threads=_env_int("TILESHOP_TORCH_THREADS", 0),
        ),
        "vector_store": VectorStoreResource(backend=_env("TILESHOP_VECTOR_STORE", "postgres")),
    }
