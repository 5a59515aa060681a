"""`tileshop migrate checkpoint` and `tileshop migrate legacy-db`: the predecessor's progress and data.

Each command prepares the database as every command does (configure_environment, migrate), runs
its import in one transaction and prints a summary (`--json`: the report). Exit codes: 0 done
(also when nothing changed), 2 an input that cannot be read (nothing written).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


def add_legacy_commands(commands) -> None:
    """Register `checkpoint` and `legacy-db` on the `tileshop migrate` subparsers."""
    p = commands.add_parser("checkpoint", help="import its sitemap checkpoint files (tileshop_sitemap*.json) "
                                               "into the sitemap and crawl state")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_migrate_checkpoint)

    p = commands.add_parser("legacy-db", help="import its product_data rows as legacy versions of the products")
    p.add_argument("--from", dest="source", required=True, metavar="DSN",
                   help="the predecessor's Postgres (read only)")
    p.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_migrate_legacy_db)


def _prepared_connection():
    from tileshop_pipelines import bootstrap
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.migrations import migrate

    bootstrap.configure_environment(db.database_url())
    conn = db.connect()
    migrate(conn)
    return conn


def cmd_migrate_checkpoint(args) -> int:
    from tileshop_pipelines.legacy.checkpoints import CheckpointError, read_checkpoint
    from tileshop_pipelines.store.legacy import import_checkpoints

    checkpoints = []
    for path in args.files:  # every file is read and checked before anything is written
        try:
            checkpoints.append(read_checkpoint(path))
        except CheckpointError as exc:
            return _bad_input(f"{exc}; nothing was imported from any file")
        except OSError as exc:
            return _bad_input(f"{path}: cannot read: {exc.strerror}; nothing was imported from any file")
    with _prepared_connection() as conn:
        report = import_checkpoints(conn, checkpoints, dry_run=args.dry_run)
    return _print_report(args, {"dry_run": args.dry_run, "files": [c.summary() for c in checkpoints], **report},
                         checkpoint_summary)


def checkpoint_summary(report: dict) -> str:
    lines = []
    for f in report["files"]:
        statuses = ", ".join(f"{n} {status}" for status, n in f["statuses"].items())
        lines.append(f"{f['file']} (downloaded {f['downloaded_at']}): {f['entries']} entries ({statuses}); "
                     f"{f['urls']} URLs, {f['duplicates']} duplicate entries, {f['other_urls']} not product pages, "
                     f"{f['stale_errors']} stale errors ignored")
    s = report["state"]
    verb = "would be" if report["dry_run"] else "now"
    lines.append(f"state {verb}: {s['urls']} URLs ({s['other_urls']} not product pages), {s['products']} products "
                 f"({s['products_no_longer_listed']} no longer listed): {s['new']} new, "
                 f"{s['known_due_for_check']} known and due for a check, {s['failed_due_for_retry']} failed and "
                 f"due for a retry; {report['pages_kept_pipeline_state']} kept the state the pipeline wrote")
    if not report["changed"]:
        lines.append("nothing changed: everything in these files was imported before")
    else:
        written = ", ".join(f"{n} {name}" for name, n in report["written"].items() if n)
        lines.append(("would write: " if report["dry_run"] else "written: ") + written)
    return "\n".join(lines)


def cmd_migrate_legacy_db(args) -> int:
    from tileshop_pipelines.legacy.product_data import LegacyInputError, map_rows
    from tileshop_pipelines.store.legacy import import_legacy_versions, read_product_data

    try:
        mapped = map_rows(read_product_data(args.source))
    except LegacyInputError as exc:
        return _bad_input(f"{exc}; nothing was imported")
    with _prepared_connection() as conn:
        report = import_legacy_versions(conn, mapped.versions, dry_run=args.dry_run)
    return _print_report(args, {"dry_run": args.dry_run, **mapped.summary(), **report}, legacy_db_summary)


def legacy_db_summary(report: dict) -> str:
    skipped = ", ".join(f"{n} {reason}" for reason, n in report["skipped"].items()) or "none"
    lines = [f"product_data: {report['rows_read']} rows read, {report['rows_mapped']} mapped to legacy versions, "
             f"skipped: {skipped}"]
    for name, reasons in report["rejected"].items():
        lines.append(f"  rejected {name}: " + ", ".join(f"{n} {reason}" for reason, n in reasons.items()))
    w, s = report["written"], report["state"]
    verb = "would be" if report["dry_run"] else "now"
    lines.append(f"legacy versions {verb}: {s['legacy_current']} products held only by their legacy record, "
                 f"{s['legacy_before_pipeline']} as the version before the pipeline's first, "
                 f"{s['legacy_superseded']} superseded by a crawl since")
    if not report["changed"]:
        lines.append("nothing changed: every row was imported before")
    else:
        lines.append(("would write: " if report["dry_run"] else "written: ")
                     + ", ".join(f"{n} {name}" for name, n in w.items() if n))
    return "\n".join(lines)


def _print_report(args, report: dict, summary) -> int:
    print(json.dumps(report, indent=2, default=str) if args.json else summary(report))
    return 0


def _bad_input(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
