"""The daemon machine's Prometheus metrics: `tileshop daemon` serves them at /metrics on
METRICS_PORT (9095; fly.toml's [[metrics]] for the `daemon` process), beside its /health.

Read at each scrape (Fly scrapes every 15 s), from the one machine that runs the daemon, so a
figure is exported once whatever the number of app machines:
- Dagster (public DagsterInstance API): whether every daemon heartbeats (GET /health's verdict),
  each daemon's latest heartbeat and the errors it carried;
- the database, as the monitoring page reads it (store.monitoring, the same queries): runs by
  status (one grouped query over Dagster's runs table, as the page lists failed runs), the pages
  fetched since the latest sitemap refresh began, by result, and when the sitemap and the vectors
  were last refreshed. deploy/prometheus/alerts.yml holds the page's thresholds over these.
The database unreadable leaves its series out of that scrape (logged once, not at every scrape);
Dagster's storage unreachable fails the scrape (its client retries for longer than a scrape may
last), which the rules see as the daemon's series absent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import dagster as dg
import psycopg
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tileshop_pipelines.daemon import daemons_live
from tileshop_pipelines.serving.metrics_server import serve_metrics
from tileshop_pipelines.store import db
from tileshop_pipelines.store import monitoring as sql

log = logging.getLogger(__name__)

APPLICATION_NAME = "tileshop daemon metrics"  # its session in pg_stat_activity
# The assets whose freshness the monitoring page shows (tileshop_pipelines.freshness' windows).
FRESHNESS_ASSETS = ("sitemap_urls", "product_vectors")


class DaemonCollector(Collector):
    def __init__(self, instance: dg.DagsterInstance, database_url: str):
        self.instance = instance
        self.database_url = database_url
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()  # scrapes arrive on threads of their own; one connection
        self._failing = False

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            families = self._dagster() + self._database()
        yield from families

    def _dagster(self) -> list[Metric]:
        live = daemons_live(self.instance)
        heartbeats = self.instance.get_daemon_heartbeats()
        beats = GaugeMetricFamily(
            "tileshop_dagster_daemon_heartbeat_timestamp_seconds",
            "When each Dagster daemon last heartbeat (Unix time)",
            labels=["daemon"],
        )
        errors = GaugeMetricFamily(
            "tileshop_dagster_daemon_heartbeat_errors",
            "Errors each Dagster daemon's latest heartbeat carried",
            labels=["daemon"],
        )
        for daemon, heartbeat in sorted(heartbeats.items()):
            beats.add_metric([daemon], heartbeat.timestamp)
            errors.add_metric([daemon], len(heartbeat.errors or []))
        live_family = GaugeMetricFamily(
            "tileshop_dagster_daemons_live",
            "1 while every Dagster daemon heartbeats within the tolerance (GET /health's "
            "verdict: daemon.HEARTBEAT_TOLERANCE_S), else 0",
            value=int(live),
        )
        return [live_family, beats, errors]

    def _database(self) -> list[Metric]:
        try:
            conn = self._connection()
            runs = sql.dagster_run_counts(conn)
            scrapes = sql.last_refresh_scrapes(conn)
            updated = {
                "sitemap_urls": sql.last_sitemap_refresh(conn),
                "product_vectors": sql.dagster_last_materialization(conn, "product_vectors"),
            }
        except (psycopg.Error, OSError) as exc:
            self.close()
            self._note_failure(exc)
            return []
        self._failing = False
        families = []
        if runs is not None:  # Dagster's storage in this database (as deployed)
            by_status = GaugeMetricFamily(
                "tileshop_dagster_runs", "Dagster runs in the run storage, by status", labels=["status"]
            )
            for status in dg.DagsterRunStatus:
                by_status.add_metric([status.value], runs.get(status.value, 0))
            families.append(by_status)
        pages = GaugeMetricFamily(
            "tileshop_refresh_pages_fetched",
            "Product pages fetched since the latest sitemap refresh began, by result "
            "(succeeded: ok or gone; the monitoring page's scraping success)",
            labels=["result"],
        )
        pages.add_metric(["succeeded"], scrapes["succeeded"])
        pages.add_metric(["failed"], scrapes["fetched"] - scrapes["succeeded"])
        fresh = GaugeMetricFamily(
            "tileshop_asset_last_update_timestamp_seconds",
            "When the asset was last refreshed (Unix time): the sitemap's latest refresh "
            "began, the vectors' latest materialization; absent: never",
            labels=["asset"],
        )
        for asset in FRESHNESS_ASSETS:
            if (moment := updated[asset]) is not None:
                fresh.add_metric([asset], moment.timestamp())
        return [*families, pages, fresh]

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                db.libpq_url(self.database_url), autocommit=True, connect_timeout=5, application_name=APPLICATION_NAME
            )
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _note_failure(self, exc: Exception) -> None:
        if not self._failing:
            log.warning(
                "daemon metrics: the database could not be read (%s); its series are left out until it can",
                type(exc).__name__,
            )
        self._failing = True


class DaemonMetrics:
    """The collector on its own registry, served on `host`:`port` until `close()`; an OSError naming
    METRICS_PORT when the port cannot be bound."""

    def __init__(self, host: str, port: int, database_url: str):
        self.instance = dg.DagsterInstance.get()
        self.collector = DaemonCollector(self.instance, database_url)
        self.registry = CollectorRegistry()
        self.registry.register(self.collector)
        try:
            self.server = serve_metrics(self.registry, host, port)
        except OSError:
            self.instance.dispose()
            raise

    def close(self) -> None:
        self.server.close()
        self.collector.close()
        self.instance.dispose()
