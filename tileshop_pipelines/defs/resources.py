"""Resources: typed (the launchpad shows the choices; a bad value fails at load), built from the
validated settings (settings.py). Secrets reach them as `dg.EnvVar`, never as plain config."""

from __future__ import annotations

from contextlib import contextmanager

import dagster as dg
import numpy as np
import psycopg
from pydantic import Field

from tileshop_pipelines.crawl.fetcher import CrawlPolicy, PageFetcher
from tileshop_pipelines.crawl.transports import (DEFAULT_MAX_BODY_BYTES, BrowserTransport, HttpTransport,
                                                  ServiceTransport)
from tileshop_pipelines.embedding import model as embedding_model
from tileshop_pipelines.settings import (
    DEFAULT_DAGSTER_UI_URL,
    DEFAULT_MODEL,
    DEFAULT_SITEMAP_URL,
    DEFAULT_USER_AGENT,
    CrawlMode,
    EmbeddingBackend,
    PipelineSettings,
    VectorStoreBackend,
)
from tileshop_pipelines.store import db
from tileshop_pipelines.store.product_vectors import VectorStore, open_vector_store
from tileshop_pipelines.store.vector_tables import PRODUCT_VECTORS, VectorTable


class PostgresResource(dg.ConfigurableResource):
    """The pipeline's tables. Empty `database_url` means DATABASE_URL or the embedded server.
    The schema is migrated once per deploy or start (`tileshop db migrate`), not per connection."""

    database_url: str = ""

    @contextmanager
    def connect(self) -> psycopg.Connection:
        conn = db.connect(self.database_url or None)
        try:
            yield conn
        finally:
            conn.close()


class CatalogSiteResource(dg.ConfigurableResource):
    sitemap_url: str = Field(default=DEFAULT_SITEMAP_URL, min_length=1)
    user_agent: str = Field(default=DEFAULT_USER_AGENT, min_length=1)


class CrawlerResource(dg.ConfigurableResource):
    """Product page crawling with crawl4ai, politely (see crawl/fetcher.py).

    mode: `http` (crawl4ai's AsyncHTTPCrawlerStrategy, the default), `browser` (crawl4ai driving
    the system Chromium), `service` (the crawler/ app at `service_url`, bearer `service_token`).
    The defaults are CrawlPolicy's: tileshop.com's politeness (crawl/politeness.py).
    """

    mode: CrawlMode = "http"
    user_agent: str = Field(default=DEFAULT_USER_AGENT, min_length=1)
    requests_per_second: float = Field(default=CrawlPolicy.requests_per_second, ge=0,
                                       description="per host; 0 turns the limit off")
    concurrency: int = Field(default=CrawlPolicy.concurrency_per_host, ge=1, le=256,
                             description="concurrent requests per host")
    timeout_s: float = Field(default=CrawlPolicy.timeout_s, gt=0, le=600)
    max_attempts: int = Field(default=CrawlPolicy.max_attempts, ge=1, le=20)
    backoff_base_s: float = Field(default=CrawlPolicy.backoff_base_s, ge=0)
    backoff_max_s: float = Field(default=CrawlPolicy.backoff_max_s, ge=0)
    max_retry_after_s: float = Field(default=CrawlPolicy.max_retry_after_s, ge=0)
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    breaker_window: int = Field(default=CrawlPolicy.breaker_window, ge=1)
    breaker_failure_ratio: float = Field(default=CrawlPolicy.breaker_failure_ratio, gt=0, le=1)
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

    def crawler(self) -> PageFetcher:
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
        return PageFetcher(transport, self.policy())


