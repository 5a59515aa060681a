"""Catalog refreshes in this process (what `tileshop run` does), in the steps the daemon takes:
sitemap_urls, then the product partitions in one ranged crawl run, then the index.

Each run is tagged with this process, and runs whose process died are recovered before the next
starts and then every few seconds while it runs (defs/run_recovery.py): with no daemon, nothing else
would free their pool slot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from tileshop_pipelines.defs.acquisition.partitions import PRODUCT_PARTITIONS_NAME
from tileshop_pipelines.defs.run_recovery import process_tags, recover_dead_runs

logger = logging.getLogger(__name__)
# A run that lost Postgres keeps its process alive for 25-36 s while Dagster's storage retries
# (measured, tests/acquisition/test_run_recovery.py): a run started meanwhile cannot judge it dead
# at its start and would wait for its `crawl` slot forever.
RECOVERY_INTERVAL_S = 5.0


@contextmanager
def _recovering(instance: dg.DagsterInstance, interval_s: float = RECOVERY_INTERVAL_S) -> Iterator[None]:
    """Recover dead runs now, then every `interval_s` in a background thread until the block ends."""
    recover_dead_runs(instance)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval_s):
            try:
                recover_dead_runs(instance)
            except Exception as exc:  # Postgres unreachable: the run itself reports that
                logger.warning("run recovery failed, retrying in %.0f s: %s", interval_s, exc)

    # A daemon thread, not joined: a stop signal ends the process without waiting on a database call.
    threading.Thread(target=loop, name="run-recovery", daemon=True).start()
    try:
        yield
    finally:
        stop.set()


def _run_config(log_level: str, extra: dict | None = None) -> dict:
    return {"loggers": {"console": {"config": {"log_level": log_level}}}, **(extra or {})}


def _definitions() -> dg.Definitions:
    from tileshop_pipelines.definitions import defs

    return defs()


def _execute(
    instance: dg.DagsterInstance,
    job: str,
    *,
    log_level: str,
    raise_on_error: bool,
    run_config: dict | None = None,
    tags: dict | None = None,
) -> dg.ExecuteInProcessResult:
    with _recovering(instance):
        return (
            _definitions()
            .resolve_job_def(job)
            .execute_in_process(
                instance=instance,
                run_config=_run_config(log_level, run_config),
                raise_on_error=raise_on_error,
                tags={**process_tags(), **(tags or {})},
            )
        )


def refresh_sitemap(
    instance: dg.DagsterInstance,
    *,
    log_level: str = "WARNING",
    raise_on_error: bool = False,
    run_config: dict | None = None,
) -> dg.ExecuteInProcessResult:
    return _execute(
        instance, "sitemap_refresh", log_level=log_level, raise_on_error=raise_on_error, run_config=run_config
    )


def crawl_all_products(
    instance: dg.DagsterInstance,
    *,
    log_level: str = "WARNING",
    raise_on_error: bool = False,
    run_config: dict | None = None,
) -> dg.ExecuteInProcessResult | None:
    """One product_crawl run over every registered product partition (None when there is none)."""
    keys = instance.get_dynamic_partitions(PRODUCT_PARTITIONS_NAME)
    if not keys:
        return None
    return _execute(
        instance,
        "product_crawl",
        log_level=log_level,
        raise_on_error=raise_on_error,
        run_config=run_config,
        tags={"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]},
    )


def refresh_index(
    instance: dg.DagsterInstance, *, log_level: str = "WARNING", raise_on_error: bool = False
) -> dg.ExecuteInProcessResult:
    return _execute(instance, "index_refresh", log_level=log_level, raise_on_error=raise_on_error)


def refresh_everything(
    instance: dg.DagsterInstance, *, log_level: str = "WARNING", raise_on_error: bool = False
) -> list[dg.ExecuteInProcessResult]:
    """sitemap_refresh, product_crawl and index_refresh in order; stops at a failed run."""
    results = [refresh_sitemap(instance, log_level=log_level, raise_on_error=raise_on_error)]
    if results[-1].success:
        crawl = crawl_all_products(instance, log_level=log_level, raise_on_error=raise_on_error)
        if crawl is not None:
            results.append(crawl)
    if results[-1].success:
        results.append(refresh_index(instance, log_level=log_level, raise_on_error=raise_on_error))
    return results
