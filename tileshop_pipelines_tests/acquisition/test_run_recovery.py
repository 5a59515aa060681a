"""A dead run's slot in the `crawl` pool is recovered without a daemon."""

import os
import subprocess
import sys

import dagster as dg

from tileshop_pipelines.defs.run_recovery import HOST_TAG, PID_TAG, process_gone, recover_dead_runs


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
        instance.handle_run_event(run.run_id, dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_START.value, job_name=run.job_name))
    storage = instance.event_log_storage
    claim = storage.claim_concurrency_slot("crawl", dead_run.run_id, "crawl_step")
    assert claim.is_claimed
    assert not storage.claim_concurrency_slot("crawl", "next-run", "crawl_step").is_claimed  # blocked

    recovered = recover_dead_runs(instance)
    assert recovered == {"failed": [dead_run.run_id], "slots_freed": sorted([dead_run.run_id, "next-run"])}
    assert instance.get_run_by_id(dead_run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive_run.run_id).status == dg.DagsterRunStatus.STARTED
    assert storage.claim_concurrency_slot("crawl", "next-run", "crawl_step").is_claimed


CRAWL = """
import dagster as dg
from tileshop_pipelines.local_runs import crawl_all_products
with dg.DagsterInstance.get() as instance:
    crawl_all_products(instance)
"""


def _count(url: str, query: str) -> int:
    from tileshop_pipelines.store import db

    with db.connect(url) as conn:
        return conn.execute(query).fetchone()[0]


def test_a_run_that_lost_postgres_mid_crawl_is_recovered_by_the_next_process(tileshop_env, server_url, monkeypatch):
    """`tileshop run`'s crawl (local_runs, no daemon) with Postgres cut mid-crawl: its process gives up
    with the run still STARTED and its `crawl` slot held; the next process fails it, frees the slot and
    completes, every product stored once."""
    import time
    from urllib.parse import unquote, urlsplit

    from tileshop_pipelines.local_runs import refresh_sitemap
    from tileshop_pipelines.sample_catalog import CatalogServer, build_catalog
    from tileshop_pipelines.store import db
    from tileshop_pipelines_tests.pg_proxy import PostgresProxy

    catalog = build_catalog(n_products=40, seed=17)
    with CatalogServer(catalog, port=0) as server:
        for name, value in {"TILESHOP_SITEMAP_URL": f"{server.base_url}/sitemap.xml", "TILESHOP_CRAWL_RATE": "20",
                            "TILESHOP_AUTOMATION": "off"}.items():
            monkeypatch.setenv(name, value)
        database = tileshop_env["DATABASE_URL"]
        proxy = PostgresProxy(server_url)
        via_proxy = proxy.url(database)  # our tables and Dagster's storage: the run's whole Postgres
        env = {**os.environ, "PYTHONPATH": str(db.PROJECT_ROOT), "DATABASE_URL": via_proxy,
               "DAGSTER_PG_URL": db.dagster_storage_url(via_proxy)}
        try:
            with dg.DagsterInstance.get() as instance:
                refresh_sitemap(instance, raise_on_error=True)
                listed = len(instance.get_dynamic_partitions("product"))
                first = subprocess.Popen([sys.executable, "-c", CRAWL], env=env, cwd=db.PROJECT_ROOT,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                deadline = time.monotonic() + 120
                while _count(database, "SELECT count(*) FROM product_pages") < 10:
                    assert first.poll() is None and time.monotonic() < deadline, "the crawl ended before the cut"
                    time.sleep(0.05)
                proxy.cut()
                cut_at = time.monotonic()
                # Dagster's storage retries a lost connection (two rounds of 5, ~12 s each), then the
                # process exits: it cannot record its own failure.
                assert first.wait(timeout=60) != 0
                gave_up_after = time.monotonic() - cut_at
                assert "too many retries for DB connection" in first.stderr.read()
                stored = _count(database, "SELECT count(*) FROM product_pages")
                assert 10 <= stored < listed
                [dead] = instance.get_runs(dg.RunsFilter(job_name="product_crawl"))
                assert dead.status == dg.DagsterRunStatus.STARTED  # what the outage left behind
                assert dead.run_id in instance.event_log_storage.get_concurrency_run_ids()  # its slot held

                with db.connect(database) as conn:
                    stored_paths = {unquote(urlsplit(u).path) for (u,) in conn.execute("SELECT url FROM product_pages")}
                hits_before = {path: server.hits[path] for path in stored_paths}

                proxy.restore()
                started = time.monotonic()
                second = subprocess.run([sys.executable, "-c", CRAWL], env=env, cwd=db.PROJECT_ROOT,
                                        capture_output=True, text=True, timeout=120)
                recovered_in = time.monotonic() - started
                assert second.returncode == 0, second.stderr[-3000:]
                print(f"cut after {stored}/{listed} pages; the process gave up {gave_up_after:.1f} s later; "
                      f"the next run recovered it and completed in {recovered_in:.1f} s")

                failed = instance.get_run_by_id(dead.run_id)
                assert failed.status == dg.DagsterRunStatus.FAILURE
                assert dead.run_id not in instance.event_log_storage.get_concurrency_run_ids()
                [after] = [r for r in instance.get_runs(dg.RunsFilter(job_name="product_crawl")) if r.run_id != dead.run_id]
                assert after.status == dg.DagsterRunStatus.SUCCESS
                assert {path: server.hits[path] for path in stored_paths} == hits_before  # not fetched again
        finally:
            proxy.close()

    for table in ("product_pages", "products", "product_history"):  # one version each: none lost or duplicated
        assert _count(database, f"SELECT count(*) FROM {table}") == listed, table
    assert _count(database, "SELECT count(DISTINCT product_key) FROM products") == listed
