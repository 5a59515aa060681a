"""What the people who run the app see: request ids, structured log lines with no secret in them,
the metrics' collectors, and the catalog change report's endpoint."""

from __future__ import annotations

import io
import json
import logging
import re

import httpx
import pytest

from rag_app.query_embedding import QueryEmbedder
from rag_app.request_ids import accepted_id
from tileshop_pipelines.serving import logs
from tileshop_pipelines.store import db
from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.acquisition import ListedUrl, record_sitemap
from tileshop_pipelines.store.migrations import migrate

from .conftest import ADMIN, ADMIN_TOKEN, app_client, claude_settings, metrics_text, served_app, settings_for

ANTHROPIC_KEY = "sk-ant-test-operations-secret-4f1e9a"


@pytest.fixture
def captured_logs():
    """Every log line of this process, as rag_app's entry point configures them (JSON, DEBUG)."""
    buffer = io.StringIO()
    root = logging.getLogger()
    level = root.level
    logs.configure(
        env={"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}, stream=buffer, secrets=[ADMIN_TOKEN, ANTHROPIC_KEY]
    )
    yield buffer
    for handler in [h for h in root.handlers if isinstance(h, logs._OurHandler)]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_a_callers_request_id_is_kept_only_when_it_is_a_short_safe_token():
    assert accepted_id(b"checkout-7f3a.2") == "checkout-7f3a.2"
    for unsafe in (b"a" * 65, b"id with space", b'id"quote', b"\xff\xfe", b""):
        assert re.fullmatch(r"[0-9a-f]{32}", accepted_id(unsafe))
    assert accepted_id(None) != accepted_id(None)


def test_every_answer_carries_its_request_id(offline_client):
    fresh = offline_client.get("/api/system/health")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
    kept = offline_client.get("/api/system/health", headers={"X-Request-ID": "lb-1234"})
    assert kept.headers["x-request-id"] == "lb-1234"
    replaced = offline_client.get("/api/system/health", headers={"X-Request-ID": "x" * 100})
    assert replaced.headers["x-request-id"] != "x" * 100
    limited = offline_client.get("/api/system/detailed-health")  # refused by the guard, still tagged
    assert limited.status_code in (401, 403) and limited.headers["x-request-id"]


def test_app_logs_are_json_lines_with_request_ids_and_no_secret(index_url, standin, captured_logs):
    """Real requests over uvicorn (its access log included) with the admin token and Claude's key
    in use, a failing Claude call and secrets in a query string: every line is one JSON object,
    uvicorn's INFO lines are there, and neither secret appears anywhere."""
    settings = claude_settings(standin, anthropic_api_key=ANTHROPIC_KEY, claude_max_retries=0)
    standin_key, standin.api_key = standin.api_key, ANTHROPIC_KEY  # the stand-in checks the key it is sent
    try:
        with (
            served_app(index_url, settings, log_level="debug") as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            assert client.get("/api/system/detailed-health", headers=ADMIN).status_code in (200, 503)
            assert client.get("/api/acquisition/status", headers=ADMIN).status_code == 502  # Dagster is nowhere
            assert (
                client.get("/api/acquisition/status", headers={"Authorization": f"Bearer {ADMIN_TOKEN}x"}).status_code
                == 401
            )
            assert (
                client.post(
                    "/api/chat", json={"query": "porcelain floor tile"}, headers={"X-Request-ID": "req-claude-ok"}
                ).json()["mode"]
                == "claude"
            )
            standin.script[:] = ["500"]  # Claude fails: the answer falls back to offline, the failure is logged
            assert client.post("/api/chat", json={"query": "grout for marble"}).json()["mode"] == "offline"
            client.get(f"/api/products/search?q=white&token={ADMIN_TOKEN}&api_key={ANTHROPIC_KEY}")
    finally:
        standin.api_key = standin_key
    text = captured_logs.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # each line is one JSON object
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any("/api/system/detailed-health" in line["message"] and line["level"] == "INFO" for line in access)
    assert any(line.get("request_id") == "req-claude-ok" for line in lines)
    assert all(line.get("request_id") for line in access)
    assert any(line["logger"] == "rag_app" and line["level"] == "INFO" for line in lines)  # "rag_app ready"
    assert ADMIN_TOKEN not in text and ANTHROPIC_KEY not in text
    assert "/api/products/search?***" in text  # the request was logged, its query string masked whole


def test_metrics_report_process_gc_pool_admission_and_batch_sizes(index_url):
    with app_client(index_url, settings_for(db_pool_size=3, max_in_flight_searches=7)) as client:
        client.post("/api/chat", json={"query": "grout for marble"})
        text = metrics_text(client.app)
    for series in (
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "python_gc_collections_total",
        "python_gc_objects_collected_total",
        "python_info",
    ):
        assert series in text, series
    assert "tileshop_db_pool_max_connections 3.0" in text
    assert re.search(r'^tileshop_db_pool_connections\{state="idle"\} [1-3]\.0$', text, re.M)
    assert re.search(r"^tileshop_db_pool_requests_total [1-9]", text, re.M)  # the chat's connection
    assert 'tileshop_db_pool_connections{state="in_use"} 0.0' in text
    assert "tileshop_db_pool_connection_errors_total 0.0" in text
    assert "tileshop_db_pool_request_wait_seconds_total " in text and "tileshop_db_pool_requests_waiting 0.0" in text
    assert "tileshop_searches_in_flight 0.0" in text and "tileshop_searches_in_flight_limit 7.0" in text
    assert "tileshop_query_embedding_batch_questions_count 1.0" in text
    assert 'tileshop_query_embedding_batch_questions_bucket{le="1.0"} 1.0' in text


def test_concurrent_questions_share_one_encoder_call():
    sizes: list[int] = []
    embedder = QueryEmbedder("all-MiniLM-L6-v2", cache_size=0, gather_ms=500, backend="torch", on_batch=sizes.append)
    embedder.start()
    try:
        futures = [embedder.submit(f"white tile {i}") for i in range(5)]
        [f.result(timeout=60) for f in futures]
        embedder.submit("one more").result(timeout=60)
    finally:
        embedder.stop()
    assert sizes == [5, 1]


@pytest.fixture(scope="module")
def changes_url(make_database):
    url = make_database()
    with db.connect(url) as conn:
        migrate(conn)
        listing = [ListedUrl(f"http://s/products/tile-{n}", "product", f"tile-{n}", str(n), None) for n in (1, 2)]
        record_sitemap(conn, listing)
        record = {"sku": "1", "url": "http://s/products/tile-1", "name": "Tile 1", "price": 10.0, "price_unit": "box"}
        products_sql.save_records(conn, [("tile-1", "h1", record)], [])
        record_sitemap(conn, listing[:1])
        products_sql.save_records(conn, [("tile-1", "h2", {**record, "price": 12.5})], [])
    return url


def test_catalog_changes_endpoint(changes_url):
    with app_client(changes_url, settings_for()) as client:
        latest = client.get("/api/catalog/changes").json()
        everything = client.get("/api/catalog/changes", params={"since": "2000-01-01"}).json()
        future = client.get("/api/catalog/changes", params={"since": "2999-01-01T00:00:00Z"}).json()
        bad = client.get("/api/catalog/changes", params={"since": "last tuesday"})
        limited = client.get("/api/catalog/changes", params={"since": "2000-01-01", "limit": 1}).json()
    assert [c["summary"] for c in latest["changes"]] == ["delisted", "price 10.00/box -> 12.50/box"]
    assert latest["counts"] == {"added": 0, "delisted": 1, "returned": 0, "price": 1, "spec": 0}
    assert latest["since"] is None and latest["refresh_id"] is not None
    price = latest["changes"][1]
    assert (price["sku"], price["old"], price["new"]) == (
        "1",
        {"price": 10.0, "unit": "box"},
        {"price": 12.5, "unit": "box"},
    )
    assert [c["change"] for c in everything["changes"]] == ["added", "added", "delisted", "price"]
    assert everything["since"].startswith("2000-01-01T00:00:00") and everything["refresh_id"] is None
    assert future["changes"] == [] and future["counts"]["added"] == 0
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "since"]
    assert len(limited["changes"]) == 1