class EmbedderResource(dg.ConfigurableResource):
    """The sentence-transformers model, offline. Batch 32 with 2 torch threads was fastest on the
    2-core development machine. `onnx` runs the same model exported to ONNX Runtime
    (embedding.onnx_encoder); its vectors carry their own model id, so switching re-embeds."""

    model_name: str = Field(default=DEFAULT_MODEL, min_length=1)
    batch_size: int = Field(default=32, ge=1, le=4096)
    device: str = "cpu"
    backend: EmbeddingBackend = "torch"
    torch_threads: int = Field(default=0, ge=0, le=256, description="0: torch's default")

    @property
    def model_id(self) -> str:
        return embedding_model.model_id(self.model_name, self.backend)

    @property
    def dimension(self) -> int:
        return embedding_model.model_dimension(self.model_name)

    def embed(self, texts: list[str]):
        embedding_model.set_torch_threads(self.torch_threads)
        if self.backend == "onnx":
            from tileshop_pipelines.bootstrap import onnx_folder
            from tileshop_pipelines.embedding.onnx_encoder import shared_onnx_encoder

            if not texts:
                return np.zeros((0, self.dimension), dtype=np.float32)
            encoder = shared_onnx_encoder(self.model_name, onnx_folder(), self.torch_threads or 2)
            # Batches of similar lengths (as sentence-transformers sorts them): a batch is padded
            # to its longest text, so mixed lengths spend most of the work on padding.
            order = np.argsort([len(t) for t in texts], kind="stable")
            vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
            for i in range(0, len(texts), self.batch_size):
                rows = order[i:i + self.batch_size]
                vectors[rows] = encoder.encode([texts[j] for j in rows])
            return vectors
        model = embedding_model.load_model(self.model_name, self.device)
        return embedding_model.embed_texts(model, texts, batch_size=self.batch_size)

    def word_piece_spans(self):
        return embedding_model.word_piece_spans(self.model_name)


class VectorStoreResource(dg.ConfigurableResource):
    """Where product_vectors and document_vectors are served from: `postgres` (beside the
    pipeline's tables) or `supabase` (its REST API at `supabase_url`, with the service-role key)."""

    backend: VectorStoreBackend = "postgres"
    supabase_url: str = ""
    supabase_service_role_key: str = ""

    def open(self, conn: psycopg.Connection, table: VectorTable = PRODUCT_VECTORS) -> VectorStore:
        return open_vector_store(self.backend, conn, self.supabase_url, self.supabase_service_role_key, table)


class AlertsResource(dg.ConfigurableResource):
    """Where alerts go (alerts.py): a Slack-compatible webhook (empty: logged only) and the
    Dagster UI their links point into."""

    webhook_url: str = ""
    dagster_ui_url: str = Field(default=DEFAULT_DAGSTER_UI_URL, min_length=1)

    def sender(self):
        from tileshop_pipelines.alerts import WebhookSender

        return WebhookSender(self.webhook_url or None)


def _secret(name: str, value) -> dg.EnvVar | str:
    """The variable as an EnvVar when set: resolved in the run, never shown in its config."""
    return dg.EnvVar(name) if value is not None else ""


def build_resources(settings: PipelineSettings) -> dict:
    return {
        # The URL stays out of the resource config (it may hold a password): resolved at connect time.
        "postgres": PostgresResource(),
        "site": CatalogSiteResource(sitemap_url=settings.sitemap_url, user_agent=settings.user_agent),
        "crawler": CrawlerResource(
            mode=settings.crawl_mode,
            user_agent=settings.user_agent,
            requests_per_second=settings.crawl_rate,
            concurrency=settings.crawl_concurrency,
            service_url=settings.crawler_url or "",
            service_token=_secret("CRAWLER_TOKEN", settings.crawler_token),
            chromium_path=settings.chromium_path,
        ),
        "embedder": EmbedderResource(
            model_name=settings.embedding_model,
            batch_size=settings.embedding_batch_size,
            device=settings.embedding_device,
            backend=settings.embedding_backend,
            torch_threads=settings.torch_threads,
        ),
        "alerts": AlertsResource(webhook_url=_secret("TILESHOP_ALERT_WEBHOOK_URL", settings.alert_webhook_url),
                                 dagster_ui_url=settings.dagster_ui_url),
        "vector_store": VectorStoreResource(
            backend=settings.vector_store,
            supabase_url=settings.supabase_url,
            supabase_service_role_key=_secret("SUPABASE_SERVICE_KEY", settings.supabase_service_key),
        ),
    }
