"""Prometheus over the deployed processes: each fly.toml's [[metrics]] names the port its process
listens on for /metrics and no service exposes; a real Prometheus (Debian's, `make prometheus`)
scrapes the app, the crawl service and the daemon started as deployed; the alert rules in
deploy/prometheus/alerts.yml are the monitoring page's thresholds (built here from the Python
constants), pass `promtool check rules` and their unit tests, and name only series the processes
export."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import httpx
import pytest
import yaml

from crawler.settings import DEFAULT_METRICS_PORT as CRAWLER_METRICS_PORT
from rag_app.config import DEFAULT_METRICS_PORT as APP_METRICS_PORT
from rag_app.monitoring import ANSWER_P95_MS, ERROR_RATE_MAX, QUERY_P95_MS, SCRAPE_SUCCESS_MIN
from rag_app.security import UNLIMITED_PATHS
from tileshop_pipelines.bootstrap import PROJECT_ROOT
from tileshop_pipelines.freshness import FRESHNESS_WINDOWS
from tileshop_pipelines.processes import wait_until_serving
from tileshop_pipelines.settings import DEFAULT_DAEMON_METRICS_PORT
from tileshop_pipelines.store import db
from tileshop_pipelines.store import monitoring as sql

from ..crawl.service import LOCAL_SITE, TOKEN, crawl_service
from ..support.ports import free_port
from ..support.sample_site import AUTOMATION_OFF, refresh_everything
from .test_fly_config import load, services

RULES = PROJECT_ROOT / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = PROJECT_ROOT / "deploy" / "prometheus" / "alerts_test.yml"
WINDOW = "24h"  # rag_app.monitoring.WINDOWS' "24h": the page's checks read the last day
N_PRODUCTS = 25  # the smallest sample catalog (its known and quirk products)


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: `make prometheus` installs Debian's prometheus package"
    return found


# --- fly.toml --------------------------------------------------------------------------------------


def test_each_fly_toml_scrapes_its_process_on_the_default_metrics_port_no_service_exposes():
    expected = {
        "pipeline": {"daemon": DEFAULT_DAEMON_METRICS_PORT},
        "app": {"app": APP_METRICS_PORT},
        "crawler": {"app": CRAWLER_METRICS_PORT},
    }
    for app, ports in expected.items():
        config = load(app)
        scraped = {process: m["port"] for m in config["metrics"] for process in m["processes"]}
        assert scraped == ports, app
        assert {m["path"] for m in config["metrics"]} == {"/metrics"}
        exposed = {s["internal_port"] for s in services(config)}
        exposed |= {c["port"] for c in config.get("checks", {}).values()}
        assert not exposed & set(ports.values()), f"{app}: the metrics port is a service's or a check's"
    assert len({APP_METRICS_PORT, CRAWLER_METRICS_PORT, DEFAULT_DAEMON_METRICS_PORT}) == 3  # one host (deploy-check)


# --- the alert rules -------------------------------------------------------------------------------


def _seconds(window) -> int:
    return int(window.total_seconds())


def expected_rules() -> dict[str, str]:
    """Every alert's expression, from the constants the monitoring page and Dagster read."""
    excluded = "|".join(sorted(UNLIMITED_PATHS))  # the page's rollups leave liveness probes out

    def p95(histogram: str) -> str:
        return f"histogram_quantile(0.95, sum by (le) (rate({histogram}_bucket[{WINDOW}])))"

    def age(asset: str) -> str:
        return f'time() - max(tileshop_asset_last_update_timestamp_seconds{{asset="{asset}"}})'

    vectors, sitemap = FRESHNESS_WINDOWS["product_vectors"], FRESHNESS_WINDOWS["sitemap_urls"]
    return {
        "TileshopQueryTimeP95High": f"{p95('tileshop_retrieval_duration_seconds')} >= {QUERY_P95_MS / 1000:g}",
        "TileshopScrapingSuccessLow": 'sum(tileshop_refresh_pages_fetched{result="succeeded"}) / '
        f"sum(tileshop_refresh_pages_fetched) <= {SCRAPE_SUCCESS_MIN:g}",
        "TileshopAnswerP95High": f"{p95('tileshop_answer_duration_seconds')} >= {ANSWER_P95_MS / 1000:g}",
        "TileshopErrorRateHigh": f'sum(rate(tileshop_http_requests_total{{status=~"5..",route!~"{excluded}"}}[{WINDOW}]))'
        f' / sum(rate(tileshop_http_requests_total{{route!~"{excluded}"}}[{WINDOW}]))'
        f" >= {ERROR_RATE_MAX:g}",
        "TileshopVectorsLate": f"{age('product_vectors')} > {_seconds(vectors.fail)}",
        "TileshopVectorsStale": f"{age('product_vectors')} > {_seconds(vectors.warn)}",
        "TileshopSitemapLate": f"{age('sitemap_urls')} > {_seconds(sitemap.fail)}",
        "TileshopSitemapStale": f"{age('sitemap_urls')} > {_seconds(sitemap.warn)}",
        "TileshopDaemonNotLive": "max(tileshop_dagster_daemons_live) == 0 or absent(tileshop_dagster_daemons_live)",
    }


