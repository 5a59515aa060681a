"""catalog_snapshot: the catalog as a dated Parquet file per refresh cycle under the state folder
(DATA_PATH or TILESHOP_HOME: bootstrap.tileshop_home), the same rows and columns as `tileshop
export --format parquet` (catalog/export.py)."""

import datetime as dt

import dagster as dg

from tileshop_pipelines import bootstrap
from tileshop_pipelines.catalog.export import CHUNK_ROWS, Export, markdown_preview, snapshot_name
from tileshop_pipelines.defs.acquisition.assets import products
from tileshop_pipelines.defs.resources import PostgresResource
from tileshop_pipelines.store import catalog_admin
from tileshop_pipelines.store import changes as changes_sql

GROUP = "catalog"
SNAPSHOT_FOLDER = "catalog_snapshots"


@dg.asset(group_name=GROUP, deps=[products], kinds={"pandas", "parquet"}, code_version="1")
def catalog_snapshot(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """Every current product, one row each (record fields as columns; lists and specifications as
    JSON text), written to `catalog_snapshots/catalog-<date>-refresh-<cycle>.parquet`: one file per
    refresh cycle, rewritten while the cycle's crawl goes on. Read in chunks from a server-side
    cursor and written by row groups, so memory is bounded at any catalog size."""
    folder = bootstrap.tileshop_home() / SNAPSHOT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with postgres.connect() as conn:
        refresh_id = changes_sql.latest_refresh_id(conn)
        path = folder / snapshot_name(dt.datetime.now(dt.UTC).date(), refresh_id)
        partial = path.with_name(f".{path.name}.partial")  # renamed when complete: never a half file
        export = Export(catalog_admin.export_rows(conn, None, CHUNK_ROWS), "parquet")
        with partial.open("wb") as out:
            for data in export:
                out.write(data)
    partial.replace(path)
    context.log.info(f"catalog snapshot: {export.rows} products -> {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "dagster/row_count": export.rows,
            "bytes": path.stat().st_size,
            "refresh_id": refresh_id,
            "preview": dg.MetadataValue.md(markdown_preview(export.preview)),
        }
    )
