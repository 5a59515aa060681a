"""Resources: typed (the launchpad shows the choices; a bad value fails at load), built from the
validated settings (settings.py). Secrets reach them as `dg.EnvVar`, never as plain config."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import numpy as np
import psycopg
from pydantic import Field

from tileshop_pipelines.acquisition.documents import DocumentPolicy
from tileshop_pipelines.bootstrap import BucketSettings, bucket_settings
from tileshop_pipelines.crawl.addresses import FetchGuard, parse_networks
from tileshop_pipelines.crawl.fetcher import CrawlPolicy, PageFetcher
from tileshop_pipelines.crawl.responses import DEFAULT_MAX_BODY_BYTES, PDF
from tileshop_pipelines.crawl.transports import BrowserTransport, HttpTransport, ServiceTransport
from tileshop_pipelines.embedding import model as embedding_model
from tileshop_pipelines.pdf.extract import Limits
from tileshop_pipelines.pdf.pool import ParserPool
from tileshop_pipelines.settings import (
    DEFAULT_DAGSTER_UI_URL,
    DEFAULT_DOCUMENT_HOSTS,
    DEFAULT_MAX_AGE_DAYS,
    DEFAULT_MODEL,
    DEFAULT_SITEMAP_URL,
    DEFAULT_USER_AGENT,
    CrawlMode,
    EmbeddingBackend,
    PipelineSettings,
    VectorStoreBackend,
    load_settings,
)
from tileshop_pipelines.store import db
from tileshop_pipelines.store.product_vectors import VectorStore, open_vector_store
from tileshop_pipelines.store.vector_tables import PRODUCT_VECTORS, VectorTable
from tileshop_pipelines.transfer.bucket import Bucket


class PostgresResource(dg.ConfigurableResource):
    """The pipeline's tables. Empty `database_url` means DATABASE_URL or the embedded server.
    The schema is migrated once per deploy or start (`tileshop db migrate`), not per connection."""

    database_url: str = ""

    def url(self) -> str:
        return self.database_url or db.database_url()

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
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
    requests_per_second: float = Field(
        default=CrawlPolicy.requests_per_second, ge=0, description="per host; 0 turns the limit off"
    )
    concurrency: int = Field(
        default=CrawlPolicy.concurrency_per_host, ge=1, le=256, description="concurrent requests per host"
    )
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
            user_agent=self.user_agent,
            requests_per_second=self.requests_per_second,
            concurrency_per_host=self.concurrency,
            timeout_s=self.timeout_s,
            max_attempts=self.max_attempts,
            backoff_base_s=self.backoff_base_s,
            backoff_max_s=self.backoff_max_s,
            max_retry_after_s=self.max_retry_after_s,
            breaker_window=self.breaker_window,
            breaker_failure_ratio=self.breaker_failure_ratio,
        )

    def crawler(self) -> PageFetcher:
        if self.mode == "http":

            def transport():
                return HttpTransport(
                    user_agent=self.user_agent,
                    max_connections=self.concurrency,
                    timeout_s=self.timeout_s,
                    max_body_bytes=self.max_body_bytes,
                )
        elif self.mode == "browser":

            def transport():
                return BrowserTransport(
                    user_agent=self.user_agent,
                    timeout_s=self.timeout_s,
                    executable=self.chromium_path,
                    max_body_bytes=self.max_body_bytes,
                )
        else:

            def transport():
                return ServiceTransport(
                    service_url=self.service_url,
                    token=self.service_token,
                    user_agent=self.user_agent,
                    timeout_s=self.timeout_s,
                    max_body_bytes=self.max_body_bytes,
                )

        return PageFetcher(transport, self.policy())

    def document_fetcher(self, documents: DocumentsResource) -> PageFetcher:
        """The same politeness and retries for documents: PDFs accepted as bytes, within the
        documents' size and time bounds, every hop (redirects too) on the documents' allow-list.
        The browser mode fetches them over HTTP (a PDF needs no JavaScript); the service mode asks
        the crawl service for kind "pdf" (its CRAWLER_ALLOWED_HOSTS must list the document hosts)."""
        timeout_s, max_bytes = documents.fetch_timeout_s, documents.max_bytes
        policy = dataclasses.replace(self.policy(), timeout_s=timeout_s)
        if self.mode == "service":

            def transport():
                return ServiceTransport(
                    service_url=self.service_url,
                    token=self.service_token,
                    user_agent=self.user_agent,
                    timeout_s=timeout_s,
                    max_body_bytes=max_bytes,
                    expected=PDF,
                )
        else:
            # The hosts are the guard; addresses are not (the pipeline's page crawl checks none
            # either, and the local CDN stand-in is on loopback). Metadata addresses stay refused.
            guard = FetchGuard(allowed_hosts=frozenset(documents.hosts), permitted=ANY_ADDRESS)

            def transport():
                return HttpTransport(
                    user_agent=self.user_agent,
                    max_connections=self.concurrency,
                    timeout_s=timeout_s,
                    max_body_bytes=max_bytes,
                    guard=guard,
                    expected=PDF,
                )

        return PageFetcher(transport, policy)


ANY_ADDRESS = parse_networks(["0.0.0.0/0", "::/0"])


def _document_default(field: str):
    """The default of the PipelineSettings field `field`: the variable's default is the resource's."""
    return PipelineSettings.model_fields[field].default


class DocumentsResource(dg.ConfigurableResource):
    """The documents' allow-list and the bounds of one document's fetch and read (settings.py's
    TILESHOP_DOCUMENT_* variables, whose defaults these are; acquisition/documents.py, pdf/)."""

    hosts: list[str] = Field(
        default=list(DEFAULT_DOCUMENT_HOSTS),
        min_length=1,
        description="hosts documents may be fetched from (redirects too)",
    )
    max_bytes: int = Field(default=_document_default("document_max_bytes"), ge=1024)
    fetch_timeout_s: float = Field(
        default=_document_default("document_fetch_timeout_s"), gt=0, description="one request, body included"
    )
    max_pages: int = Field(default=_document_default("document_max_pages"), ge=1)
    max_text_chars: int = Field(default=_document_default("document_max_text_chars"), ge=1000)
    max_stream_bytes: int = Field(
        default=_document_default("document_max_stream_bytes"),
        ge=64 * 1024,
        description="bytes one PDF stream may decode to",
    )
    parse_timeout_s: float = Field(default=_document_default("document_parse_timeout_s"), gt=0)
    parse_memory_mb: int = Field(
        default=_document_default("document_parse_memory_mb"), ge=128, description="address space of a parse worker"
    )
    parse_workers: int = Field(default=_document_default("document_parse_workers"), ge=1, le=64)
    max_age_days: float = Field(
        default=DEFAULT_MAX_AGE_DAYS,
        gt=0,
        description="a document checked longer ago is checked again (conditional GET)",
    )

    def policy(self, force: bool = False) -> DocumentPolicy:
        return DocumentPolicy(frozenset(self.hosts), dt.timedelta(days=self.max_age_days), force)

    def parser_pool(self) -> ParserPool:
        return ParserPool(
            Limits(self.max_pages, self.max_text_chars, self.max_stream_bytes),
            workers=self.parse_workers,
            timeout_s=self.parse_timeout_s,
            memory_mb=self.parse_memory_mb,
        )


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
                rows = order[i : i + self.batch_size]
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


class BackupBucketResource(dg.ConfigurableResource):
    """Where the database backups go (transfer/backups.py): a bucket at its S3 endpoint (empty
    `bucket`: none configured, and a backup fails saying so), the folder of it that holds them, and
    how many days of backups retention keeps."""

    bucket: str = ""
    endpoint_url: str = ""
    region: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""
    prefix: str = Field(default="backups/", min_length=1)
    keep_days: int = Field(default=14, ge=1, le=3650)

    def open(self) -> Bucket:
        settings = BucketSettings.load(
            {},
            bucket_name=self.bucket,
            endpoint_url=self.endpoint_url or None,
            region=self.region,
            access_key_id=self.access_key_id or None,
            secret_access_key=self.secret_access_key or None,
        )
        return Bucket.configured(settings)


def _secret(name: str, value) -> dg.EnvVar | str:
    """The variable as an EnvVar when set: resolved in the run, never shown in its config."""
    return dg.EnvVar(name) if value is not None else ""


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(load_settings()))


def build_resources(settings: PipelineSettings, bucket: BucketSettings | None = None) -> dict:
    bucket = bucket or bucket_settings()
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
        "documents": DocumentsResource(
            hosts=list(settings.document_hosts),
            max_bytes=settings.document_max_bytes,
            fetch_timeout_s=settings.document_fetch_timeout_s,
            max_pages=settings.document_max_pages,
            max_text_chars=settings.document_max_text_chars,
            max_stream_bytes=settings.document_max_stream_bytes,
            parse_timeout_s=settings.document_parse_timeout_s,
            parse_memory_mb=settings.document_parse_memory_mb,
            parse_workers=settings.document_parse_workers,
            max_age_days=settings.max_age_days,
        ),
        "embedder": EmbedderResource(
            model_name=settings.embedding_model,
            batch_size=settings.embedding_batch_size,
            device=settings.embedding_device,
            backend=settings.embedding_backend,
            torch_threads=settings.torch_threads,
        ),
        "alerts": AlertsResource(
            webhook_url=_secret("TILESHOP_ALERT_WEBHOOK_URL", settings.alert_webhook_url),
            dagster_ui_url=settings.dagster_ui_url,
        ),
        "vector_store": VectorStoreResource(
            backend=settings.vector_store,
            supabase_url=settings.supabase_url,
            supabase_service_role_key=_secret("SUPABASE_SERVICE_KEY", settings.supabase_service_key),
        ),
        "backups": BackupBucketResource(
            bucket=bucket.bucket_name,
            endpoint_url=bucket.endpoint_url or "",
            region=bucket.region,
            access_key_id=_secret("AWS_ACCESS_KEY_ID", bucket.access_key_id),
            secret_access_key=_secret("AWS_SECRET_ACCESS_KEY", bucket.secret_access_key),
            prefix=settings.backup_prefix,
            keep_days=settings.backup_keep_days,
        ),
    }
