"""`tileshop history`, `tileshop changes`, `tileshop status`: what the pipeline has stored."""

from __future__ import annotations

import json

from tileshop_pipelines.cli.common import fail
from tileshop_pipelines.processes import prepare


def register(sub) -> None:
    p = sub.add_parser("history", help="every stored version of a product (price and spec changes over time)")
    p.add_argument("sku", help="the SKU as written in the URL (a string: 052003, 684018E)")
    p.add_argument("--full", action="store_true", help="include the whole record of each version")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser(
        "changes",
        help="what refreshes changed: products added, delisted, returned; price and "
        "specification changes (default: the latest refresh cycle)",
    )
    p.add_argument("--since", help="a date or ISO 8601 time (UTC unless it says otherwise): every change since")
    p.add_argument("--limit", type=int, default=10_000)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_changes)

    p = sub.add_parser("status", help="row counts per asset table and Dagster runs in Postgres")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)


def cmd_history(args) -> int:
    """Every stored version of the product(s) with this SKU, oldest first, as JSON."""
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.products import history_for_sku

    prepare()
    with db.connect() as conn:
        versions = history_for_sku(conn, args.sku)
    if not versions:
        return fail(f"no product with SKU {args.sku!r} has been stored", code=1)
    for version in versions:
        if not args.full:
            version.pop("record")
        print(json.dumps(version, ensure_ascii=False))
    return 0


def cmd_changes(args) -> int:
    """What changed in the catalog: since --since, else in the latest refresh cycle."""
    from tileshop_pipelines.catalog.changes import as_json, describe, parse_since
    from tileshop_pipelines.store import changes as changes_sql
    from tileshop_pipelines.store import db

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        return fail(f"--since: {exc}")
    prepare()
    with db.connect() as conn:
        refresh_id = None if since else changes_sql.latest_refresh_id(conn)
        changes = changes_sql.list_changes(conn, since=since, refresh_id=refresh_id, limit=args.limit)
    if args.json:
        print(json.dumps([as_json(c) for c in changes], indent=2, ensure_ascii=False))
        return 0
    scope = f"since {since.isoformat()}" if since else f"in the latest refresh cycle ({refresh_id or 'none yet'})"
    print(f"{len(changes)} catalog change(s) {scope}")
    for c in changes:
        print(
            f"{c['changed_at']:%Y-%m-%d %H:%M}  {c['sku'] or '-':>8}  {(c['name'] or c['product_key'])[:50]:50}  "
            f"{describe(c)}"
        )
    return 0


def collect_status() -> dict:
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.tables import asset_table_counts

    prepare()
    with db.connect() as conn:
        tables = asset_table_counts(conn)
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs_count()
        succeeded = instance.get_runs_count(dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]))
    return {
        "tables": tables,
        "dagster": {"runs": runs, "succeeded": succeeded, "storage": type(instance.run_storage).__name__},
    }


def cmd_status(args) -> int:
    status = collect_status()
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        for table, count in status["tables"].items():
            print(f"{table:22} {count:>8}")
        print(f"dagster runs           {status['dagster']['runs']:>8} ({status['dagster']['storage']})")
    return 0
