"""What the deployed processes rely on: the names a deployment sets (CRAWLER_URL with its Fly
default, DATA_PATH), the release command (ours and Dagster's migrations, idempotent), the ONNX
export made ahead of time, and the daemon's liveness endpoint and restart recovery."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import dagster as dg
import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines.settings import load_settings
from tileshop_pipelines.store import db


def test_crawler_url_is_one_name_with_no_default_in_code():
    """On Fly both fly.toml files set CRAWLER_URL (test_fly_config); the code defaults nothing."""
    from rag_app.config import load_settings as app_settings

    assert load_settings({}).crawler_url is None
    assert load_settings({"FLY_APP_NAME": "tileshop-pipelines"}).crawler_url is None
    assert load_settings({"CRAWLER_URL": "http://crawler:1/"}).crawler_url == "http://crawler:1"
    assert app_settings({}).crawler_url is None
    assert app_settings({"FLY_APP_NAME": "tileshop-app"}).crawler_url is None
    assert app_settings({"CRAWLER_URL": "http://crawler:1/"}).crawler_url == "http://crawler:1"
    assert app_settings({"TILESHOP_CRAWLER_URL": "http://old:1"}).crawler_url is None  # the old name is gone


def test_data_path_names_the_state_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path / "checkout"))
    monkeypatch.setenv("DATA_PATH", str(tmp_path / "data"))
    assert bootstrap.tileshop_home() == (tmp_path / "data").resolve()
    monkeypatch.setenv("DATA_PATH", " ")
    assert bootstrap.tileshop_home() == (tmp_path / "checkout").resolve()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tileshop_pipelines.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(bootstrap.PROJECT_ROOT), **env},
        cwd=bootstrap.PROJECT_ROOT,
        timeout=300,
    )


@pytest.mark.slow
def test_db_migrate_applies_ours_and_dagsters_migrations_idempotently(make_database, tmp_path):
    env = {"DATABASE_URL": make_database(), "DATA_PATH": str(tmp_path), "DAGSTER_HOME": "", "DAGSTER_PG_URL": ""}
    first = _cli("db", "migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied 001")
    assert "dagster: Updating run storage..." in first.stdout  # `dagster instance migrate`'s work
    again = _cli("db", "migrate", env=env)
    assert again.returncode == 0, again.stderr
    assert "schema up to date: nothing to apply" in again.stdout and "dagster: Updating run storage" in again.stdout
    # With DIRECT_DATABASE_URL set (Fly Managed Postgres' direct URL) the release command uses it:
    # here DATABASE_URL (the pooler's) leads nowhere.
    direct = _cli(
        "db",
        "migrate",
        env={**env, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "DIRECT_DATABASE_URL": env["DATABASE_URL"]},
    )
    assert direct.returncode == 0, direct.stderr
    assert "schema up to date: nothing to apply" in direct.stdout
    with db.connect(env["DATABASE_URL"]) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"runs", "event_logs", "alembic_version", "schema_migrations", "product_vectors"} <= tables


@pytest.mark.slow
def test_model_prepare_makes_the_onnx_export_once(tmp_path):
    env = {"DATA_PATH": str(tmp_path)}
    first = _cli("model", "prepare", env=env)
    assert first.returncode == 0, first.stderr
    assert "exported in" in first.stdout
    exports = list((tmp_path / "onnx").glob("*/model.onnx"))
    assert len(exports) == 1 and exports[0].stat().st_size > 1_000_000
    again = _cli("model", "prepare", env=env)
    assert again.returncode == 0 and "already there" in again.stdout
    assert list((tmp_path / "onnx").glob("*/model.onnx")) == exports


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_daemon_liveness_endpoint_on_ipv4_and_ipv6():
    from tileshop_pipelines.daemon import serve_liveness

    state = {"live": False}

    def is_live():
        if state["live"] is None:
            raise RuntimeError("database down")
        return state["live"]

    server = serve_liveness("::", 0, is_live)
    port = server.server_address[1]
    try:
        for host in ("127.0.0.1", "[::1]"):
            state["live"] = False
            assert _get(f"http://{host}:{port}/health") == (503, "not live\n")
            state["live"] = True
            assert _get(f"http://{host}:{port}/health") == (200, "live\n")
            state["live"] = None
            assert _get(f"http://{host}:{port}/health")[0] == 503
        assert _get(f"http://127.0.0.1:{port}/other")[0] == 404
    finally:
        server.shutdown()


def test_a_restarted_daemon_fails_the_runs_its_predecessor_left_started():
    from tileshop_pipelines.defs.run_recovery import HOST_TAG, PID_TAG, fail_orphaned_daemon_runs

    with dg.DagsterInstance.ephemeral() as instance:

        def add(status, tags=None):
            run = dg.DagsterRun(job_name="crawl", run_id=str(uuid.uuid4()), status=status, tags=tags or {})
            instance.add_run(run)
            return run.run_id

        orphan = add(dg.DagsterRunStatus.STARTED)
        queued = add(dg.DagsterRunStatus.NOT_STARTED)  # not launched yet: the new daemon launches it
        done = add(dg.DagsterRunStatus.SUCCESS)
        in_process = add(dg.DagsterRunStatus.STARTED, {HOST_TAG: "elsewhere", PID_TAG: "1"})
        assert fail_orphaned_daemon_runs(instance) == [orphan]
        status = {run_id: instance.get_run_by_id(run_id).status for run_id in (orphan, queued, done, in_process)}
        assert status == {
            orphan: dg.DagsterRunStatus.FAILURE,
            queued: dg.DagsterRunStatus.NOT_STARTED,
            done: dg.DagsterRunStatus.SUCCESS,
            in_process: dg.DagsterRunStatus.STARTED,
        }
        assert fail_orphaned_daemon_runs(instance) == []


def test_the_webserver_renews_its_held_connection_before_the_proxy_closes_it():
    """`tileshop webserver`'s arguments parse as dagster-webserver's own, its storage connection
    recycled after store/db.py's idle bound (Fly's proxy closes idle connections)."""
    from dagster_webserver.cli import dagster_webserver

    from tileshop_pipelines.cli.run import webserver_arguments

    arguments = webserver_arguments("::", 3000)
    context = dagster_webserver.make_context("dagster-webserver", list(arguments))
    assert context.params["db_pool_recycle"] == db.CONNECTION_MAX_IDLE_S < 300
    assert context.params["port"] == 3000
