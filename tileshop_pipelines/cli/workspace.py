"""`tileshop export`, `tileshop recrawl`: the catalog team's export and on-demand re-crawl (the same
as GET /api/admin/catalog/export and POST /api/admin/recrawl)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tileshop_pipelines.cli.common import fail
from tileshop_pipelines.processes import prepare


def register(sub) -> None:
    p = sub.add_parser(
        "export",
        help="the catalog, one row per product, as CSV or Parquet (record fields as "
        "columns; lists and specifications as JSON text)",
    )
    p.add_argument("--format", required=True, help="csv or parquet")
    p.add_argument("--category", help="only products whose record has this category (case-insensitive)")
    p.add_argument("--output", help="the file to write (default: standard output, CSV only)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("recrawl", help="fetch chosen products again now, through Dagster (prints the runs)")
    p.add_argument("skus", nargs="*", metavar="SKU", help="SKUs (a SKU on two URLs re-crawls both)")
    p.add_argument("--category", help="every product whose record has this category")
    p.add_argument("--dagster-url", help="the Dagster webserver (default: TILESHOP_DAGSTER_UI_URL)")
    p.set_defaults(func=cmd_recrawl)


def cmd_export(args) -> int:
    from tileshop_pipelines.catalog.export import CHUNK_ROWS, FORMATS, Export, ExportError
    from tileshop_pipelines.store import catalog_admin, db

    if args.format not in FORMATS:
        return fail(f"--format: unknown export format {args.format!r} (one of {', '.join(FORMATS)})")
    if args.format == "parquet" and not args.output:
        return fail("--format parquet needs --output FILE (Parquet is binary)")
    output = Path(args.output) if args.output else None
    if output is not None and not output.parent.is_dir():
        return fail(f"--output: no folder {str(output.parent)!r}")
    prepare()
    with db.connect() as conn:
        if args.category and not catalog_admin.category_keys(conn, args.category):
            return fail(f"--category: no product's record has the category {args.category!r}")
        export = Export(catalog_admin.export_rows(conn, args.category, CHUNK_ROWS), args.format)
        # Written to a temporary file beside the target and renamed: a failed export leaves no half file.
        partial = output.with_name(f".{output.name}.partial") if output else None
        try:
            with partial.open("wb") if partial else os.fdopen(sys.stdout.fileno(), "wb", closefd=False) as out:
                for data in export:
                    out.write(data)
        except ExportError as exc:
            if partial:
                partial.unlink(missing_ok=True)
            return fail(str(exc), code=1)
        if partial and output:
            partial.replace(output)
    print(f"{export.rows} products exported as {args.format}" + (f" to {output}" if output else ""), file=sys.stderr)
    return 0


def cmd_recrawl(args) -> int:
    import asyncio

    from tileshop_pipelines.acquisition import recrawl
    from tileshop_pipelines.acquisition.dagster_graphql import DagsterError, DagsterJobs
    from tileshop_pipelines.settings import load_settings
    from tileshop_pipelines.store import db

    try:
        recrawl.check_request(args.skus, [], args.category)
    except recrawl.RecrawlError as exc:
        return fail(str(exc))
    prepare()
    with db.connect() as conn:
        try:
            resolved = recrawl.resolve(conn, skus=args.skus, category=args.category)
        except recrawl.RecrawlError as exc:
            return fail(str(exc))
    ui_url = (args.dagster_url or load_settings().dagster_ui_url).rstrip("/")
    jobs = DagsterJobs(f"{ui_url}/graphql", recrawl.RECRAWL_JOB)
    try:
        runs = asyncio.run(recrawl.launch(jobs, resolved.product_keys))
    except recrawl.RecrawlError as exc:
        return fail(str(exc))
    except DagsterError as exc:
        return fail(str(exc), code=1)
    for run in runs:
        print(json.dumps({**run, "url": f"{ui_url}/runs/{run['run_id']}"}))
    return 0
