"""The commands of a move between databases: `tileshop db dump|restore|backups`, `tileshop transfer
verify`, and the predecessor's progress and data: `tileshop transfer checkpoint|legacy-db`.

Exit codes: 0 done (an import also when nothing changed); 1 verify found differences; 2 an input
that cannot be used (a file that is not a dump or a checkpoint, an unreachable or non-empty target,
a missing tool), named in the message, nothing written. Each import prepares the database as every
command does (configure_environment, migrate), runs in one transaction and prints a summary
(`--json`: the report).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tileshop_pipelines.cli.common import fail

EXIT_DIFFERENT = 1
EXIT_BAD_INPUT = 2


def register(sub) -> None:
    """`tileshop transfer`: the predecessor's checkpoints and product_data, and `verify`."""
    transfer = sub.add_parser(
        "transfer", help="carry the predecessor system's progress and data over, and verify a move between databases"
    )
    commands = transfer.add_subparsers(dest="transfer_command", required=True)
    p = commands.add_parser(
        "checkpoint",
        help="import its sitemap checkpoint files (tileshop_sitemap*.json) into the sitemap and crawl state",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_transfer_checkpoint)

    p = commands.add_parser("legacy-db", help="import its product_data rows as legacy versions of the products")
    p.add_argument("--from", dest="source", required=True, metavar="DSN", help="the predecessor's Postgres (read only)")
    p.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_transfer_legacy_db)

    p = commands.add_parser(
        "verify",
        help="compare a target database with its source (a database or a dump): "
        "rows, hashes, vectors, indexes, search; exit 1 listing every difference",
    )
    p.add_argument(
        "--source", required=True, metavar="DSN_OR_DUMP", help="the database moved from, or its `tileshop db dump` file"
    )
    p.add_argument("--target", required=True, metavar="DSN", help="the database moved to")
    p.add_argument("--question", help="the canary question (default: %(default)s)", default=None)
    p.add_argument(
        "--scratch-server",
        metavar="DSN",
        help="where a dump source is restored for the comparison (default: the target's server)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_transfer_verify)


def add_dump_commands(db_commands) -> None:
    """`tileshop db dump FILE`, `tileshop db restore FILE|s3://BUCKET/KEY|--latest-backup --to DSN [--force]`
    and `tileshop db backups`."""
    p = db_commands.add_parser(
        "dump",
        help="the whole database (pipeline tables, vectors, history, Dagster's "
        "storage) into FILE, pg_dump custom format (DIRECT_DATABASE_URL, "
        "else DATABASE_URL)",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_db_dump)

    p = db_commands.add_parser(
        "restore", help="a `tileshop db dump` FILE or a backup in the bucket into an empty database, in one transaction"
    )
    p.add_argument(
        "source",
        nargs="?",
        metavar="FILE_OR_S3_URL",
        help="a dump file, or a backup's s3://BUCKET/KEY (`tileshop db backups` lists them)",
    )
    p.add_argument(
        "--latest-backup",
        action="store_true",
        help="instead of FILE_OR_S3_URL: the newest backup in BUCKET_NAME under TILESHOP_BACKUP_PREFIX",
    )
    p.add_argument("--to", dest="target", required=True, metavar="DSN", help="the database to restore into")
    p.add_argument(
        "--force", action="store_true", help="restore into a non-empty database, replacing the objects the dump holds"
    )
    p.set_defaults(func=cmd_db_restore)

    p = db_commands.add_parser(
        "backups", help="the database backups in the bucket (BUCKET_NAME, TILESHOP_BACKUP_PREFIX), newest first"
    )
    p.add_argument("--json", action="store_true", help="print them as JSON")
    p.set_defaults(func=cmd_db_backups)


def cmd_db_dump(args) -> int:
    from tileshop_pipelines.store import db
    from tileshop_pipelines.transfer.dumps import dump

    try:
        report = dump(db.direct_database_url(), args.file)
    except _input_errors() as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    print(
        f"dumped {report['dbname']} (PostgreSQL {report['dumped_from']}, {report['tables']} tables) to "
        f"{report['file']}: {report['bytes']:,} bytes in {report['seconds']:.1f} s with {report['tool']}"
    )
    return 0


def cmd_db_restore(args) -> int:
    from tileshop_pipelines.transfer.dumps import restore

    if args.latest_backup == (args.source is not None):
        return fail("give one of FILE, s3://BUCKET/KEY or --latest-backup", EXIT_BAD_INPUT)
    try:
        from_bucket = _backup_source(args)
        if from_bucket is None:
            report = restore(Path(args.source), args.target, force=args.force)
        else:
            from tileshop_pipelines.bootstrap import tileshop_home
            from tileshop_pipelines.transfer.backups import restore_backup

            bucket, key = from_bucket
            report = restore_backup(
                bucket,
                key,
                args.target,
                tileshop_home() / "backups",
                force=args.force,
                log=lambda line: print(line, file=sys.stderr),
            )
    except _input_errors() as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    objects = ", ".join(f"{n} {kind}" for kind, n in report["objects"].items())
    replaced = (
        f"; replaced {', '.join(f'{n} {k}' for k, n in report['replaced'].items())}" if report["replaced"] else ""
    )
    fetched = (
        f" (downloaded {report['bytes']:,} bytes in {report['download_s']:.1f} s, sha256 {report['sha256']})"
        if from_bucket
        else ""
    )
    print(
        f"restored {report['file']}{fetched} into {report['target']} in {report['seconds']:.1f} s: {objects}{replaced}"
    )
    if report["older_server"]:
        print(
            f"note: a PostgreSQL {report['dumped_major']} dump into a {report['server_major']} server, which "
            "PostgreSQL does not promise; verify the result"
        )
    # A bucket's backup is checked by its sha256; the database it was taken from, if still there, is a source.
    source = report["file"] if from_bucket is None else "DSN_OF_THE_DATABASE_BACKED_UP"
    print(f"next: tileshop transfer verify --source {source} --target '{report['target']}'")
    return 0


def _backup_source(args):
    """(Bucket, key) when the restore reads the bucket; None for a local file."""
    from tileshop_pipelines.bootstrap import bucket_settings
    from tileshop_pipelines.transfer.backups import latest_backup, parse_s3_url
    from tileshop_pipelines.transfer.bucket import Bucket

    if args.latest_backup:
        from tileshop_pipelines.settings import load_settings

        bucket = Bucket.configured(bucket_settings())
        return bucket, latest_backup(bucket, load_settings().backup_prefix).key
    if (url := parse_s3_url(args.source)) is None:
        return None
    name, key = url
    return Bucket(name, bucket_settings()), key


def cmd_db_backups(args) -> int:
    from tileshop_pipelines.bootstrap import bucket_settings
    from tileshop_pipelines.settings import load_settings
    from tileshop_pipelines.transfer.backups import backups_among
    from tileshop_pipelines.transfer.bucket import Bucket

    prefix = load_settings().backup_prefix
    try:
        bucket = Bucket.configured(bucket_settings())
        found = backups_among(bucket.list(prefix), prefix)
    except _input_errors() as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    if args.json:
        print(
            json.dumps(
                [{"url": bucket.url(b.key), "taken_at": b.taken_at.isoformat(), "bytes": b.size} for b in found],
                indent=2,
            )
        )
        return 0
    lines = [f"{bucket.url(b.key)}  {b.taken_at:%Y-%m-%d %H:%M:%S} UTC  {b.size:,} bytes" for b in found]
    print("\n".join(lines) or f"no backups in s3://{bucket.name}/{prefix}")
    return 0


def cmd_transfer_verify(args) -> int:
    from tileshop_pipelines.transfer.verify import CANARY_QUESTION, report_lines, verify

    try:
        report = verify(
            args.source, args.target, question=args.question or CANARY_QUESTION, scratch_server=args.scratch_server
        )
    except _input_errors() as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    print(json.dumps(report, indent=2, default=str) if args.json else "\n".join(report_lines(report)))
    return 0 if report["ok"] else EXIT_DIFFERENT


def _prepared_connection():
    from tileshop_pipelines import bootstrap
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.migrations import migrate

    bootstrap.configure_environment(db.database_url())
    conn = db.connect()
    migrate(conn)
    return conn


def cmd_transfer_checkpoint(args) -> int:
    from tileshop_pipelines.legacy.checkpoints import CheckpointError, read_checkpoint
    from tileshop_pipelines.store.legacy import import_checkpoints
    from tileshop_pipelines.transfer.predecessor import checkpoint_summary

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
    return _print_report(
        args, {"dry_run": args.dry_run, "files": [c.summary() for c in checkpoints], **report}, checkpoint_summary
    )


def cmd_transfer_legacy_db(args) -> int:
    from tileshop_pipelines.legacy.product_data import LegacyInputError, map_rows
    from tileshop_pipelines.store.legacy_versions import import_legacy_versions, read_product_data
    from tileshop_pipelines.transfer.predecessor import legacy_db_summary

    try:
        mapped = map_rows(read_product_data(args.source))
    except LegacyInputError as exc:
        return _bad_input(f"{exc}; nothing was imported")
    with _prepared_connection() as conn:
        report = import_legacy_versions(conn, mapped.versions, dry_run=args.dry_run)
    return _print_report(args, {"dry_run": args.dry_run, **mapped.summary(), **report}, legacy_db_summary)


def _print_report(args, report: dict, summary) -> int:
    print(json.dumps(report, indent=2, default=str) if args.json else summary(report))
    return 0


def _bad_input(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _input_errors() -> tuple[type[Exception], ...]:
    from tileshop_pipelines.store.db import DatabaseConfigError
    from tileshop_pipelines.transfer.backups import BackupError
    from tileshop_pipelines.transfer.bucket import BucketError
    from tileshop_pipelines.transfer.dumps import DumpError

    return DumpError, DatabaseConfigError, BackupError, BucketError
