"""The metrics listener every service runs: /metrics only, IPv4 and IPv6 on `::`, a port it cannot
bind named by its setting, the port given back on close."""

from __future__ import annotations

import socket

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from tileshop_pipelines.serving.metrics_server import serve_metrics


@pytest.fixture
def registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    Counter("tileshop_test_events_total", "events", registry=registry).inc(3)
    return registry


def test_serves_metrics_on_ipv4_and_ipv6_and_nothing_else(registry):
    server = serve_metrics(registry, "::", 0)
    try:
        for host in ("127.0.0.1", "[::1]"):
            scraped = httpx.get(f"http://{host}:{server.port}/metrics")
            assert scraped.status_code == 200 and "tileshop_test_events_total 3.0" in scraped.text
            assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
        for path in ("/", "/metrics/", "/favicon.ico", "/api/system/health"):
            assert httpx.get(f"http://127.0.0.1:{server.port}{path}").status_code == 404, path
        assert httpx.post(f"http://127.0.0.1:{server.port}/metrics").status_code == 405
        # a scraper asking for gzip gets it (httpx decodes the body)
        zipped = httpx.get(f"http://127.0.0.1:{server.port}/metrics", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip" and b"tileshop_test_events_total" in zipped.content
    finally:
        server.close()


def test_a_port_in_use_is_an_error_naming_the_setting_and_close_frees_the_port(registry):
    server = serve_metrics(registry, "127.0.0.1", 0)
    port = server.port
    with pytest.raises(OSError, match=rf"METRICS_PORT={port}: cannot listen on 127.0.0.1 port {port}"):
        serve_metrics(registry, "127.0.0.1", port)
    server.close()
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))  # given back
