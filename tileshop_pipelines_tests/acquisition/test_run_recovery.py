"""A dead run's slot in the `crawl` pool is recovered without a daemon."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines.defs.run_recovery import (
    HOST_TAG,
    IN_PROGRESS_STATUSES,
    PID_TAG,
    pid_alive,
    process_gone,
    recover_dead_runs,
)
from tileshop_pipelines_tests.acquisition.crawl_process import CRAWL, count


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_a_process_of_this_host_that_is_gone_counts_as_dead():
    dead = str(_dead_pid())
    assert process_gone({HOST_TAG: "h", PID_TAG: dead}, "h")
    assert not process_gone({HOST_TAG: "h", PID_TAG: str(os.getpid())}, "h")  # this process
    assert not process_gone({HOST_TAG: "other", PID_TAG: dead}, "h")  # cannot be judged from here
    assert not process_gone({}, "h") and not process_gone({HOST_TAG: "h", PID_TAG: "x"}, "h")


def test_in_progress_is_what_dagster_counts_as_in_progress():
    """run_recovery spells Dagster's private IN_PROGRESS_RUN_STATUSES in the public enum; an upgrade
    that changes Dagster's set fails here."""
    from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

    assert set(IN_PROGRESS_STATUSES) == set(IN_PROGRESS_RUN_STATUSES)


def test_a_killed_runs_slot_is_freed_and_the_run_marked_failed():
    import socket

    instance = dg.DagsterInstance.ephemeral()
    instance.event_log_storage.set_concurrency_slots("crawl", 1)

    @dg.op(pool="crawl")
    def crawl_step():
        return None

    @dg.job
    def job():
        crawl_step()

    alive_run = instance.create_run_for_job(job, tags={HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())})
    dead_run = instance.create_run_for_job(job, tags={HOST_TAG: socket.gethostname(), PID_TAG: str(_dead_pid())})
    for run in (alive_run, dead_run):
        instance.handle_run_event(
            run.run_id, dg.DagsterEvent(event_type_value=dg.DagsterEventType.RUN_START.value, job_name=run.job_name)
        )
    storage = instance.event_log_storage
    claim = storage.claim_concurrency_slot("crawl", dead_run.run_id, "crawl_step")
    assert claim.is_claimed
    assert not storage.claim_concurrency_slot("crawl", "next-run", "crawl_step").is_claimed  # blocked

    recovered = recover_dead_runs(instance)
    assert recovered == {"failed": [dead_run.run_id], "slots_freed": sorted([dead_run.run_id, "next-run"])}
    assert instance.get_run_by_id(dead_run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive_run.run_id).status == dg.DagsterRunStatus.STARTED
    assert storage.claim_concurrency_slot("crawl", "next-run", "crawl_step").is_claimed


@pytest.fixture
def own_database(tileshop_env, make_database, monkeypatch) -> str:
    """tileshop_env with a database of this test's own (the module's tests each crawl a catalog)."""
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.migrations import migrate

    url = make_database()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DAGSTER_PG_URL", bootstrap.dagster_storage_url(url))
    with db.connect(url) as conn:
        migrate(conn)
    return url


