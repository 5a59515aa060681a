"""Dagster's own commands on this checkout with nothing exported (no DAGSTER_HOME, DATABASE_URL or
DAGSTER_PG_URL), as a fresh clone after `make setup` runs them: the root dagster.yaml's storage
(instance.py) starts the embedded database, migrates it and exports it to the processes Dagster
starts. `dg check defs`, `dg list defs`, `dg launch`, and `dg dev` / `dagster dev` answering over
HTTP as `make ui` does. Each test's state folder is its own (TILESHOP_HOME), so its embedded server
is too."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines.instance import ProjectStorage, storage_url
from tileshop_pipelines.store import db

from .support.ports import free_port
from .support.sample_site import environment

SNAPSHOT = Path(__file__).with_name("snapshots") / "definitions.json"
ASSETS = sorted(json.loads(SNAPSHOT.read_text())["assets"])
BIN = Path(sys.executable).parent


def _ctrl_c_as_in_a_terminal() -> None:
    """The child's SIGINT at its default, as a terminal's command has it. A suite started in the
    background by a script (`make test &` without job control) runs with SIGINT ignored, the child
    inherits that, Python then installs no KeyboardInterrupt handler, and `dagster dev` never hears
    the Ctrl-C the test sends (seen here: 90 s without a line in its log)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_with_a_database_configured_the_storage_uses_it_and_leaves_its_schema_to_the_release(make_database):
    """DATABASE_URL set (a deployment, or a `tileshop` command's children): Dagster's storage on it,
    or on DAGSTER_PG_URL when that is set; exported for the processes started from here; our schema
    left alone (the release command migrates it, before any machine starts)."""
    url = make_database()
    with environment({"DATABASE_URL": url}):
        os.environ.pop("DAGSTER_PG_URL", None)
        assert storage_url() == bootstrap.dagster_storage_url(url)
        assert os.environ["DAGSTER_PG_URL"] == bootstrap.dagster_storage_url(url)
        storage = ProjectStorage.from_config_value(None, {})
        assert storage.postgres_url == bootstrap.dagster_storage_url(url)
        os.environ["DAGSTER_PG_URL"] = "postgresql+psycopg2://dagster@elsewhere/dagster"
        assert storage_url() == "postgresql+psycopg2://dagster@elsewhere/dagster"
    with db.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('public.schema_migrations')").fetchone()[0] is None
    assert ProjectStorage.config_type() == {}  # nothing in the instance's reference: no URL, no password


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The environment of a shell with nothing exported (PATH and HOME only), plus this checkout's
    code ahead of any installed copy and a state folder of the module's own; its embedded server
    stopped at the end."""
    home = tmp_path_factory.mktemp("state")
    user = tmp_path_factory.mktemp("user")
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(user),
        "PYTHONPATH": str(bootstrap.PROJECT_ROOT),
        "TILESHOP_HOME": str(home),
    }
    before = _temporary_homes()
    yield {"env": env, "home": home}
    db.stop_embedded(home)
    assert _temporary_homes() == before  # Dagster's temporary DAGSTER_HOMEs are gone with their commands


def _temporary_homes() -> set[Path]:
    return set(bootstrap.PROJECT_ROOT.glob(".tmp_dagster_home_*"))


def _run(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        env=env,
        cwd=bootstrap.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _database(home: Path) -> str:
    return db.embedded_database_url(home)


@pytest.mark.slow
def test_dg_check_defs_and_list_defs(clean):
    checked = _run(["dg", "check", "defs"], clean["env"])
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert "All definitions loaded successfully." in checked.stdout + checked.stderr
    # The instance it checked on is the embedded server in the state folder, migrated.
    assert (clean["home"] / "pg" / "PG_VERSION").exists()
    with db.connect(_database(clean["home"])) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"runs", "event_logs", "schema_migrations", "sitemap_urls", "product_vectors"} <= tables

    listed = _run(["dg", "list", "defs", "--json"], clean["env"])
    assert listed.returncode == 0, listed.stderr[-3000:]
    defs = json.loads(listed.stdout)
    assert sorted(a["asset_key"] for a in defs["assets"]) == ASSETS
    assert all(a["owners"] == [{"team": "catalog"}] and a["kinds"] for a in defs["assets"])
    assert {j["name"] for j in defs["jobs"]} >= {"sitemap_refresh", "product_crawl", "index_refresh"}
    assert {s["name"] for s in defs["sensors"]} >= {"product_refresh_sensor", "follow_upstream_sensor"}


@pytest.fixture(scope="module")
def launched(clean) -> dict:
    """`dg launch --assets sitemap_urls` over a 24-product sample catalog, and what it left in the
    state folder's database."""
    from tileshop_pipelines.sample_catalog import CatalogServer, build_catalog

    with CatalogServer(build_catalog(n_products=24, seed=31), port=0) as server:
        env = {**clean["env"], "TILESHOP_SITEMAP_URL": f"{server.base_url}/sitemap.xml"}
        result = _run(["dg", "launch", "--assets", "sitemap_urls"], env)
    assert result.returncode == 0, result.stderr[-3000:]
    with db.connect(_database(clean["home"])) as conn:
        runs = conn.execute("SELECT run_id, status FROM runs").fetchall()
        listed = conn.execute("SELECT count(*) FROM sitemap_urls WHERE product_key IS NOT NULL").fetchone()[0]
    return {"runs": runs, "listed": listed}


