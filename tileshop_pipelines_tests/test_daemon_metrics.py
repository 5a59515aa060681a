"""The daemon's metrics as a scrape reads them: the daemons' liveness from the instance; runs by
status, the refresh's pages and the assets' freshness from the same queries as the monitoring page;
a database that cannot be read leaving its series out (logged once). The whole process, scraped by
a real Prometheus: deploy/test_prometheus.py."""

from __future__ import annotations

import logging
import uuid

import dagster as dg
from prometheus_client import CollectorRegistry

from tileshop_pipelines.crawl.checks import Outcome, PageCheck
from tileshop_pipelines.daemon_metrics import DaemonCollector
from tileshop_pipelines.store import db
from tileshop_pipelines.store import monitoring as sql
from tileshop_pipelines.store.acquisition import ListedUrl, record_page_checks, record_sitemap

from .support.metric_names import naming_problems
from .support.ports import free_port
from .support.sample_site import environment, tileshop_environment


def samples(collector: DaemonCollector) -> dict[tuple, float]:
    """{(name, labels...): value} of one scrape."""
    return {(s.name, *s.labels.values()): s.value for family in collector.collect() for s in family.samples}


def test_a_scrape_reads_runs_liveness_and_the_monitoring_pages_figures(make_database, tmp_path):
    """The project's instance (Dagster's storage in Postgres beside our tables) with no daemon running."""
    with environment({}):
        url = tileshop_environment(make_database(), tmp_path)["DATABASE_URL"]
        with db.connect(url) as conn, dg.DagsterInstance.get() as instance:
            listed = [ListedUrl(f"http://site/products/p-{i}", "product", f"p-{i}", str(i), None) for i in range(5)]
            record_sitemap(conn, listed)
            record_page_checks(
                conn,
                [
                    PageCheck("p-0", listed[0].url, Outcome.OK, 200, html="<html>0</html>"),
                    PageCheck("p-1", listed[1].url, Outcome.OK, 200, html="<html>1</html>"),
                    PageCheck("p-2", listed[2].url, Outcome.GONE, 404),
                    PageCheck("p-3", listed[3].url, Outcome.FAILED, 503, error="HTTP 503"),
                ],
            )
            for status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE):
                instance.add_run(dg.DagsterRun(job_name="crawl", run_id=str(uuid.uuid4()), status=status))
            collector = DaemonCollector(instance, url)
            try:
                scraped = samples(collector)
                registry = CollectorRegistry()
                registry.register(collector)
                assert naming_problems(registry) == []
            finally:
                collector.close()
            page = sql.last_refresh_scrapes(conn)  # what the monitoring page reads: ok and gone succeeded
            refreshed = sql.last_sitemap_refresh(conn)
    assert instance.get_required_daemon_types()  # the sensor, scheduler... daemons: none heartbeats
    assert scraped[("tileshop_dagster_daemons_live",)] == 0
    assert not [key for key in scraped if key[0] == "tileshop_dagster_daemon_heartbeat_timestamp_seconds"]
    runs = {key[1]: value for key, value in scraped.items() if key[0] == "tileshop_dagster_runs"}
    assert runs == {status.value: 0 for status in dg.DagsterRunStatus} | {"SUCCESS": 2, "FAILURE": 1}
    assert (page["fetched"], page["succeeded"]) == (4, 3)
    assert scraped[("tileshop_refresh_pages_fetched", "succeeded")] == 3
    assert scraped[("tileshop_refresh_pages_fetched", "failed")] == 1
    assert scraped[("tileshop_asset_last_update_timestamp_seconds", "sitemap_urls")] == refreshed.timestamp()
    # nothing materialized the vectors yet: no sample (the page says "never")
    assert ("tileshop_asset_last_update_timestamp_seconds", "product_vectors") not in scraped


def test_a_database_it_cannot_read_leaves_its_series_out_and_is_logged_once(caplog):
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/tileshop"
    with dg.DagsterInstance.ephemeral() as instance, caplog.at_level(logging.WARNING):
        collector = DaemonCollector(instance, unreachable)
        first, second = samples(collector), samples(collector)
    for scraped in (first, second):
        assert {key[0] for key in scraped} == {"tileshop_dagster_daemons_live"}
    warnings = [r.getMessage() for r in caplog.records if r.name == "tileshop_pipelines.daemon_metrics"]
    assert len(warnings) == 1 and "could not be read (OperationalError)" in warnings[0]
