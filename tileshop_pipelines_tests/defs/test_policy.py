"""The run guardrails (defs/policy.py, dagster.yaml): every job and the automation sensor's runs
have a max runtime; lost sitemap and index runs are launched again by a real daemon, crawl runs and
steps that failed on their own are not."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest
import yaml

from tileshop_pipelines import bootstrap
from tileshop_pipelines.defs.policy import (
    BACKUP_RUN_TAGS,
    CRAWL_RUN_TAGS,
    INDEX_RUN_TAGS,
    MAX_RETRIES,
    MAX_RUNTIME,
    SITEMAP_RUN_TAGS,
)

INSTANCE = yaml.safe_load((bootstrap.PROJECT_ROOT / "dagster.yaml").read_text())


@pytest.fixture(scope="module")
def loaded() -> dg.Definitions:
    from tileshop_pipelines.definitions import defs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return defs()


def test_every_job_has_its_guardrails(loaded):
    jobs = {job.name: job for job in loaded.resolve_all_job_defs() if not job.name.startswith("__")}
    assert {name: {k: job.tags[k] for k in (MAX_RUNTIME, MAX_RETRIES)} for name, job in jobs.items()} == {
        "product_crawl": CRAWL_RUN_TAGS,
        "sitemap_refresh": SITEMAP_RUN_TAGS,
        "index_refresh": INDEX_RUN_TAGS,
        "database_backup": BACKUP_RUN_TAGS,
    }
    for tags in (CRAWL_RUN_TAGS, SITEMAP_RUN_TAGS, INDEX_RUN_TAGS, BACKUP_RUN_TAGS):
        assert int(tags[MAX_RUNTIME]) > 0 and int(tags[MAX_RETRIES]) >= 0
    assert CRAWL_RUN_TAGS[MAX_RETRIES] == "0"  # the crawl sensor asks for a lost run's products again


def test_the_automation_sensors_runs_carry_the_index_guardrails(loaded):
    sensor = loaded.resolve_sensor_def("follow_upstream_sensor")
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.run_tags == INDEX_RUN_TAGS


def test_the_instance_bounds_untagged_runs_and_retries_only_what_asks():
    """A run launched without the tag (an asset from the UI) gets the longest bound; run retries are
    on, opt-in per job (default 0), and never for a step that failed on its own."""
    assert INSTANCE["run_monitoring"]["enabled"]
    assert INSTANCE["run_monitoring"]["max_runtime_seconds"] == max(
        int(tags[MAX_RUNTIME]) for tags in (CRAWL_RUN_TAGS, SITEMAP_RUN_TAGS, INDEX_RUN_TAGS)
    )
    assert INSTANCE["run_retries"] == {"enabled": True, "max_retries": 0, "retry_on_asset_or_op_failure": False}


def test_dagster_yaml_names_no_private_module():
    text = (bootstrap.PROJECT_ROOT / "dagster.yaml").read_text()
    assert "dagster._" not in text
    assert INSTANCE["storage"] == {"custom": {"module": "tileshop_pipelines.instance", "class": "ProjectStorage"}}
    assert INSTANCE["run_queue"] == {"dequeue_interval_seconds": 1}


def _launch(job: str, tags: dict[str, str], env: dict[str, str], config: dict | None = None) -> None:
    """Submit a run to the instance's queue (as the schedule or a sensor would)."""
    launched = subprocess.run(
        [
            str(Path(sys.executable).with_name("dagster")),
            "job",
            "launch",
            "-w",
            str(bootstrap.PROJECT_ROOT / "workspace.yaml"),
            "-j",
            job,
            "--tags",
            json.dumps(tags),
            "--config-json",
            json.dumps(config or {}),
        ],
        env=env,
        cwd=bootstrap.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert launched.returncode == 0, launched.stderr[-3000:]


def _wait(condition, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)
    return value


def _one_new_run(instance: dg.DagsterInstance, job: str, known: set[str]) -> dg.DagsterRun:
    [run] = _wait(
        lambda: [r for r in instance.get_runs(dg.RunsFilter(job_name=job)) if r.run_id not in known],
        180,
        f"the {job} run",
    )
    return run


def _children(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[dg.DagsterRun]:
    return instance.get_runs(dg.RunsFilter(tags={"dagster/parent_run_id": run.run_id}))


def _kill_worker(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    """SIGKILL the run's worker, as an OOM kill would, once it has started."""

    def pid():
        for event in instance.all_logs(run.run_id):
            if match := re.search(r"Started process for run \(pid: (\d+)\)", event.message or ""):
                return int(match.group(1))
        return None

    os.kill(_wait(pid, 180, f"{run.job_name}'s worker to start"), signal.SIGKILL)


@pytest.mark.slow
def test_a_lost_sitemap_run_is_retried_and_a_lost_crawl_run_or_a_failed_step_is_not(
    tileshop_env, make_database, monkeypatch, tmp_path
):
    """A real dagster-daemon on dagster.yaml as configured (run monitoring polled every second
    instead of 120). A sitemap run whose worker is killed (an OOM kill) is failed by run monitoring
    at its max runtime (shortened to 6 s by a run tag: the default launcher cannot check a worker's
    health) and launched again from its step by run retries, and succeeds; a crawl run lost the same
    way is not retried (the crawl sensor asks for its products again); a sitemap run whose step fails
    on its own (the site answers 500) is not retried either."""
    from tileshop_pipelines.local_runs import refresh_sitemap
    from tileshop_pipelines.sample_catalog import CatalogServer, build_catalog
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.migrations import migrate

    url = make_database()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DAGSTER_PG_URL", bootstrap.dagster_storage_url(url))
    with db.connect(url) as conn:
        migrate(conn)
    config = dict(INSTANCE)
    config["run_monitoring"] = {**INSTANCE["run_monitoring"], "poll_interval_seconds": 1}
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    catalog = build_catalog(n_products=24, seed=23)
    with CatalogServer(catalog, port=0) as server:
        for name, value in {
            "TILESHOP_SITEMAP_URL": f"{server.base_url}/sitemap.xml",
            "TILESHOP_CRAWL_RATE": "20",
            "TILESHOP_AUTOMATION": "off",
        }.items():
            monkeypatch.setenv(name, value)
        env = {**os.environ, "PYTHONPATH": str(bootstrap.PROJECT_ROOT)}
        with dg.DagsterInstance.get() as instance:
            refresh_sitemap(instance, raise_on_error=True)  # the product partitions, for the crawl run
            known = {r.run_id for r in instance.get_runs()}
            daemon = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("dagster-daemon")),
                    "run",
                    "-w",
                    str(bootstrap.PROJECT_ROOT / "workspace.yaml"),
                ],
                env=env,
                cwd=bootstrap.PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                # 1. A sitemap run whose worker dies: failed at its max runtime, then retried.
                server.faults.set_slow("/sitemap.xml", 60)
                _launch("sitemap_refresh", {MAX_RUNTIME: "6"}, env)
                lost = _one_new_run(instance, "sitemap_refresh", known)
                assert lost.tags[MAX_RETRIES] == SITEMAP_RUN_TAGS[MAX_RETRIES]  # the job's, beside the run's own
                _kill_worker(instance, lost)
                server.faults.clear()  # the site answers again for the retry
                _wait(lambda: instance.get_run_by_id(lost.run_id).is_finished, 120, "run monitoring to end it")
                assert instance.get_run_by_id(lost.run_id).status == dg.DagsterRunStatus.FAILURE
                [retry] = _wait(lambda: _children(instance, lost), 120, "run retries to launch it again")
                assert retry.tags["dagster/retry_number"] == "1"
                retried = _wait(
                    lambda: (r := instance.get_run_by_id(retry.run_id)).is_finished and r, 180, "the retry to finish"
                )
                assert retried.status == dg.DagsterRunStatus.SUCCESS
                known |= {lost.run_id, retry.run_id}

                # 2. A crawl run lost the same way: not retried.
                keys = instance.get_dynamic_partitions("product")
                with db.connect(url) as conn:
                    pages = [
                        urlsplit(u).path
                        for (u,) in conn.execute("SELECT url FROM sitemap_urls WHERE product_key IS NOT NULL")
                    ]
                for path in pages:  # the site answers every product page in a minute
                    server.faults.set_slow(path, 60)
                _launch(
                    "product_crawl",
                    {
                        MAX_RUNTIME: "6",
                        "dagster/asset_partition_range_start": keys[0],
                        "dagster/asset_partition_range_end": keys[-1],
                    },
                    env,
                )
                crawl = _one_new_run(instance, "product_crawl", known)
                _kill_worker(instance, crawl)
                server.faults.clear()
                _wait(lambda: instance.get_run_by_id(crawl.run_id).is_finished, 120, "run monitoring to end it")
                assert instance.get_run_by_id(crawl.run_id).status == dg.DagsterRunStatus.FAILURE
                assert (
                    _wait(
                        lambda: instance.get_run_by_id(crawl.run_id).tags.get("dagster/will_retry"),
                        60,
                        "the retry daemon's decision",
                    )
                    == "false"
                )
                known.add(crawl.run_id)

                # 3. A sitemap run whose step fails on its own: not retried.
                server.faults.set_status("/sitemap.xml", 500)
                _launch("sitemap_refresh", {}, env)
                failed = _one_new_run(instance, "sitemap_refresh", known)
                _wait(lambda: instance.get_run_by_id(failed.run_id).is_finished, 180, "the run to fail")
                assert instance.get_run_by_id(failed.run_id).status == dg.DagsterRunStatus.FAILURE
                assert (
                    _wait(
                        lambda: instance.get_run_by_id(failed.run_id).tags.get("dagster/will_retry"),
                        60,
                        "the retry daemon's decision",
                    )
                    == "false"
                )
                time.sleep(12)  # two of the retry daemon's 5 s ticks
                assert _children(instance, crawl) == [] and _children(instance, failed) == []
            finally:
                daemon.terminate()
                daemon.wait(timeout=60)
                with contextlib.suppress(ProcessLookupError):  # its code server and run workers too
                    os.killpg(daemon.pid, signal.SIGKILL)
