"""A backfill of product partitions launched through dagster-webserver's GraphQL API, as the UI
launches one, executed by the daemon in batched runs (BackfillPolicy.multi_run)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import httpx
import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines.local_runs import refresh_sitemap
from tileshop_pipelines.store import db

from ..support.ports import free_port
from ..support.sample_site import AUTOMATION_OFF

pytestmark = pytest.mark.slow  # dagster dev (webserver and daemon) in a process of its own


BATCH_SIZE = 5
SELECTED = 8  # -> runs of 5 and 3 products

LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
  }
}"""
STATUS = """
query Status($backfillId: String!) {
  partitionBackfillOrError(backfillId: $backfillId) {
    ... on PartitionBackfill { status numPartitions }
  }
}"""
PARTITIONS = """
query Partitions($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode {
      assetPartitionStatuses {
        ... on DefaultPartitionStatuses { materializedPartitions failedPartitions materializingPartitions }
      }
    }
  }
}"""


def _register_partitions(instance: dg.DagsterInstance) -> list:
    return [refresh_sitemap(instance, raise_on_error=True)]  # registers the product partitions


@pytest.fixture(scope="module")
def webserver(own_sample_site, tmp_path_factory):
    # A site of this module's own: the backfill materializes partitions of its instance.
    site = own_sample_site(
        30, 5, env={**AUTOMATION_OFF, "TILESHOP_CRAWL_BATCH_SIZE": str(BATCH_SIZE)}, materialize=_register_partitions
    )
    server = site.server
    with site.environment():
        # this worktree's code, ahead of any installed copy of the package
        env = {**os.environ, "PYTHONPATH": str(bootstrap.PROJECT_ROOT)}
        port = free_port()
        log = (tmp_path_factory.mktemp("dagster_dev") / "dagster-dev.log").open("w")
        dagster = Path(sys.executable).with_name("dagster")
        proc = subprocess.Popen(
            [
                str(dagster),
                "dev",
                "-w",
                str(bootstrap.PROJECT_ROOT / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            env=env,
            cwd=bootstrap.PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            _wait_for_code_location(url, proc, log.name)
            yield {"url": url, "server": server, "env": env}
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            log.close()


def _graphql(url: str, query: str, variables: dict) -> dict:
    response = httpx.post(url, json={"query": query, "variables": variables}, timeout=60)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _wait_for_code_location(url: str, proc: subprocess.Popen, log_path: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dagster dev exited: {Path(log_path).read_text()[-3000:]}")
        try:
            data = _graphql(url, PARTITIONS, {"path": ["product_pages"]})
            if data["assetNodeOrError"].get("assetPartitionStatuses") is not None:
                return
        except (httpx.HTTPError, AssertionError, KeyError):
            pass
        time.sleep(1)
    raise RuntimeError(f"dagster dev did not load the code location: {Path(log_path).read_text()[-3000:]}")


def test_ui_backfill_runs_in_batches_and_materializes_each_partition(webserver):
    with dg.DagsterInstance.get() as instance:
        keys = instance.get_dynamic_partitions("product")
        selected = keys[:SELECTED]
        data = _graphql(
            webserver["url"],
            LAUNCH,
            {
                "params": {
                    "assetSelection": [{"path": ["product_pages"]}, {"path": ["products"]}],
                    "partitionNames": selected,
                    "fromFailure": False,
                }
            },
        )
        launched = data["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill_id = launched["backfillId"]

        deadline = time.monotonic() + 420
        status = None
        while time.monotonic() < deadline:
            status = _graphql(webserver["url"], STATUS, {"backfillId": backfill_id})["partitionBackfillOrError"]
            if status["status"] in ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"):
                break
            time.sleep(2)
        assert status["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), status

        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        assert len(runs) == 2  # batched: ceil(8 / 5), never one process per product
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        ranges = sorted(
            (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"]) for r in runs
        )
        assert ranges == [(selected[0], selected[4]), (selected[5], selected[7])]

    for asset in ("product_pages", "products"):
        statuses = _graphql(webserver["url"], PARTITIONS, {"path": [asset]})["assetNodeOrError"][
            "assetPartitionStatuses"
        ]
        assert set(statuses["materializedPartitions"]) == set(selected)
        assert statuses["failedPartitions"] == []
    with db.connect(webserver["env"]["DATABASE_URL"]) as conn:
        stored = {row[0] for row in conn.execute("SELECT product_key FROM product_pages WHERE state = 'ok'")}
    assert stored == set(selected)
