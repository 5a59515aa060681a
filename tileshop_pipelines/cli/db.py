"""`tileshop db ...` and `tileshop model prepare`: the database (migrations, Supabase SQL, URL, the
embedded server, dump and restore) and the embedding model's export."""

from __future__ import annotations

import sys
import time

from tileshop_pipelines.cli.transfer import add_dump_commands


def register(sub) -> None:
    model = sub.add_parser("model", help="the embedding model").add_subparsers(dest="model_command", required=True)
    p = model.add_parser(
        "prepare", help="make the query encoder's ONNX export in the state folder (idempotent; image builds run it)"
    )
    p.add_argument("--model", help="default: TILESHOP_EMBEDDING_MODEL's")
    p.set_defaults(func=cmd_model)

    database = sub.add_parser(
        "db", help="the database: migrations, Supabase SQL, URL, the embedded server, dump and restore"
    ).add_subparsers(dest="action", required=True)
    for action, text in (
        ("migrate", "apply pending migrations, ours and Dagster's (once per deploy: the release command)"),
        ("supabase-sql", "print the Supabase vector-store SQL"),
        ("url", "print the database URL"),
        ("start", "start the embedded server"),
        ("stop", "stop the embedded server"),
    ):
        database.add_parser(action, help=text).set_defaults(func=cmd_db)
    add_dump_commands(database)


def cmd_model(args) -> int:
    """Make the ONNX export of the query encoder now (an image build), not at first use."""
    from tileshop_pipelines.bootstrap import onnx_folder
    from tileshop_pipelines.embedding.onnx_encoder import export_dir, is_complete, load_onnx_encoder

    if args.model:  # named: no pipeline settings loaded (the app's image builds this without Dagster)
        name = args.model
    else:
        from tileshop_pipelines.settings import load_settings

        name = load_settings().embedding_model
    cache = onnx_folder()
    folder = export_dir(name, cache)
    existed = is_complete(folder)
    started = time.monotonic()
    load_onnx_encoder(name, cache)  # exports when missing, then checks it against the torch model
    what = "already there" if existed else f"exported in {time.monotonic() - started:.1f} s"
    print(f"ONNX export of {name}: {folder} ({what}; checked against the torch model)")
    return 0


def cmd_db(args) -> int:
    from tileshop_pipelines.store import db

    if args.action == "migrate":
        from dagster import DagsterInstance

        from tileshop_pipelines import bootstrap
        from tileshop_pipelines.store.migrations import migrate

        # The direct URL when set (DIRECT_DATABASE_URL): DAGSTER_PG_URL and DAGSTER_HOME/dagster.yaml from it.
        url = db.direct_database_url()
        bootstrap.configure_environment(url)
        with db.connect(url) as conn:
            applied = migrate(conn)
        print(f"applied {', '.join(applied)}" if applied else "schema up to date: nothing to apply")
        # Dagster's own storage schema (`dagster instance migrate`): one release command does both.
        with DagsterInstance.get() as instance:
            instance.upgrade(print_fn=lambda message: print(f"dagster: {message}"))
    elif args.action == "supabase-sql":
        from tileshop_pipelines.store.supabase_schema import ROLES_SQL, supabase_vector_store_sql

        print(supabase_vector_store_sql())
        print(f"-- then apply {ROLES_SQL.name} (its row-level security and grants)", file=sys.stderr)
    elif args.action == "url":
        print(db.database_url())
    elif args.action == "start":
        print(db.embedded_database_url())
    elif args.action == "stop":
        print("stopped" if db.stop_embedded() else "not running")
    return 0
