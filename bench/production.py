"""The production path: a catalog refresh through `dagster-daemon` and sensor-launched runs.

The daemon is started first and runs until the sensors have ticked once (as in production, where it
is always up); then, per refresh:
1. full refresh: the sample catalog listed (sitemap_refresh, in process, as the daily schedule's run
   would), the product_refresh_sensor turns the new products into batched crawl runs at its next
   tick; follow_upstream_sensor then runs the index. Measured from the first crawl run's creation
   (the launch: the sensor's request; its wait in the queue and its worker's start included) and
   from the listing (the sensor's tick interval included) to every product's page checked (crawl)
   and every product in product_vectors (vectors), against N/rate and against the same pages
   crawled in one step (acquisition.refresh, no Dagster) at the same rate, in the same run.
2. no-change refresh: every page made stale (checked 8 days ago), the sensor's cursor cleared; the
   daemon re-checks them with conditional requests (304s). Against N/rate plus one run launch, and
   the same conditional requests in one step.
Per run: launch time (created -> RUN_START), step time, the Dagster events written by type, the
cost per partition event (the span of a run's ASSET_MATERIALIZATION events / their count), and
between crawl runs the handover (one crawl step's end to the next one's start).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ACTIVE = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


class ScratchServer:
    """Two fresh databases (pipeline data, Dagster storage) on the project's Postgres, dropped at the end."""

    def __enter__(self):
        import psycopg

        from tileshop_pipelines.store import db

        self.server = db.libpq_url(db.database_url())
        self.names = [f"tileshop_prod_{uuid.uuid4().hex[:8]}" for _ in range(2)]
        with psycopg.connect(self.server, autocommit=True) as admin:
            for name in self.names:
                admin.execute(f'CREATE DATABASE "{name}"')
        base, _, query = self.server.partition("?")
        self.urls = [f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "") for name in self.names]
        return self

    def __exit__(self, *exc):
        import psycopg

        with psycopg.connect(self.server, autocommit=True) as admin:
            for name in self.names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def one_step_refresh(urls: list[str], rate: float, concurrency: int) -> dict:
    """The same pages at the same rate in one crawl step (acquisition.refresh), then the same again with
    every page stale: conditional requests."""
    from bench.harness import BenchDatabase, Meter, pipeline_refresh

    with BenchDatabase() as bench_db:
        keys = bench_db.list_sitemap(urls)
        with Meter() as full:
            report = pipeline_refresh(bench_db, keys, concurrency, rate)
        with Meter() as again:
            conditional = pipeline_refresh(bench_db, keys, concurrency, rate)
    return {
        "products": len(keys),
        "full_s": round(full.wall, 2),
        "full_counts": report.counts,
        "no_change_s": round(again.wall, 2),
        "no_change_counts": conditional.counts,
    }


