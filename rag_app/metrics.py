"""Prometheus metrics of one app instance (its own registry, so several apps can share a process),
served by `python -m rag_app` on METRICS_PORT (serving.metrics_server), never on the app's port.

Besides the request, retrieval, answer and LLM series: the process (CPU, memory, open files) and
the garbage collector, the connection pool (psycopg_pool's get_stats at each scrape), the admission
gate's searches in flight, and the query encoder's batches. Names follow Prometheus' conventions:
base units (`_seconds`), `_total` on counters, what is counted named (`_questions`, `_connections`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, GCCollector, Histogram, PlatformCollector, ProcessCollector
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from rag_app.security import UNLIMITED_PATHS, client_address

# The monitoring page's latency thresholds (rag_app.monitoring: 100 ms, 3 s) are bounds, so the
# alert rules' p95s (deploy/prometheus/alerts.yml) never straddle a bucket.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0, 10.0, 30.0)
# The method label's values: any other method name (h11 accepts any token, kilobytes long) is OTHER,
# so a client cannot add label values, nor monitoring rollup keys, by inventing methods.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32)  # the encoder's batches hold at most query_embedding.MAX_BATCH (32)
# psycopg_pool's get_stats counters (since the pool opened) -> our names (`_total` is added on exposition).
POOL_COUNTERS = {
    "requests_num": ("tileshop_db_pool_requests", "connection requests"),
    "requests_queued": ("tileshop_db_pool_requests_queued", "connection requests that had to wait"),
    "requests_errors": ("tileshop_db_pool_requests_failed", "connection requests that failed (timeout)"),
    "connections_num": ("tileshop_db_pool_connections_opened", "connections opened"),
    "connections_errors": ("tileshop_db_pool_connection_errors", "connection attempts that failed"),
    "connections_lost": ("tileshop_db_pool_connections_lost", "connections found broken at checkout"),
    "returns_bad": ("tileshop_db_pool_connections_returned_bad", "connections returned broken"),
}


class ServiceCollector(Collector):
    """The pool's stats and the admission gate's count, read at each scrape from the services the
    app's lifespan started (nothing before they exist)."""

    def __init__(self) -> None:
        self.pool_stats: Callable[[], dict] | None = None
        self.in_flight: Callable[[], int] | None = None
        self.in_flight_limit = 0

    def collect(self) -> Iterator[Metric]:
        if self.pool_stats is not None:
            stats = self.pool_stats()
            open_, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
            connections = GaugeMetricFamily(
                "tileshop_db_pool_connections",
                "Database pool: connections open, by state (idle, in_use: handed out)",
                labels=["state"],
            )
            connections.add_metric(["idle"], idle)
            connections.add_metric(["in_use"], open_ - idle)
            yield connections
            yield GaugeMetricFamily(
                "tileshop_db_pool_max_connections",
                "Database pool: its connection limit",
                value=stats.get("pool_max", 0),
            )
            yield GaugeMetricFamily(
                "tileshop_db_pool_requests_waiting",
                "Database pool: requests waiting for a connection now",
                value=stats.get("requests_waiting", 0),
            )
            for key, (name, text) in POOL_COUNTERS.items():
                yield CounterMetricFamily(name, f"Database pool: {text}", value=stats.get(key, 0))
            yield CounterMetricFamily(
                "tileshop_db_pool_request_wait_seconds",
                "Database pool: time requests waited for a connection",
                value=stats.get("requests_wait_ms", 0) / 1000,
            )
        if self.in_flight is not None:
            yield GaugeMetricFamily(
                "tileshop_searches_in_flight", "Searches admitted and not finished", value=self.in_flight()
            )
            yield GaugeMetricFamily(
                "tileshop_searches_in_flight_limit",
                "Searches admitted at once (TILESHOP_MAX_IN_FLIGHT_SEARCHES)",
                value=self.in_flight_limit,
            )


class AppMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tileshop_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "tileshop_http_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.retrieval_seconds = Histogram(
            "tileshop_retrieval_duration_seconds",
            "Retrieval latency (SKU lookup, filters, vector search, records)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.embedding_seconds = Histogram(
            "tileshop_query_embedding_duration_seconds",
            "Query embedding latency, queueing included",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.embedding_lookups = Counter(
            "tileshop_query_embedding_lookups_total",
            "Query vectors by where they came from (local cache, shared cache, model)",
            ["source"],
            registry=self.registry,
        )
        self.llm_calls = Counter(
            "tileshop_llm_calls_total",
            "Claude calls by outcome (ok, error, cancelled: the client went away; "
            "at_capacity: TILESHOP_CLAUDE_MAX_CONCURRENT calls were running, not made)",
            ["outcome"],
            registry=self.registry,
        )
        self.llm_errors = Counter(
            "tileshop_llm_errors_total", "Claude failures after retries, by kind", ["kind"], registry=self.registry
        )
        self.llm_seconds = Histogram(
            "tileshop_llm_call_duration_seconds",
            "Claude call latency (retries included)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.tool_calls = Counter(
            "tileshop_tool_calls_total",
            "Claude's tool calls by tool and outcome (ok, error)",
            ["tool", "outcome"],
            registry=self.registry,
        )
        self.tool_seconds = Histogram(
            "tileshop_tool_call_duration_seconds",
            "One tool call's server-side time (validation, SQL)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # Its _count is the answers per mode (the monitoring page's p95 "Chat answer" check reads the same time)
        self.answer_seconds = Histogram(
            "tileshop_answer_duration_seconds",
            "A chat answer's time from the question to the whole answer, by mode (claude, offline)",
            ["mode"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "tileshop_requests_rate_limited_total", "Requests refused by the rate limiter", registry=self.registry
        )
        self.redis_fallbacks = Counter(
            "tileshop_redis_fallbacks_total",
            "Requests Redis could not serve, by use (rate_limit: this process's own "
            "limit decided; embedding_cache: embedded here) and reason",
            ["use", "reason"],
            registry=self.registry,
        )
        self.shed = Counter(
            "tileshop_requests_shed_total",
            "Requests refused with 503 because the searches in flight were at their limit",
            registry=self.registry,
        )
        self.embedding_batch_size = Histogram(
            "tileshop_query_embedding_batch_questions",
            "Questions per query-encoder call (concurrent questions share one)",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        ProcessCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.services = ServiceCollector()
        self.registry.register(self.services)

    def watch(self, pool_stats: Callable[[], dict], in_flight: Callable[[], int], in_flight_limit: int) -> None:
        """Report the started services at each scrape (the app's lifespan calls this)."""
        self.services.pool_stats = pool_stats
        self.services.in_flight = in_flight
        self.services.in_flight_limit = in_flight_limit

    def redis_fallback(self, use: str, reason: str) -> None:
        """shared_state's callback: Redis could not answer for `use`."""
        self.redis_fallbacks.labels(use, reason).inc()


def method_label(method: str) -> str:
    """The request's method as a label: one of METHODS, else OTHER."""
    return method if method in METHODS else OTHER_METHOD


def route_label(scope) -> str:
    """The matched route's template (the app's routes: a closed set), /static for the static files,
    else `unmatched` (never the raw path, whose SKUs, typos and probes are unbounded)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is not None:
        return template
    return "/static" if scope["path"].startswith("/static/") else "unmatched"


class MetricsMiddleware:
    """Counts and times every HTTP request under its method and route template, both from closed
    sets (method_label, route_label); with a `recorder` (rag_app.monitoring),
    also for the monitoring page, with the client's address on the shoppers' routes."""

    def __init__(self, app, metrics: AppMetrics, recorder=None, behind_fly_proxy: bool = False):
        self.app = app
        self.metrics = metrics
        self.recorder = recorder
        self.behind_fly_proxy = behind_fly_proxy

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def recording_send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            template = route_label(scope)
            method = method_label(scope["method"])
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.request_seconds.labels(method, template).observe(elapsed)
            if self.recorder is not None and scope["path"] not in UNLIMITED_PATHS:  # not liveness probes
                shopper = "shoppers" in getattr(route, "tags", ())
                self.recorder.request(
                    method, template, status, elapsed, client_address(scope, self.behind_fly_proxy) if shopper else None
                )