def rules() -> dict[str, dict]:
    return {rule["alert"]: rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]}


def test_the_alert_rules_are_the_monitoring_pages_thresholds():
    found = {name: " ".join(rule["expr"].split()) for name, rule in rules().items()}
    assert found == expected_rules()
    # each of the page's five checks (rag_app.monitoring.checks) has its rule
    assert {"query_times", "scraping_success", "rag_latency", "error_rate", "vectors_fresh"} <= {
        rule["labels"]["check"] for rule in rules().values()
    }


def test_promtool_checks_the_rules_and_runs_their_unit_tests():
    checked = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and f"SUCCESS: {len(expected_rules())} rules found" in checked.stdout, (
        checked.stdout + checked.stderr
    )
    tested = subprocess.run(
        [promtool(), "test", "rules", RULE_TESTS.name],
        cwd=RULE_TESTS.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr
    # every rule is exercised by the unit tests
    tested_alerts = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
    }
    assert tested_alerts == set(expected_rules())


# --- a real Prometheus scraping the three processes ---------------------------------------------------


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _query(prometheus: str, expr: str) -> list[dict]:
    body = _get_json(f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expr})}")
    assert body["status"] == "success", body
    return body["data"]["result"]


def _value(prometheus: str, expr: str) -> float:
    [sample] = _query(prometheus, expr)
    return float(sample["value"][1])


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env},
        cwd=PROJECT_ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    """The process's whole group: `tileshop daemon` exited leaves its dagster-daemon child running."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)


@pytest.mark.slow
def test_prometheus_scrapes_the_app_the_crawl_service_and_the_daemon(own_sample_site, tmp_path):
    server = shutil.which("prometheus")
    assert server, "prometheus is missing: `make prometheus` installs Debian's package"
    site = own_sample_site(N_PRODUCTS, 5, env=AUTOMATION_OFF, materialize=refresh_everything)
    ports = {job: free_port() for job in ("app", "crawler", "daemon")}
    app_port, health_port, prometheus_port = free_port(), free_port(), free_port()
    procs = []
    try:
        procs.append(
            app := _start(
                [sys.executable, "-m", "rag_app", "--host", "127.0.0.1", "--port", str(app_port)],
                {"DATABASE_URL": site.database_url, "ANTHROPIC_API_KEY": "", "METRICS_PORT": str(ports["app"])},
                tmp_path / "app.log",
            )
        )
        # `::` as deployed (the liveness endpoint listens on IPv6 and IPv4); the metrics on the same host
        procs.append(
            daemon := _start(
                [
                    sys.executable,
                    "-m",
                    "tileshop_pipelines.cli",
                    "daemon",
                    "--health-host",
                    "::",
                    "--health-port",
                    str(health_port),
                ],
                {**site.env, "METRICS_PORT": str(ports["daemon"])},
                tmp_path / "daemon.log",
            )
        )
        with crawl_service(**LOCAL_SITE, METRICS_PORT=str(ports["crawler"])) as crawler:
            wait_until_serving(app, f"http://127.0.0.1:{app_port}/api/system/health", "the app", 180)
            base = f"http://127.0.0.1:{app_port}"
            assert (
                httpx.post(f"{base}/api/chat", json={"query": "white porcelain floor tile"}, timeout=60).status_code
                == 200
            )
            assert httpx.get(f"{base}/metrics").status_code == 404  # the public port: no metrics
            product = site.server.base_url + site.catalog.products[0].path
            crawled = httpx.post(
                f"{crawler}/crawl", json={"urls": [product]}, timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}
            )
            assert crawled.status_code == 200 and crawled.json()["success"]
            assert httpx.get(f"{crawler}/metrics").status_code == 404
            deadline = time.monotonic() + 240
            while _status(f"http://127.0.0.1:{health_port}/health") != 200:  # every daemon heartbeats
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the daemon's daemons never all heartbeat"
                time.sleep(1)

            config = tmp_path / "prometheus.yml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                        "rule_files": [str(RULES)],
                        "scrape_configs": [
                            {"job_name": f"tileshop-{job}", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
                            for job, port in ports.items()
                        ],
                    }
                )
            )
            procs.append(
                _start(
                    [
                        server,
                        f"--config.file={config}",
                        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                        f"--web.listen-address=127.0.0.1:{prometheus_port}",
                        "--log.level=warn",
                    ],
                    {},
                    tmp_path / "prometheus.log",
                )
            )
            prometheus = f"http://127.0.0.1:{prometheus_port}"
            deadline = time.monotonic() + 90
            while True:
                targets = _targets(prometheus)
                if len(targets) == 3 and all(t["health"] == "up" for t in targets):
                    break
                assert time.monotonic() < deadline, (targets, (tmp_path / "prometheus.log").read_text()[-2000:])
                time.sleep(0.5)
            time.sleep(3)  # a few scrapes each, and the rules evaluated over them

            samples = {
                r["metric"]["job"]: int(float(r["value"][1])) for r in _query(prometheus, "scrape_samples_scraped")
            }
            print(
                "targets up (last scrape's duration, samples):",
                {
                    t["labels"]["job"]: (f"{t['lastScrapeDuration'] * 1000:.1f} ms", samples[t["labels"]["job"]])
                    for t in targets
                },
            )
            for job in ports:
                assert _value(prometheus, f'up{{job="tileshop-{job}"}}') == 1.0, job
            # the app
            assert _value(prometheus, 'sum(tileshop_http_requests_total{route="/api/chat",status="200"})') == 1
            assert _value(prometheus, 'sum(tileshop_answer_duration_seconds_count{job="tileshop-app"})') == 1
            assert _value(prometheus, "tileshop_retrieval_duration_seconds_count") >= 1
            assert _value(prometheus, "tileshop_db_pool_max_connections") >= 1
            assert _value(prometheus, 'process_resident_memory_bytes{job="tileshop-app"}') > 50e6
            # the crawl service
            assert _value(prometheus, 'tileshop_crawler_pages_total{mode="http",result="2xx"}') == 1
            assert _value(prometheus, 'tileshop_crawler_page_fetch_duration_seconds_count{mode="http"}') == 1
            # the daemon, as the monitoring page reads the same database
            assert _value(prometheus, "tileshop_dagster_daemons_live") == 1
            beats = _query(prometheus, "time() - tileshop_dagster_daemon_heartbeat_timestamp_seconds")
            assert {"SENSOR", "SCHEDULER"} <= {b["metric"]["daemon"] for b in beats}
            assert all(float(b["value"][1]) < 120 for b in beats)
            with db.connect(site.database_url) as conn:
                scrapes = sql.last_refresh_scrapes(conn)
                vectors = sql.dagster_last_materialization(conn, "product_vectors")
                sitemap = sql.last_sitemap_refresh(conn)
            assert scrapes["fetched"] == N_PRODUCTS
            assert _value(prometheus, 'tileshop_refresh_pages_fetched{result="succeeded"}') == scrapes["succeeded"]
            assert (
                _value(prometheus, 'tileshop_refresh_pages_fetched{result="failed"}')
                == scrapes["fetched"] - scrapes["succeeded"]
            )
            assert _value(
                prometheus, 'tileshop_asset_last_update_timestamp_seconds{asset="product_vectors"}'
            ) == pytest.approx(vectors.timestamp())
            assert _value(
                prometheus, 'tileshop_asset_last_update_timestamp_seconds{asset="sitemap_urls"}'
            ) == pytest.approx(sitemap.timestamp())
            succeeded = len(site.results)
            assert _value(prometheus, 'tileshop_dagster_runs{status="SUCCESS"}') == succeeded
            # every series a rule reads is exported, and the rules evaluate without error
            for name in sorted({n for expr in expected_rules().values() for n in re.findall(r"tileshop_\w+", expr)}):
                assert _query(prometheus, f"count({name})"), f"{name}: a rule reads it, nothing exports it"
            groups = _get_json(f"{prometheus}/api/v1/rules")["data"]["groups"]
            evaluated = [rule for group in groups for rule in group["rules"]]
            assert len(evaluated) == len(expected_rules()) and all(r["health"] == "ok" for r in evaluated), evaluated
            firing = {rule["name"] for rule in evaluated if rule["state"] != "inactive"}
            assert firing == set(), firing  # a fresh index, a whole refresh, a live daemon
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return None


def _targets(prometheus: str) -> list[dict]:
    """Prometheus' active scrape targets; none while it is still starting."""
    try:
        return _get_json(f"{prometheus}/api/v1/targets")["data"]["activeTargets"]
    except OSError:
        return []
