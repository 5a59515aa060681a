"""The commands of a move between databases: `tileshop db dump|restore`, `tileshop migrate ...`.

Exit codes: 0 done; 1 verify found differences; 2 an input that cannot be used (a file that is not
a dump, an unreachable or non-empty target, a missing tool), named in the message, nothing written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXIT_DIFFERENT = 1
EXIT_BAD_INPUT = 2


def add_migrate_commands(subparsers) -> None:
    """`tileshop migrate`: the predecessor's checkpoints and product_data, and `verify`."""
    from tileshop_pipelines.legacy.commands import add_legacy_commands

    migrate = subparsers.add_parser("migrate", help="carry the predecessor system's progress and data over, "
                                                    "and verify a move between databases")
    commands = migrate.add_subparsers(dest="migrate_command", required=True)
    add_legacy_commands(commands)

    p = commands.add_parser("verify", help="compare a target database with its source (a database or a dump): "
                                           "rows, hashes, vectors, indexes, search; exit 1 listing every difference")
    p.add_argument("--source", required=True, metavar="DSN_OR_DUMP",
                   help="the database moved from, or its `tileshop db dump` file")
    p.add_argument("--target", required=True, metavar="DSN", help="the database moved to")
    p.add_argument("--question", help="the canary question (default: %(default)s)", default=None)
    p.add_argument("--scratch-server", metavar="DSN",
                   help="where a dump source is restored for the comparison (default: the target's server)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_migrate_verify)


def add_transfer_commands(db_commands) -> None:
    """`tileshop db dump FILE` and `tileshop db restore FILE --to DSN [--force]`."""
    p = db_commands.add_parser("dump", help="the whole database (pipeline tables, vectors, history, Dagster's "
                                            "storage) into FILE, pg_dump custom format")
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_db_dump)

    p = db_commands.add_parser("restore", help="a `tileshop db dump` FILE into an empty database, in one transaction")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--to", dest="target", required=True, metavar="DSN", help="the database to restore into")
    p.add_argument("--force", action="store_true",
                   help="restore into a non-empty database, replacing the objects the dump holds")
    p.set_defaults(func=cmd_db_restore)


def cmd_db_dump(args) -> int:
    from tileshop_pipelines.migration.dumps import dump
    from tileshop_pipelines.store import db

    try:
        report = dump(db.database_url(), args.file)
    except _input_errors() as exc:
        return _fail(str(exc))
    print(f"dumped {report['dbname']} (PostgreSQL {report['dumped_from']}, {report['tables']} tables) to "
          f"{report['file']}: {report['bytes']:,} bytes in {report['seconds']:.1f} s with {report['tool']}")
    return 0


def cmd_db_restore(args) -> int:
    from tileshop_pipelines.migration.dumps import restore

    try:
        report = restore(args.file, args.target, force=args.force)
    except _input_errors() as exc:
        return _fail(str(exc))
    objects = ", ".join(f"{n} {kind}" for kind, n in report["objects"].items())
    replaced = f"; replaced {', '.join(f'{n} {k}' for k, n in report['replaced'].items())}" if report["replaced"] else ""
    print(f"restored {report['file']} into {report['target']} in {report['seconds']:.1f} s: {objects}{replaced}")
    if report["older_server"]:
        print(f"note: a PostgreSQL {report['dumped_major']} dump into a {report['server_major']} server, which "
              "PostgreSQL does not promise; verify the result")
    print(f"next: tileshop migrate verify --source {report['file']} --target '{report['target']}'")
    return 0


def cmd_migrate_verify(args) -> int:
    from tileshop_pipelines.migration.verify import CANARY_QUESTION, report_lines, verify

    try:
        report = verify(args.source, args.target, question=args.question or CANARY_QUESTION,
                        scratch_server=args.scratch_server)
    except _input_errors() as exc:
        return _fail(str(exc))
    print(json.dumps(report, indent=2, default=str) if args.json else "\n".join(report_lines(report)))
    return 0 if report["ok"] else EXIT_DIFFERENT


def _input_errors() -> tuple[type[Exception], ...]:
    from tileshop_pipelines.migration.dumps import DumpError
    from tileshop_pipelines.store.db import DatabaseConfigError

    return DumpError, DatabaseConfigError


def _fail(message: str) -> int:
    print(f"tileshop: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
