"""The admin endpoints launch and watch the acquisition job through a real Dagster webserver's
GraphQL API (over this project's workspace.yaml and Postgres run storage)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tileshop_pipelines.bootstrap import PROJECT_ROOT

from ..support.ports import free_port
from .conftest import ADMIN, ADMIN_TOKEN, app_client, settings_for

pytestmark = pytest.mark.slow  # dagster dev (webserver) in a process of its own


AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def dagster_graphql(tileshop_env):
    port = free_port()
    env = {
        **os.environ,
        **tileshop_env,
        "PYTHONPATH": str(PROJECT_ROOT),
        "TILESHOP_SITEMAP_URL": "http://127.0.0.1:9/sitemap.xml",
    }
    proc = subprocess.Popen(
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
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited with code {proc.returncode}")
            try:
                body = httpx.post(url, json={"query": "{ repositoriesOrError { __typename } }"}, timeout=5).json()
                if body.get("data", {}).get("repositoriesOrError", {}).get("__typename") == "RepositoryConnection":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("dagster-webserver did not load the code location within 180 s")
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_launch_and_watch_the_acquisition_job(index_url, dagster_graphql):
    with app_client(index_url, settings_for(dagster_graphql_url=dagster_graphql)) as client:
        launched = client.post("/api/acquisition/start", headers=AUTH)
        assert launched.status_code == 202, launched.text
        run = launched.json()
        assert run["job"] == "sitemap_refresh" and run["location"] == "tileshop_pipelines"
        # dagster.yaml's QueuedRunCoordinator queues the run for the daemon
        assert run["status"] in ("QUEUED", "NOT_STARTED", "STARTING", "STARTED")

        one = client.get("/api/acquisition/status", params={"run_id": run["run_id"]}, headers=AUTH).json()
        assert one["runs"][0]["run_id"] == run["run_id"] and one["runs"][0]["job"] == "sitemap_refresh"
        latest = client.get("/api/acquisition/status", headers=AUTH).json()
        assert run["run_id"] in [r["run_id"] for r in latest["runs"]]
        assert client.get("/api/acquisition/status", params={"run_id": "not a run id"}, headers=AUTH).status_code == 422


def test_unknown_job_is_a_clear_502(index_url, dagster_graphql):
    settings = settings_for(dagster_graphql_url=dagster_graphql, acquisition_job="no_such_job")
    with app_client(index_url, settings) as client:
        response = client.post("/api/acquisition/start", headers=AUTH)
    assert response.status_code == 502 and "no_such_job" in response.json()["detail"]


def test_detailed_health_is_200_when_everything_is_up(index_url, dagster_graphql):
    with app_client(index_url, settings_for(dagster_graphql_url=dagster_graphql)) as client:
        response = client.get("/api/system/detailed-health", headers=ADMIN)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "healthy", body
    assert body["components"]["dagster"]["message"].startswith("Dagster ")
