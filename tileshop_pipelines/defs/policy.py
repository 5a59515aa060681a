"""Conventions shared by the definitions: step retries, table metadata, owners, and the run
guardrails (how long a run may take, whether a lost run is launched again)."""

from __future__ import annotations

import dagster as dg

from tileshop_pipelines.store import tables

# The index steps are idempotent (incremental by hash, each batch in its own transaction): a
# Postgres restart or a dropped connection is retried, spread out so several runs do not retry in
# step. Deliberate refusals raise Failure(allow_retries=False) and are not retried.
INDEX_RETRY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL)

# Who answers for the assets (the UI's owner filter, the catalog's search); an asset may name its own.
OWNERS = ["team:catalog"]

# Run guardrails, as Dagster's run tags. `dagster/max_runtime` (seconds): run monitoring
# (dagster.yaml) fails a run past it and terminates its worker, which frees its slot and memory.
# The bounds are set for the daemon's Fly VM, shared-cpu-2x: 2 vCPUs that may run flat out while
# their burst balance lasts, then 1/16 of a core each (fly.io/docs/machines/cpu-performance), so a
# run's worst case is its CPU time at 0.125 CPU-s per second. `dagster/max_retries`: how often run
# retries (dagster.yaml's run_retries) launch a lost run again, from its failed step; idempotent
# runs only, twice (a deploy's restart and an OOM kill in a row; a third loss is a fault, which the
# run-failure alert reports).
MAX_RUNTIME = "dagster/max_runtime"
MAX_RETRIES = "dagster/max_retries"
# A crawl run is sized to take ten minutes at its rate (settings.CRAWL_RUN_SECONDS: 1,200 products at
# 2/s) and waits on the site, not the CPU (bench production: 1.05x N/rate); an hour is 6x.
# Never retried: the crawl sensor asks for a lost run's products again (defs/run_recovery.py), and a
# retry beside that would crawl them twice.
CRAWL_RUN_TAGS = {MAX_RUNTIME: "3600", MAX_RETRIES: "0"}
# The listing of 5,000 products: 2.1 s, 1.4 s of it CPU, as a run on this machine (0.8 s unchanged);
# a run worker's start 2.7-3.7 s (bench production). At the baseline that is under a minute;
# tileshop.com's few sitemap files add seconds of network. 15 minutes ends a listing stuck on a
# server that trickles bytes (httpx's timeouts are per read) long before the next day's schedule.
SITEMAP_RUN_TAGS = {MAX_RUNTIME: "900", MAX_RETRIES: "2"}
# The whole index from nothing (a first deploy, a model change): 19,200 chunks embedded and loaded
# in 302.5 s on 2 cores with 2 torch threads (bench production), at most ~620 CPU-s; at the
# baseline that is 82 minutes, so two hours (1.46x). A daily refresh re-embeds only what changed:
# seconds. The run that follows one stopped past it resumes where it stopped (embeddings are saved by batch).
INDEX_RUN_TAGS = {MAX_RUNTIME: "7200", MAX_RETRIES: "2"}
# A dump of the catalog takes seconds to minutes (5,000 products: 45 s dump, 4 s upload here); one
# still running after two hours is stuck (a hung connection). A lost run dumps anew: a backup is
# written under a new name and retention keeps the newest, so launching it again is safe.
BACKUP_RUN_TAGS = {MAX_RUNTIME: "7200", MAX_RETRIES: "2"}


def table_name(table: str) -> dict[str, str]:
    """Definition metadata naming the asset's table (shown and searchable in the UI)."""
    return {"dagster/table_name": f"public.{table}"}


def table_metadata(conn, table: str) -> dict:
    """Materialization metadata: the table's row count and column schema, read from the database
    (so the schema shown is the migrated one, not a copy that can drift)."""
    columns = [
        dg.TableColumn(name, kind, constraints=dg.TableColumnConstraints(nullable=nullable))
        for name, kind, nullable in tables.columns(conn, table)
    ]
    return {
        "dagster/row_count": tables.row_count(conn, table),
        "dagster/column_schema": dg.TableSchema(columns=columns),
    }