@pytest.mark.slow
def test_dg_launch_materializes_on_the_embedded_database(launched):
    [(_, status)] = launched["runs"]  # Dagster's run, in the same database as the rows it wrote
    assert status == "SUCCESS" and launched["listed"] == 24


GRAPHQL = """{
  instance { info }
  assetNodes { assetKey { path } }
  workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } }
  runsOrError { ... on Runs { results { runId status } } }
}"""


@pytest.mark.slow
@pytest.mark.parametrize("command", [["dg", "dev"], ["dagster", "dev"]], ids=["dg dev", "dagster dev"])
def test_the_ui_serves_the_project_on_the_embedded_database(clean, launched, command):
    """`dg dev` (and `dagster dev` from the root, pyproject's [tool.dagster]) serve the UI as `make
    ui` does: the code location loaded, its assets, and the run `dg launch` made, from the same
    database. Automation off: the sensors would start crawling the sample catalog listed above."""
    port = free_port()
    env = {**clean["env"], "TILESHOP_AUTOMATION": "off"}
    log = (clean["home"] / f"{command[0]}-dev.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / command[0]), *command[1:], "-h", "127.0.0.1", "-p", str(port)],
        env=env,
        cwd=bootstrap.PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )
    try:
        data = _wait_for_location(f"http://127.0.0.1:{port}", proc, log.name)
        assert httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=30).status_code == 200
        assert sorted(node["assetKey"]["path"][0] for node in data["assetNodes"]) == ASSETS
        assert "PostgresRunStorage" in data["instance"]["info"]
        assert "max_runtime_seconds: 7200" in data["instance"]["info"]  # the root dagster.yaml
        assert {(r["runId"], r["status"]) for r in data["runsOrError"]["results"]} == set(launched["runs"])
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: what `dagster dev` shuts down on
        try:
            proc.wait(timeout=90)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()
    assert proc.returncode == 0


def _wait_for_location(url: str, proc: subprocess.Popen, log_path: str, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the UI exited: {Path(log_path).read_text()[-3000:]}")
        try:
            body = httpx.post(f"{url}/graphql", json={"query": GRAPHQL}, timeout=30).json()
            [entry] = body["data"]["workspaceOrError"]["locationEntries"]
            if entry["name"] == "tileshop_pipelines" and entry["loadStatus"] == "LOADED" and body["data"]["assetNodes"]:
                return body["data"]
        except (httpx.HTTPError, KeyError, TypeError, ValueError):
            pass
        time.sleep(1)
    raise RuntimeError(f"the UI did not load the code location: {Path(log_path).read_text()[-3000:]}")