def _run_stats(dagster_db: str, since: float) -> dict:
    """Runs created after `since`: per job, launch and step times, events by type, cost per event."""
    import psycopg

    with psycopg.connect(dagster_db) as conn:
        runs = conn.execute(
            "SELECT run_id, pipeline_name, status, extract(epoch FROM create_timestamp), start_time, end_time "
            "FROM runs WHERE create_timestamp >= to_timestamp(%s) ORDER BY create_timestamp",
            (since,),
        ).fetchall()
        ids = [r[0] for r in runs]
        events = conn.execute(
            "SELECT run_id, dagster_event_type, count(*), extract(epoch FROM min(timestamp)), "
            "extract(epoch FROM max(timestamp)) FROM event_logs WHERE run_id = ANY(%s) "
            "GROUP BY run_id, dagster_event_type",
            (ids,),
        ).fetchall()
    by_run: dict[str, dict[str, tuple[int, float, float]]] = {}
    for run_id, kind, n, first, last in events:
        by_run.setdefault(run_id, {})[kind or "log"] = (n, float(first), float(last))
    jobs: dict[str, dict] = {}
    per_event_ms = []
    steps: dict[str, list[tuple[float, float]]] = {}  # per job: (first step start, last step end)
    for run_id, job, status, created, _started, _ended in runs:
        ev = by_run.get(run_id, {})
        if "STEP_START" in ev and "STEP_SUCCESS" in ev:
            steps.setdefault(job, []).append((ev["STEP_START"][1], ev["STEP_SUCCESS"][2]))
        row = jobs.setdefault(
            job,
            {"runs": 0, "statuses": Counter(), "launch_s": [], "worker_start_s": [], "step_s": [], "events": Counter()},
        )
        row["runs"] += 1
        row["statuses"][status] += 1
        if "PIPELINE_START" in ev:
            row["launch_s"].append(ev["PIPELINE_START"][1] - float(created))
        if "PIPELINE_START" in ev and "PIPELINE_STARTING" in ev:  # dequeued -> the run worker's process up
            row["worker_start_s"].append(ev["PIPELINE_START"][1] - ev["PIPELINE_STARTING"][1])
        if "STEP_START" in ev and "STEP_SUCCESS" in ev:
            row["step_s"].append(ev["STEP_SUCCESS"][2] - ev["STEP_START"][1])
        for kind, (n, _, _) in ev.items():
            row["events"][kind] += n
        n, first, last = ev.get("ASSET_MATERIALIZATION", (0, 0.0, 0.0))
        if n >= 20:  # the crawl step writes them back to back after its work
            per_event_ms.append(1000 * (last - first) / (n - 1))
    out: dict[str, Any] = {}
    for job, row in jobs.items():
        out[job] = {
            "runs": row["runs"],
            "statuses": dict(row["statuses"]),
            "events": dict(row["events"]),
            "events_total": sum(row["events"].values()),
            "launch_s_median": round(statistics.median(row["launch_s"]), 2) if row["launch_s"] else None,
            "launch_s_max": round(max(row["launch_s"]), 2) if row["launch_s"] else None,
            "worker_start_s_median": round(statistics.median(row["worker_start_s"]), 2)
            if row["worker_start_s"]
            else None,
            "step_s_total": round(sum(row["step_s"]), 2),
        }
        windows = sorted(steps.get(job, []))
        out[job]["first_created"] = min(float(r[3]) for r in runs if r[1] == job)
        out[job]["first_launch_s"] = round(row["launch_s"][0], 2) if row["launch_s"] else None  # runs by creation
        out[job]["handover_s"] = [round(b[0] - a[1], 2) for a, b in pairwise(windows)]
    out["ms_per_materialization_event"] = round(statistics.median(per_event_ms), 2) if per_event_ms else None
    return out


def event_write_ms(instance, n: int = 200) -> float:
    """Median ms to store one partition materialization (the crawl step's event) on this instance,
    through the same storage call a run makes (store_event), outside any run."""
    import dagster as dg

    times = []
    for i in range(n):
        started = time.perf_counter()
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                "bench_event_probe",
                partition=f"p{i:04d}",
                metadata={
                    "outcome": "ok",
                    "status_code": 200,
                    "url": f"http://127.0.0.1/products/p{i}",
                    "requests": 1,
                    "content_changed": True,
                },
            )
        )
        times.append(1000 * (time.perf_counter() - started))
    return round(statistics.median(times), 2)


def _wait(condition, timeout_s: float, what: str, daemon: subprocess.Popen) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise RuntimeError(f"dagster-daemon exited ({daemon.returncode}) while waiting for {what}")
        if condition():
            return time.time()
        time.sleep(0.5)
    raise TimeoutError(f"{what} not reached in {timeout_s:.0f} s")


def _ticked(dagster_conn, sensor: str) -> bool:
    """A tick of `sensor` evaluated (its serialized TickData names the instigator)."""
    return (
        dagster_conn.execute(
            "SELECT count(*) FROM job_ticks WHERE status <> 'STARTED' AND tick_body LIKE %s",
            (f'%"job_name": "{sensor}"%',),
        ).fetchone()[0]
        > 0
    )


