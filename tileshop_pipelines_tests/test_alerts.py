"""alerts.py without Dagster: messages, incident keys, what opens and closes an incident, the
webhook sender against a local receiver, and the dedupe in Postgres."""

from __future__ import annotations

import datetime as dt

from tileshop_pipelines import alerts
from tileshop_pipelines.store import alerts as alerts_sql

from .alert_receiver import AlertReceiver
from .support.ports import free_port

UI = "http://dagster.internal:3000"


def test_run_failure_message_links_to_the_run():
    alert = alerts.run_failure(
        "sitemap_refresh",
        "4a7c656c-9104-4f74-a387-fec6daa88e78",
        'Execution of run for "sitemap_refresh" failed.',
        UI + "/",
    )
    assert alert.key == "run_failure:sitemap_refresh"
    assert alert.link == f"{UI}/runs/4a7c656c-9104-4f74-a387-fec6daa88e78"
    text = alert.payload()["text"]
    assert set(alert.payload()) == {"text"}
    assert "`sitemap_refresh` failed (run 4a7c656c)" in text
    assert text.endswith(f"<{UI}/runs/4a7c656c-9104-4f74-a387-fec6daa88e78|Open in Dagster>")


def test_run_failure_shows_each_failed_steps_error():
    alert = alerts.run_failure(
        "index_refresh", "r1", "Steps failed: ['product_vectors'].", UI, ["product_vectors: 3 vectors missing"]
    )
    assert alert.detail == "Steps failed: ['product_vectors'].\n> product_vectors: 3 vectors missing"


def test_check_failure_names_asset_check_partition_and_severity():
    alert = alerts.check_failure(
        "products",
        "required_fields",
        description="92% complete",
        severity="ERROR",
        run_id="abc123",
        partition=None,
        ui_url=UI,
    )
    assert alert.key == "check_failure:products:required_fields"
    assert "Asset check `required_fields` on `products` failed, severity ERROR" in alert.text
    assert "92% complete" in alert.text and alert.link == f"{UI}/runs/abc123"
    with_facts = alerts.check_failure(
        "products",
        "required_fields",
        description=None,
        severity="ERROR",
        run_id="abc123",
        partition=None,
        ui_url=UI,
        facts={"rate": 0.92, "records": 40},
    )
    assert with_facts.detail == "rate: 0.92, records: 40"
    partitioned = alerts.check_failure(
        "product_pages",
        "scrape_success_rate",
        description=None,
        severity="WARN",
        run_id=None,
        partition="marble-tile-123",
        ui_url=UI,
    )
    assert "(partition marble-tile-123)" in partitioned.title
    assert partitioned.link == f"{UI}/assets/product_pages?view=checks"  # no run: the asset's checks


def test_freshness_failure_says_the_window_and_the_last_materialization():
    last = dt.datetime(2026, 11, 28, 6, 0, tzinfo=dt.UTC)
    alert = alerts.freshness_failure(
        "product_vectors", last_materialized=last, fail_window=dt.timedelta(days=3), ui_url=UI
    )
    assert alert.key == "freshness:product_vectors"
    assert alert.title == "`product_vectors` missed its freshness window of 3 days"
    assert "Last materialized 2026-11-28 06:00 UTC." in alert.text
    assert alerts.freshness_failure(
        "sitemap_urls", last_materialized=None, fail_window=dt.timedelta(hours=36), ui_url=UI
    ).title.endswith("window of 36 h")


def test_long_details_are_clipped():
    alert = alerts.run_failure("j", "r" * 36, "x" * 10_000, UI)
    assert len(alert.detail) == alerts.MAX_DETAIL_CHARS and alert.detail.endswith("…")


def test_only_fail_opens_and_only_pass_closes_a_freshness_incident():
    assert [alerts.freshness_transition(s) for s in ("FAIL", "PASS", "WARN", "UNKNOWN", "NOT_APPLICABLE")] == [
        "open",
        "resolve",
        None,
        None,
        None,
    ]


def test_sender_posts_slack_json_and_reports_failures_without_the_url():
    alert = alerts.run_failure("index_refresh", "0123456789abcdef", "boom", UI)
    with AlertReceiver() as receiver:
        assert alerts.WebhookSender(receiver.url).send(alert) == "posted"
        assert receiver.received == [alert.payload()]
        receiver.status = 500
        assert alerts.WebhookSender(receiver.url).send(alert) == "failed: HTTP 500"
    closed = free_port()  # a port nothing listens on
    failed = alerts.WebhookSender(f"http://127.0.0.1:{closed}/hook-secret", timeout_s=2).send(alert)
    assert failed == "failed: ConnectError" and "hook-secret" not in failed
    assert alerts.WebhookSender(None).send(alert) == "logged"


def test_an_incident_is_posted_once_until_it_recovers(conn, caplog):
    alert = alerts.run_failure("product_crawl", "run-1", "site down", UI)
    with AlertReceiver() as receiver:
        sender = alerts.WebhookSender(receiver.url)
        assert alerts.notify(conn, alert, sender) == "posted"
        assert alerts.notify(conn, alerts.run_failure("product_crawl", "run-2", "still down", UI), sender) is None
        assert len(receiver.received) == 1
        [incident] = alerts_sql.open_incidents(conn)
        assert (incident["occurrences"], incident["delivery"]) == (2, "posted")
        assert alerts.resolve(conn, [alert.key]) == [alert.key]
        assert alerts.resolve(conn, [alert.key]) == []  # nothing open any more
        assert alerts.notify(conn, alerts.run_failure("product_crawl", "run-3", "down again", UI), sender) == "posted"
        assert len(receiver.received) == 2  # a new incident after the recovery
    assert conn.execute("SELECT count(*) FROM alert_incidents").fetchone()[0] == 2


def test_a_post_that_failed_is_tried_again_at_the_next_occurrence(conn):
    with AlertReceiver() as receiver:
        sender = alerts.WebhookSender(receiver.url)
        receiver.status = 503
        assert alerts.notify(conn, alerts.run_failure("product_crawl", "r1", "down", UI), sender) == "failed: HTTP 503"
        receiver.status = 200
        assert alerts.notify(conn, alerts.run_failure("product_crawl", "r2", "down", UI), sender) == "posted"
        assert alerts.notify(conn, alerts.run_failure("product_crawl", "r3", "down", UI), sender) is None
        assert len(receiver.received) == 2  # the failed attempt and its retry; then nothing more
    [incident] = alerts_sql.open_incidents(conn)
    assert (incident["occurrences"], incident["delivery"]) == (3, "posted")


def test_without_a_webhook_the_alert_is_logged(conn, caplog):
    alert = alerts.freshness_failure("sitemap_urls", last_materialized=None, fail_window=None, ui_url=UI)
    with caplog.at_level("ERROR", logger="tileshop_pipelines.alerts"):
        assert alerts.notify(conn, alert, alerts.WebhookSender(None)) == "logged"
    assert "alert freshness:sitemap_urls (logged): `sitemap_urls` missed its freshness window" in caplog.text
    assert alerts_sql.open_incidents(conn)[0]["delivery"] == "logged"
