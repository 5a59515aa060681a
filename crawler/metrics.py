"""Prometheus metrics of the crawl service (its own registry), served by `python -m crawler` on
METRICS_PORT (tileshop_pipelines.serving.metrics_server), never on the service's port.

Per URL of a /crawl request: its result and how long its fetch took, by mode; the /crawl requests
being answered; the process (CPU, memory, open files) and the garbage collector. Every label value
comes from a closed set, whatever a page or a caller sends.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

# RawResponse.error_kind's values (tileshop_pipelines.crawl.responses): no usable answer arrived.
ERROR_KINDS = frozenset({"timeout", "connection", "too_large", "content_type", "charset", "refused"})
# One URL: a cached 304 takes milliseconds, a slow page in browser mode up to CRAWLER_TIMEOUT_S (30 s).
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def result_label(status_code: int | None, error_kind: str | None) -> str:
    """The error kind when no usable answer arrived, else the status class (2xx, 3xx, 4xx, 5xx)."""
    if error_kind is not None:
        return error_kind if error_kind in ERROR_KINDS else "other_error"
    if status_code is not None and 100 <= status_code < 600:
        return f"{status_code // 100}xx"
    return "other_status"


class CrawlerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.pages = Counter(
            "tileshop_crawler_pages_total",
            "URLs of /crawl requests by mode (http, browser) and result: the status class (2xx; "
            "3xx, a 304 included) or, when no usable answer arrived, the error kind (timeout, "
            "connection, too_large, content_type, charset, refused)",
            ["mode", "result"],
            registry=self.registry,
        )
        self.fetch_seconds = Histogram(
            "tileshop_crawler_page_fetch_duration_seconds",
            "One URL's fetch by mode (its wait for one of CRAWLER_CONCURRENCY slots excluded)",
            ["mode"],
            buckets=FETCH_BUCKETS,
            registry=self.registry,
        )
        self.crawls_in_flight = Gauge(
            "tileshop_crawler_crawl_requests_in_flight", "/crawl requests being answered", registry=self.registry
        )
        ProcessCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)

    def page(self, mode: str, status_code: int | None, error_kind: str | None, seconds: float | None) -> None:
        """One URL answered; `seconds` None when it was refused before any fetch."""
        self.pages.labels(mode, result_label(status_code, error_kind)).inc()
        if seconds is not None:
            self.fetch_seconds.labels(mode).observe(seconds)
