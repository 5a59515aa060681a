"""kill -9 of a crawl run mid-crawl, then the next run: no duplicates, and no page stored in the
same refresh cycle is fetched again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from urllib.parse import unquote, urlsplit

import dagster as dg
import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines.local_runs import crawl_all_products, refresh_sitemap
from tileshop_pipelines.store import db
from tileshop_pipelines_tests.acquisition.crawl_process import CRAWL, count
from tileshop_pipelines_tests.support.sample_site import AUTOMATION_OFF

pytestmark = pytest.mark.slow  # a crawl process killed with SIGKILL


def test_kill_9_mid_crawl_then_resume(own_sample_site):
    site = own_sample_site(60, 13, env={**AUTOMATION_OFF, "TILESHOP_CRAWL_RATE": "12"})
    server = site.server
    with site.environment():
        database = site.database_url
        with dg.DagsterInstance.get() as instance:
            refresh_sitemap(instance, raise_on_error=True)
            listed = len(instance.get_dynamic_partitions("product"))

            proc = subprocess.Popen(
                [sys.executable, "-c", CRAWL],
                env={**os.environ, "PYTHONPATH": str(bootstrap.PROJECT_ROOT)},
                cwd=bootstrap.PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 120
            while count(database, "SELECT count(*) FROM product_pages") < 15:
                assert proc.poll() is None and time.monotonic() < deadline, "the crawl ended before it was killed"
                time.sleep(0.1)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            stored = count(database, "SELECT count(*) FROM product_pages")
            assert 15 <= stored < listed  # killed mid-crawl

            killed = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
            assert len(killed) == 1  # still "started", holding its slot in the crawl pool

            with db.connect(database) as conn:
                stored_paths = {unquote(urlsplit(url).path) for (url,) in conn.execute("SELECT url FROM product_pages")}
            hits_before = {path: server.hits[path] for path in stored_paths}

            # No daemon: the next run itself recovers the dead one (defs/run_recovery.py).
            result = crawl_all_products(instance, raise_on_error=True)
            assert result.success
            assert instance.get_run_by_id(killed[0].run_id).status == dg.DagsterRunStatus.FAILURE
            assert {path: server.hits[path] for path in stored_paths} == hits_before  # not fetched again
            resumed = [
                e.event_specific_data.materialization
                for e in result.get_asset_materialization_events()
                if e.event_specific_data.materialization.asset_key.to_user_string() == "product_pages"
            ]
            earlier = [m for m in resumed if m.metadata["outcome"].value == "checked_earlier_this_cycle"]
            assert len(earlier) == stored
            assert instance.get_materialized_partitions(dg.AssetKey("products")) == set(
                instance.get_dynamic_partitions("product")
            )

        assert count(database, "SELECT count(*) FROM product_pages") == listed
        assert count(database, "SELECT count(*) FROM products") == listed
        assert count(database, "SELECT count(*) FROM product_history") == listed  # one version each, no duplicate
        assert (
            count(database, "SELECT count(*) FROM product_pages WHERE parsed_hash IS DISTINCT FROM content_hash") == 0
        )