def bench_production(
    products: int, rate: float, batch_size: int | None, concurrency: int = 4, timeout_s: float = 3600
) -> dict:
    import psycopg

    from bench.harness import product_urls, start_catalog

    catalog, base = start_catalog(products)
    home = Path(tempfile.mkdtemp(prefix="tileshop_prod_"))
    saved = dict(os.environ)
    try:
        urls = product_urls(base)
        one_step = one_step_refresh(urls, rate, concurrency)
        with ScratchServer() as scratch:
            pipeline_db, dagster_db = scratch.urls
            os.environ.update(
                {
                    "TILESHOP_HOME": str(home),
                    "DATABASE_URL": pipeline_db,
                    "DAGSTER_PG_URL": pipeline_db.replace("postgresql://", "postgresql+psycopg2://", 1),
                    "DAGSTER_HOME": str(home / "dagster"),
                    "TILESHOP_SITEMAP_URL": f"{base}/sitemap.xml",
                    "TILESHOP_CRAWL_RATE": str(rate),
                    "TILESHOP_CRAWL_CONCURRENCY": str(concurrency),
                    "TILESHOP_AUTOMATION": "on",
                    "LOG_LEVEL": "WARNING",
                }
            )
            os.environ.pop("TILESHOP_CRAWL_BATCH_SIZE", None)
            if batch_size:
                os.environ["TILESHOP_CRAWL_BATCH_SIZE"] = str(batch_size)
            from tileshop_pipelines.settings import load_settings

            batch_size = load_settings().crawl_batch_size
            os.environ["DAGSTER_PG_URL"] = dagster_db.replace("postgresql://", "postgresql+psycopg2://", 1)
            from tileshop_pipelines.processes import prepare

            env = prepare()
            import dagster as dg

            from tileshop_pipelines.local_runs import refresh_sitemap
            from tileshop_pipelines.store import db

            data = psycopg.connect(pipeline_db, autocommit=True)
            dagster_conn = psycopg.connect(dagster_db, autocommit=True)

            def active_runs() -> int:
                return db.one(
                    dagster_conn.execute("SELECT count(*) FROM runs WHERE status = ANY(%s)", (list(ACTIVE),))
                )[0]

            def checked_since(t: float) -> int:
                return db.one(
                    data.execute("SELECT count(*) FROM product_pages WHERE checked_at >= to_timestamp(%s)", (t,))
                )[0]

            def vectors_done() -> bool:
                covered = db.one(data.execute("SELECT count(DISTINCT product_key) FROM product_vectors"))[0]
                return covered >= one_step["full_counts"]["ok"] and active_runs() == 0

            with dg.DagsterInstance.get() as instance:  # creates Dagster's tables before the daemon
                instance.get_runs(limit=1)
            daemon_log = open(home / "daemon.log", "w")
            daemon_started = time.time()
            daemon = subprocess.Popen(
                [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", str(ROOT / "workspace.yaml")],
                cwd=ROOT,
                env=dict(os.environ),
                stdout=daemon_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                t_up = _wait(
                    lambda: _ticked(dagster_conn, "product_refresh_sensor"), 300, "the sensor's first tick", daemon
                )
                with dg.DagsterInstance.get() as instance:
                    started = time.perf_counter()
                    refresh_sitemap(instance, raise_on_error=True)
                    sitemap_s = time.perf_counter() - started
                    n = len(instance.get_dynamic_partitions("product"))
                t0 = time.time()  # listed: the sensor's next tick sees n new products
                t_pages = _wait(lambda: checked_since(t0) >= n, timeout_s, "every page checked", daemon)
                t_vectors = _wait(vectors_done, timeout_s, "vectors of every product", daemon)
                full_runs = _run_stats(dagster_db, t0 - sitemap_s - 1)
                with dg.DagsterInstance.get() as instance:
                    event_ms = event_write_ms(instance)
                # No change: every page stale and long overdue, the sensor's in-flight memory cleared.
                t1 = time.time()  # before the sensor can see them: its runs' creation counts
                data.execute(
                    "UPDATE product_pages SET checked_at = now() - interval '8 days 2 hours', "
                    "fetched_at = now() - interval '8 days 2 hours'"
                )
                subprocess.run(
                    [
                        str(Path(sys.executable).with_name("dagster")),
                        "sensor",
                        "cursor",
                        "product_refresh_sensor",
                        "--delete",
                        "-w",
                        str(ROOT / "workspace.yaml"),
                    ],
                    cwd=ROOT,
                    env=dict(os.environ),
                    check=True,
                    capture_output=True,
                    timeout=300,
                )
                t_checked = _wait(lambda: checked_since(t1) >= n, timeout_s, "every page re-checked", daemon)
                t_quiet = _wait(lambda: active_runs() == 0, timeout_s, "no run active", daemon)
                no_change_runs = _run_stats(dagster_db, t1 - 1)
                counts: dict[int | None, int] = dict(
                    data.execute("SELECT status_code, count(*) FROM product_pages GROUP BY 1").fetchall()
                )
            finally:  # the daemon, then what is left of its group: its code server ignores SIGTERM
                os.killpg(daemon.pid, signal.SIGTERM)
                try:
                    daemon.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait(timeout=10)
                daemon_log.close()
                data.close()
                dagster_conn.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        catalog.terminate()
        catalog.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
    ideal = n / rate
    crawl_job = "__anonymous_asset_job_product_refresh_sensor"  # the sensor's runs target assets, not a job
    full_crawl, no_change_crawl = full_runs.get(crawl_job) or {}, no_change_runs.get(crawl_job) or {}
    t_launch, t1_launch = full_crawl.get("first_created", t0), no_change_crawl.get("first_created", t1)
    launch = no_change_crawl.get("first_launch_s") or 0.0  # the first run's created -> started
    result = {
        "products": n,
        "rate": rate,
        "batch_size": batch_size,
        "concurrency": concurrency,
        "n_over_rate_s": round(ideal, 2),
        "daemon_up_s": round(t_up - daemon_started, 2),
        "ms_per_event_stored_outside_runs": event_ms,
        "sitemap_run_s": round(sitemap_s, 2),
        "one_step": one_step,
        "full": {
            "tick_wait_s": round(t_launch - t0, 2),
            "pages_from_launch_s": round(t_pages - t_launch, 2),
            "vectors_from_launch_s": round(t_vectors - t_launch, 2),
            "runs": full_runs,
        },
        "no_change": {
            "tick_wait_s": round(t1_launch - t1, 2),
            "pages_from_launch_s": round(t_checked - t1_launch, 2),
            "quiet_from_launch_s": round(t_quiet - t1_launch, 2),
            "one_run_launch_s": launch,
            "runs": no_change_runs,
            "status_codes": {str(k): v for k, v in counts.items()},
        },
        "env_planned_subset": env.get("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"),
    }
    result["ratios"] = {
        "full_pages_from_launch_vs_n_over_rate": round((t_pages - t_launch) / ideal, 3),
        "full_pages_from_listing_vs_n_over_rate": round((t_pages - t0) / ideal, 3),
        "full_pages_from_launch_vs_one_step": round((t_pages - t_launch) / one_step["full_s"], 3),
        "full_vectors_from_launch_vs_n_over_rate": round((t_vectors - t_launch) / ideal, 3),
        "full_refresh_crawl_runs": full_crawl.get("runs"),
        "no_change_from_launch_vs_n_over_rate_plus_launch": round((t_quiet - t1_launch) / (ideal + launch), 3),
        "no_change_from_launch_vs_one_step": round((t_quiet - t1_launch) / one_step["no_change_s"], 3),
        "no_change_from_trigger_vs_n_over_rate_plus_launch": round((t_quiet - t1) / (ideal + launch), 3),
    }
    return result
