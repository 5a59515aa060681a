"""Retry and table-metadata conventions shared by the assets."""

from __future__ import annotations

import dagster as dg

from tileshop_pipelines.store import tables

# The index steps are idempotent (incremental by hash, each batch in its own transaction): a
# Postgres restart or a dropped connection is retried, spread out so several runs do not retry in
# step. Deliberate refusals raise Failure(allow_retries=False) and are not retried.
INDEX_RETRY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL)


def table_name(table: str) -> dict[str, str]:
    """Definition metadata naming the asset's table (shown and searchable in the UI)."""
    return {"dagster/table_name": f"public.{table}"}


def table_metadata(conn, table: str) -> dict:
    """Materialization metadata: the table's row count and column schema, read from the database
    (so the schema shown is the migrated one, not a copy that can drift)."""
    columns = [dg.TableColumn(name, kind, constraints=dg.TableColumnConstraints(nullable=nullable))
               for name, kind, nullable in tables.columns(conn, table)]
    return {"dagster/row_count": tables.row_count(conn, table),
            "dagster/column_schema": dg.TableSchema(columns=columns)}
