"""The crawl service's metrics: each URL of a /crawl request counted by mode and result (status
class or error kind, a closed set) and its fetch timed; the service has no /metrics route (its
listener is `python -m crawler`'s, on METRICS_PORT: deploy/test_prometheus.py scrapes it)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client import generate_latest

from crawler.main import create_app
from crawler.metrics import ERROR_KINDS, result_label
from crawler.settings import load_settings
from tileshop_pipelines.sample_catalog import CatalogServer, build_catalog

from ..crawl.service import LOCAL_SITE, TOKEN
from ..support.metric_names import naming_problems


def test_result_labels_come_from_a_closed_set():
    assert [result_label(200, None), result_label(304, None), result_label(410, None), result_label(503, None)] == [
        "2xx",
        "3xx",
        "4xx",
        "5xx",
    ]
    assert result_label(200, "too_large") == "too_large"  # no usable answer: the kind, whatever the status
    assert {result_label(None, kind) for kind in ERROR_KINDS} == ERROR_KINDS
    assert result_label(None, "x" * 5000) == "other_error" and result_label(999, None) == "other_status"


def test_each_url_is_counted_by_mode_and_result_and_timed():
    catalog = build_catalog(n_products=25, seed=9)
    with CatalogServer(catalog, port=0) as site:
        ok, gone = (site.base_url + product.path for product in catalog.products[:2])
        site.faults.set_status(catalog.products[1].path, 410)
        app = create_app(load_settings({"CRAWLER_TOKEN": TOKEN, **LOCAL_SITE}))
        with TestClient(app) as client:
            answer = client.post(
                "/crawl",
                json={"urls": [ok, gone, "http://elsewhere.example/x"]},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert client.get("/metrics").status_code == 404
    assert [r["status_code"] for r in answer.json()["results"]] == [200, 410, None]
    text = generate_latest(app.state.metrics.registry).decode()
    assert 'tileshop_crawler_pages_total{mode="http",result="2xx"} 1.0' in text
    assert 'tileshop_crawler_pages_total{mode="http",result="4xx"} 1.0' in text
    assert 'tileshop_crawler_pages_total{mode="http",result="refused"} 1.0' in text  # before any fetch: not timed
    assert 'tileshop_crawler_page_fetch_duration_seconds_count{mode="http"} 2.0' in text
    assert "tileshop_crawler_crawl_requests_in_flight 0.0" in text
    assert "process_resident_memory_bytes" in text
    assert naming_problems(app.state.metrics.registry) == []
