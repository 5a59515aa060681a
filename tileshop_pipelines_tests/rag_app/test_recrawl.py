"""Re-crawl on demand through a real Dagster: the catalog is crawled once in-process, then the
webserver (GraphQL) and the daemon (the queued-run coordinator, the crawl pool) run as processes;
POST /api/admin/recrawl launches one product_crawl run for the SKU's partitions and, when it has
run, the product's check shows a new checked_at."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import httpx
import pytest

from tileshop_pipelines.bootstrap import PROJECT_ROOT
from tileshop_pipelines.sample_catalog import CatalogServer, build_catalog
from tileshop_pipelines.store import db

from ..support.ports import free_port
from .conftest import ADMIN, app_client, settings_for

pytestmark = pytest.mark.slow  # a Dagster webserver and daemon


def _serve(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


@pytest.fixture(scope="module")
def crawled_with_dagster(tileshop_env, tmp_path_factory):
    from tileshop_pipelines.local_runs import crawl_all_products, refresh_sitemap

    logs = tmp_path_factory.mktemp("dagster_logs")
    catalog = build_catalog(n_products=30, seed=3)
    saved = {k: os.environ.get(k) for k in ("TILESHOP_SITEMAP_URL", "TILESHOP_CRAWL_RATE", "TILESHOP_AUTOMATION")}
    with CatalogServer(catalog, port=0) as server:
        os.environ.update(
            TILESHOP_SITEMAP_URL=f"{server.base_url}/sitemap.xml", TILESHOP_CRAWL_RATE="0", TILESHOP_AUTOMATION="off"
        )  # no sensor run beside the one under test
        with dg.DagsterInstance.get() as instance:
            assert refresh_sitemap(instance, raise_on_error=True).success
            assert crawl_all_products(instance, raise_on_error=True).success
        env = {**os.environ, **tileshop_env, "PYTHONPATH": str(PROJECT_ROOT)}
        port = free_port()
        bin_dir = Path(sys.executable).parent
        web = _serve(
            [
                sys.executable,
                "-m",
                "dagster_webserver",
                "-w",
                str(PROJECT_ROOT / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            env,
            logs / "webserver.log",
        )
        daemon = _serve(
            [str(bin_dir / "dagster-daemon"), "run", "-w", str(PROJECT_ROOT / "workspace.yaml")],
            env,
            logs / "daemon.log",
        )
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            deadline = time.monotonic() + 180
            while True:
                assert web.poll() is None and daemon.poll() is None, (logs / "webserver.log").read_text()[-2000:]
                try:
                    body = httpx.post(url, json={"query": "{ repositoriesOrError { __typename } }"}, timeout=5).json()
                    if body["data"]["repositoriesOrError"]["__typename"] == "RepositoryConnection":
                        break
                except (httpx.HTTPError, ValueError, KeyError, TypeError):
                    pass
                assert time.monotonic() < deadline, "dagster-webserver did not load the code location in 180 s"
                time.sleep(1)
            yield {"graphql": url, "database": tileshop_env["DATABASE_URL"], "logs": logs}
        finally:
            for proc in (daemon, web):
                proc.terminate()
                proc.wait(timeout=60)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _checked_at(database: str) -> dict:
    with db.connect(database) as conn:
        return dict(conn.execute("SELECT product_key, checked_at FROM product_pages").fetchall())


def test_recrawl_of_one_sku_launches_one_run_and_the_check_is_new(crawled_with_dagster):
    env = crawled_with_dagster
    with db.connect(env["database"]) as conn:
        # a SKU on two URLs if the catalog has one (then both are re-crawled), else any SKU
        sku, n_keys = conn.execute(
            "SELECT sku, count(*) FROM products GROUP BY sku ORDER BY count(*) DESC, sku LIMIT 1"
        ).fetchone()
        keys = sorted(r[0] for r in conn.execute("SELECT product_key FROM products WHERE sku = %s", (sku,)))
    before = _checked_at(env["database"])
    settings = settings_for(dagster_graphql_url=env["graphql"])
    with app_client(env["database"], settings) as client:
        response = client.post("/api/admin/recrawl", json={"skus": [sku]}, headers=ADMIN)
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["product_keys"] == keys and body["skus"] == {sku: keys} and len(keys) == n_keys
        [run] = body["runs"]
        assert run["job"] == "product_crawl" and run["product_keys"] == keys
        assert run["url"].endswith(f"/runs/{run['run_id']}")
        deadline = time.monotonic() + 300
        while True:
            status = client.get("/api/acquisition/status", params={"run_id": run["run_id"]}, headers=ADMIN).json()
            state = status["runs"][0]["status"]
            if state in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            assert time.monotonic() < deadline, f"run {run['run_id']} still {state} after 300 s"
            time.sleep(2)
        assert state == "SUCCESS", (env["logs"] / "daemon.log").read_text()[-3000:]
        after = _checked_at(env["database"])
        assert all(after[k] > before[k] for k in keys)  # forced: fetched again though checked this cycle
        assert all(after[k] == before[k] for k in before if k not in keys)  # and nothing else
        page = client.get("/api/admin/catalog/product", params={"key": keys[0]}, headers=ADMIN).json()
        assert dt.datetime.fromisoformat(page["crawl"]["checked_at"]) == after[keys[0]]

        # the run carries the recrawl's tag and the batch in its config
        with dg.DagsterInstance.get() as instance:
            stored = instance.get_run_by_id(run["run_id"])
        assert stored.tags["tileshop/recrawl"] == "on demand"
        assert stored.run_config["ops"]["crawl_products"]["config"] == {"product_keys": keys, "force": True}


def test_category_recrawl_launches_runs_for_the_category(crawled_with_dagster):
    env = crawled_with_dagster
    with db.connect(env["database"]) as conn:
        (category,) = conn.execute("SELECT record->>'category' FROM products ORDER BY 1 LIMIT 1").fetchone()
        expected = sorted(
            r[0] for r in conn.execute("SELECT product_key FROM products WHERE record->>'category' = %s", (category,))
        )
    with app_client(env["database"], settings_for(dagster_graphql_url=env["graphql"])) as client:
        response = client.post("/api/admin/recrawl", json={"category": category.lower()}, headers=ADMIN)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["product_keys"] == expected
    assert sorted(k for run in body["runs"] for k in run["product_keys"]) == expected
