"""The app's metrics: served on a port of their own (never the public one), named as Prometheus'
conventions say, and, under made-up requests through a real uvicorn server, every label and
monitoring rollup key from a closed set."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import time

import httpx
import pytest

from rag_app.metrics import LATENCY_BUCKETS, AppMetrics
from rag_app.monitoring import ANSWER_P95_MS, QUERY_P95_MS
from tileshop_pipelines.bootstrap import PROJECT_ROOT
from tileshop_pipelines.store import db

from ..support.metric_names import naming_problems
from ..support.ports import free_port
from .conftest import served_app, settings_for

JUNK_REQUESTS = 300
METHOD_CHARS = 2048


def junk_method() -> str:
    return "X" + secrets.token_hex(METHOD_CHARS // 2)[: METHOD_CHARS - 1].upper()


def test_made_up_methods_and_paths_add_no_label_and_no_rollup_key(index_url):
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    metrics_port = free_port()
    scrape = f"http://127.0.0.1:{metrics_port}/metrics"
    with (
        served_app(index_url, settings_for(analytics_flush_s=0.2), metrics_port=metrics_port) as base,
        httpx.Client(base_url=base) as client,
    ):
        client.get("/api/products/search", params={"q": "white tile"})
        client.request("BREW", "/nowhere")  # one of each label value first: later growth is the junk's
        client.request("BREW", "/api/chat")
        before = len(httpx.get(scrape).content)
        statuses = set()
        for i in range(JUNK_REQUESTS):
            path = "/api/chat" if i % 3 == 0 else f"/no/such/{secrets.token_hex(8)}"  # matched route and not
            statuses.add(client.request(junk_method(), path).status_code)
        metrics = httpx.get(scrape).text
        time.sleep(1.0)  # two background flushes
    assert statuses <= {404, 405}
    assert len(metrics.encode()) - before < 2_000, "junk requests grew /metrics"
    methods = {
        line.split('method="')[1].split('"')[0]
        for line in metrics.splitlines()
        if line.startswith("tileshop_http_requests_total{")
    }
    assert methods <= {"GET", "POST", "OTHER"}
    with db.connect(index_url) as conn:
        keys = conn.execute(
            "SELECT DISTINCT method, route FROM request_rollups WHERE minute >= %s", (started,)
        ).fetchall()
        junk = conn.execute(
            "SELECT coalesce(sum(requests), 0) FROM request_rollups WHERE minute >= %s AND method = 'OTHER'", (started,)
        ).fetchone()[0]
    assert {m for m, _ in keys} <= {"GET", "POST", "OTHER"}
    assert all(r.startswith("/") or r == "unmatched" for _, r in keys)
    # Other tests share this database: the junk's own keys are the two its made-up methods can reach.
    assert {key for key in keys if key[0] == "OTHER"} <= {("OTHER", "/api/chat"), ("OTHER", "unmatched")}
    assert junk == JUNK_REQUESTS + 2  # every request still counted, under one key per route


def test_metrics_are_served_on_their_own_port_and_the_public_port_answers_404(index_url):
    metrics_port = free_port()
    with served_app(index_url, settings_for(), metrics_port=metrics_port) as base:
        assert httpx.post(f"{base}/api/chat", json={"query": "grout for marble"}).status_code == 200
        public = httpx.get(f"{base}/metrics")
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics")
    assert public.status_code == 404 and "tileshop_" not in public.text
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    assert 'tileshop_http_requests_total{method="POST",route="/api/chat",status="200"} 1.0' in scraped.text
    # the public probe of /metrics is one more unmatched request, nothing else
    assert 'tileshop_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in scraped.text


def test_metric_names_follow_prometheus_conventions():
    metrics = AppMetrics()
    metrics.watch(lambda: {"pool_size": 2, "pool_available": 1, "pool_max": 4}, lambda: 0, 32)
    assert naming_problems(metrics.registry) == []


def test_the_monitoring_pages_latency_thresholds_are_bucket_bounds():
    """The alert rules' p95s (deploy/prometheus/alerts.yml) compare against these thresholds: as
    bucket bounds, a p95 at the threshold is read exactly, not interpolated across it."""
    assert QUERY_P95_MS / 1000 in LATENCY_BUCKETS and ANSWER_P95_MS / 1000 in LATENCY_BUCKETS


def _start(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag_app", "--host", "127.0.0.1", "--port", env.pop("PORT")],
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_python_m_rag_app_refuses_a_metrics_port_it_cannot_keep_off_the_public_one(index_url):
    port = free_port()
    same = _start({"DATABASE_URL": index_url, "PORT": str(port), "METRICS_PORT": str(port)})
    assert same.returncode == 2 and f"METRICS_PORT {port} is the app's port" in same.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        refused = _start({"DATABASE_URL": index_url, "PORT": str(free_port()), "METRICS_PORT": str(busy)})
    assert refused.returncode == 2 and f"METRICS_PORT={busy}: cannot listen on 127.0.0.1 port {busy}" in refused.stderr
