"""Resources, configured from the environment (see README, "Configuration")."""

from __future__ import annotations

import os
from contextlib import contextmanager

import dagster as dg
import numpy as np
import psycopg

from tileshop_pipelines.crawl.crawler import DEFAULT_USER_AGENT, CrawlPolicy, PageCrawler
from tileshop_pipelines.crawl.transports import BrowserTransport, HttpTransport, ServiceTransport
from tileshop_pipelines.embedding import model as embedding_model
from tileshop_pipelines.embedding.model import DEFAULT_MODEL
from tileshop_pipelines.store import db
from tileshop_pipelines.store.migrations import migrate
from tileshop_pipelines.store.product_vectors import VectorStore, open_vector_store

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


CRAWL_MODES = ("http", "browser", "service")


class CrawlerResource(dg.ConfigurableResource):
    """Product page crawling with crawl4ai, politely (see crawl/crawler.py).

    mode: `http` (crawl4ai's AsyncHTTPCrawlerStrategy, the default), `browser` (crawl4ai driving
    the system Chromium), `service` (the crawler/ app at `service_url`, bearer `service_token`).
    The defaults are tileshop.com's politeness: 2 requests/s and 4 concurrent requests per host.
    """

    mode: str = "http"
    user_agent: str = DEFAULT_USER_AGENT
    requests_per_second: float = 2.0
    concurrency: int = 4
    timeout_s: float = 30.0
    max_attempts: int = 4
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_retry_after_s: float = 300.0
    max_body_bytes: int = 5 * 1024 * 1024
    breaker_window: int = 20
    breaker_failure_ratio: float = 0.8
    service_url: str = ""
    service_token: str = ""
    chromium_path: str = ""

    def policy(self) -> CrawlPolicy:
        return CrawlPolicy(
            user_agent=self.user_agent, requests_per_second=self.requests_per_second,
            concurrency_per_host=self.concurrency, timeout_s=self.timeout_s, max_attempts=self.max_attempts,
            backoff_base_s=self.backoff_base_s, backoff_max_s=self.backoff_max_s,
            max_retry_after_s=self.max_retry_after_s, breaker_window=self.breaker_window,
            breaker_failure_ratio=self.breaker_failure_ratio,
        )

    def crawler(self) -> PageCrawler:
        if self.mode not in CRAWL_MODES:
            raise ValueError(f"crawler mode must be one of {', '.join(CRAWL_MODES)}; got {self.mode!r}")
        if self.mode == "http":
            def transport():
                return HttpTransport(user_agent=self.user_agent, max_connections=self.concurrency,
                                     timeout_s=self.timeout_s, max_body_bytes=self.max_body_bytes)
        elif self.mode == "browser":
            def transport():
                return BrowserTransport(user_agent=self.user_agent, timeout_s=self.timeout_s,
                                        executable=self.chromium_path, max_body_bytes=self.max_body_bytes)
        else:
            def transport():
                return ServiceTransport(service_url=self.service_url, token=self.service_token,
                                        user_agent=self.user_agent, timeout_s=self.timeout_s,
                                        max_body_bytes=self.max_body_bytes)
        return PageCrawler(transport, self.policy())


class EmbedderResource(dg.ConfigurableResource):
    """The sentence-transformers model, offline. Batch 32 with 2 torch threads was fastest on the
    2-core development machine. `onnx` runs the same model exported to ONNX Runtime
    (embedding.onnx_encoder); its vectors carry their own model id, so switching re-embeds."""

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
        if embedding_model.check_backend(self.backend) == "onnx":
            from tileshop_pipelines.embedding.onnx_encoder import shared_onnx_encoder

            if not texts:
                return np.zeros((0, self.dimension), dtype=np.float32)
            encoder = shared_onnx_encoder(self.model_name, db.tileshop_home() / "onnx", self.torch_threads or 2)
            return np.concatenate([encoder.encode(texts[i:i + self.batch_size])
                                   for i in range(0, len(texts), self.batch_size)])
        model = embedding_model.load_model(self.model_name, self.device)
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


def env_int(name: str, default: int) -> int:
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


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be a number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"environment variable {name} must be >= 0, got {value}")
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
            mode=_env("TILESHOP_CRAWL_MODE", "http"),
            user_agent=_env("TILESHOP_USER_AGENT", DEFAULT_USER_AGENT),
            requests_per_second=_env_float("TILESHOP_CRAWL_RATE", 2.0),
            concurrency=env_int("TILESHOP_CRAWL_CONCURRENCY", 4),
            service_url=_env("CRAWLER_URL", ""),
            # The token stays an EnvVar: resolved at run time, never shown in the run's config.
            service_token=dg.EnvVar("CRAWLER_TOKEN") if os.environ.get("CRAWLER_TOKEN") else "",
            chromium_path=_env("TILESHOP_CHROMIUM", ""),
        ),
        "embedder": EmbedderResource(
            model_name=_env("TILESHOP_EMBEDDING_MODEL", DEFAULT_MODEL),
            batch_size=env_int("TILESHOP_EMBEDDING_BATCH_SIZE", 32),
            device=_env("TILESHOP_EMBEDDING_DEVICE", "cpu"),
            backend=_env("TILESHOP_EMBEDDING_BACKEND", "torch"),
            torch_threads=env_int("TILESHOP_TORCH_THREADS", 0),
        ),
        "vector_store": VectorStoreResource(backend=_env("TILESHOP_VECTOR_STORE", "postgres")),
    }