@pytest.mark.slow
def test_a_run_that_lost_postgres_mid_crawl_is_recovered_by_the_next_process(own_database, server_url, monkeypatch):
    """`tileshop run`'s crawl (local_runs, no daemon) loses Postgres mid-crawl (a proxy between it and
    the server is cut) and the next run starts at once, in another process that reaches Postgres: the
    first process is still alive, retrying, so the next run cannot judge it dead and waits for the
    `crawl` slot; when the first gives up (the run still STARTED, its slot held), the waiting run fails
    it, frees the slot and completes, every product stored once."""
    import time
    from urllib.parse import unquote

    from tileshop_pipelines.local_runs import refresh_sitemap
    from tileshop_pipelines.sample_catalog import CatalogServer, build_catalog
    from tileshop_pipelines.store import db
    from tileshop_pipelines_tests.pg_proxy import PostgresProxy

    catalog = build_catalog(n_products=40, seed=17)
    with CatalogServer(catalog, port=0) as server:
        for name, value in {
            "TILESHOP_SITEMAP_URL": f"{server.base_url}/sitemap.xml",
            "TILESHOP_CRAWL_RATE": "10",
            "TILESHOP_AUTOMATION": "off",
        }.items():
            monkeypatch.setenv(name, value)
        database = own_database
        proxy = PostgresProxy(server_url)
        via_proxy = proxy.url(database)  # our tables and Dagster's storage: the run's whole Postgres
        env = {**os.environ, "PYTHONPATH": str(bootstrap.PROJECT_ROOT)}
        procs: list[subprocess.Popen] = []
        try:
            with dg.DagsterInstance.get() as instance:
                refresh_sitemap(instance, raise_on_error=True)
                listed = len(instance.get_dynamic_partitions("product"))
                procs.append(
                    first := subprocess.Popen(
                        [sys.executable, "-c", CRAWL],
                        cwd=bootstrap.PROJECT_ROOT,
                        env={
                            **env,
                            "DATABASE_URL": via_proxy,
                            "DAGSTER_PG_URL": bootstrap.dagster_storage_url(via_proxy),
                        },
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )
                deadline = time.monotonic() + 120
                while count(database, "SELECT count(*) FROM product_pages") < 10:
                    assert first.poll() is None and time.monotonic() < deadline, "the crawl ended before the cut"
                    time.sleep(0.05)
                proxy.cut()
                cut_at = time.monotonic()
                stored = count(database, "SELECT count(*) FROM product_pages")
                assert 10 <= stored < listed
                with db.connect(database) as conn:
                    stored_paths = {unquote(urlsplit(u).path) for (u,) in conn.execute("SELECT url FROM product_pages")}
                hits_before = {path: server.hits[path] for path in stored_paths}

                procs.append(
                    second := subprocess.Popen(
                        [sys.executable, "-c", CRAWL],
                        env=env,
                        cwd=bootstrap.PROJECT_ROOT,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )
                # Dagster's storage retries a lost connection (rounds of 5 with backoff), then the
                # process exits: it cannot record its own failure.
                assert first.wait(timeout=90) != 0
                gave_up_after = time.monotonic() - cut_at
                assert "too many retries for DB connection" in first.stderr.read()
                [dead] = [
                    r
                    for r in instance.get_runs(dg.RunsFilter(job_name="product_crawl"))
                    if r.tags[PID_TAG] == str(first.pid)
                ]
                proxy.restore()

                assert second.wait(timeout=90) == 0, second.stderr.read()[-3000:]
                completed_after = time.monotonic() - cut_at
                print(
                    f"cut after {stored}/{listed} pages; the cut process gave up {gave_up_after:.1f} s later; "
                    f"the run started at the cut completed {completed_after:.1f} s after it"
                )

                assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
                assert dead.run_id not in instance.event_log_storage.get_concurrency_run_ids()
                [after] = [
                    r for r in instance.get_runs(dg.RunsFilter(job_name="product_crawl")) if r.run_id != dead.run_id
                ]
                assert after.status == dg.DagsterRunStatus.SUCCESS
                assert {path: server.hits[path] for path in stored_paths} == hits_before  # not fetched again
        finally:
            proxy.close()
            for proc in procs:  # a failed assertion leaves none behind
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    for table in ("product_pages", "products", "product_history"):  # one version each: none lost or duplicated
        assert count(database, f"SELECT count(*) FROM {table}") == listed, table
    assert count(database, "SELECT count(DISTINCT product_key) FROM products") == listed


def _launch(job: str, keys: list[str], tags: dict[str, str], env: dict[str, str]) -> None:
    """Submit a crawl run to the instance's queue, as the sensor's RunRequest would."""
    import json

    tags = {**tags, "dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
    config = {"ops": {"crawl_products": {"config": {"product_keys": keys}}}}
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
            json.dumps(config),
        ],
        env=env,
        cwd=bootstrap.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert launched.returncode == 0, launched.stderr[-3000:]


def _wait(condition, timeout: float, what: str, every: float = 0.2):
    import time

    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)
    return value


@pytest.mark.slow
def test_a_run_past_its_max_runtime_is_failed_by_the_daemon_and_the_next_crawl_gets_the_slot(
    own_database, monkeypatch, tmp_path
):
    """A real dagster-daemon with dagster.yaml's run monitoring (poll and dequeue intervals shortened
    to 1 s; everything else as configured) and a crawl run with a short `dagster/max_runtime` against
    a slowed site: the run is failed, its worker stops, its `crawl` slot is freed, and the crawl run
    queued behind it completes."""
    import re
    import time

    import yaml

    from tileshop_pipelines.defs.policy import CRAWL_RUN_TAGS
    from tileshop_pipelines.local_runs import refresh_sitemap
    from tileshop_pipelines.sample_catalog import CatalogServer, build_catalog
    from tileshop_pipelines.store import db

    config = bootstrap.instance_config()  # dagster.yaml as DAGSTER_HOME gets it (no bucket here)
    assert config["run_monitoring"]["enabled"] and config["concurrency"]["pools"]["default_limit"] == 1
    config["run_monitoring"]["poll_interval_seconds"] = 1  # default 120
    assert config["run_queue"]["dequeue_interval_seconds"] == 1  # Dagster's default is 5
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    catalog = build_catalog(n_products=24, seed=19)
    with CatalogServer(catalog, port=0) as server:
        for name, value in {
            "TILESHOP_SITEMAP_URL": f"{server.base_url}/sitemap.xml",
            "TILESHOP_CRAWL_RATE": "20",
            "TILESHOP_AUTOMATION": "off",
        }.items():
            monkeypatch.setenv(name, value)
        env = {**os.environ, "PYTHONPATH": str(bootstrap.PROJECT_ROOT)}
        with dg.DagsterInstance.get() as instance:
            refresh_sitemap(instance, raise_on_error=True)
            keys = instance.get_dynamic_partitions("product")
            slow_keys, next_keys = keys[:8], keys[8:]
            with db.connect() as conn:
                slow_paths = [
                    urlsplit(u).path
                    for (u,) in conn.execute("SELECT url FROM sitemap_urls WHERE product_key = ANY(%s)", (slow_keys,))
                ]
            assert len(slow_paths) >= len(slow_keys)
            for path in slow_paths:  # the site answers these pages in 20 s each
                server.faults.set_slow(path, 20)

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
                _launch("product_crawl", slow_keys, {**CRAWL_RUN_TAGS, "dagster/max_runtime": "5"}, env)
                [slow] = instance.get_runs(dg.RunsFilter(job_name="product_crawl"))
                _wait(
                    lambda: slow.run_id in instance.event_log_storage.get_concurrency_run_ids(),
                    90,
                    "the slow run to hold the crawl slot",
                )
                _launch("product_crawl", next_keys, CRAWL_RUN_TAGS, env)
                [following] = [
                    r for r in instance.get_runs(dg.RunsFilter(job_name="product_crawl")) if r.run_id != slow.run_id
                ]

                finished = _wait(
                    lambda: instance.get_run_by_id(slow.run_id).is_finished, 60, "run monitoring to end the slow run"
                )
                ended_at = time.monotonic()
                record = instance.get_run_record_by_id(slow.run_id)
                assert record.dagster_run.status == dg.DagsterRunStatus.FAILURE
                overran = record.end_time - record.start_time
                messages = [e.message or "" for e in instance.all_logs(slow.run_id)]
                assert any("Exceeded maximum runtime of 5 seconds" in m for m in messages), messages[-10:]

                done = _wait(
                    lambda: instance.get_run_by_id(following.run_id).is_finished, 90, "the next crawl run to finish"
                )
                next_done_in = time.monotonic() - ended_at
                assert instance.get_run_by_id(following.run_id).status == dg.DagsterRunStatus.SUCCESS
                [step_start] = instance.all_logs(following.run_id, of_type=dg.DagsterEventType.STEP_START)
                assert step_start.timestamp > record.end_time - 1  # it waited for the slot
                assert slow.run_id not in instance.event_log_storage.get_concurrency_run_ids()

                # The timed-out run's worker is gone, not crawling on beside the next run.
                [pid] = [
                    int(m.group(1))
                    for m in (re.search(r"Started process for run \(pid: (\d+)\)", x) for x in messages)
                    if m
                ]
                _wait(lambda: not pid_alive(pid), 30, f"the timed-out run's worker (pid {pid}) to exit")
                print(
                    f"slow run failed {overran:.1f} s after its start (max_runtime 5 s); "
                    f"the next crawl run completed {next_done_in:.1f} s later"
                )
                assert finished and done
            finally:
                daemon.terminate()
                daemon.wait(timeout=60)
                with contextlib.suppress(ProcessLookupError):  # its code server and run workers too
                    os.killpg(daemon.pid, signal.SIGKILL)
        with db.connect() as conn:
            stored = {k for (k,) in conn.execute("SELECT product_key FROM products")}
        assert set(next_keys) <= stored
