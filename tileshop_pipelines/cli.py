"""`tileshop`: run the pipeline, inspect its state, parse pages, ask questions, serve the sample catalog."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SAMPLE_QUESTIONS = (
    "Marmi Imperiali Zenobia porcelain",
    "white matte ceramic wall tile 12 x 36",
    "mortar for large format tile",
)
DEFAULT_CATALOG_PORT = 8765


def _fail(message: str, code: int = 2) -> int:
    print(f"tileshop: error: {message}", file=sys.stderr)
    return code


def prepare() -> dict[str, str]:
    """What every command that uses the database does first: the environment Dagster and
    crawl4ai read (db.configure_environment), and the schema brought up to date (idempotent,
    under an advisory lock: cheap when nothing is pending)."""
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.migrations import migrate

    env = db.configure_environment()
    with db.connect() as conn:
        migrate(conn)
    return env


# --- parse ----------------------------------------------------------------------------------
def cmd_parse(args) -> int:
    from tileshop_pipelines.catalog.extract import NotAProductPage, extract_product
    from tileshop_pipelines.crawl.transports import decode_html

    path = Path(args.page)
    try:
        body = path.read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {path}: {exc.strerror}")
    html, error, warning = decode_html(body, None)  # as the pipeline decodes: <meta charset>, else UTF-8
    if error:
        return _fail(f"{path}: {error}")
    try:
        record = extract_product(html, args.url)
    except NotAProductPage as exc:
        return _fail(f"{path} is not a product page: {exc}")
    if warning:
        record["warnings"] = [warning, *record.get("warnings", [])]
    print(json.dumps(record, indent=2, ensure_ascii=False))
    return 0


# --- sitemap parse / history ----------------------------------------------------------------
def cmd_sitemap_parse(args) -> int:
    """One JSON line per URL of a sitemap file or URL (an index is followed to its children)."""
    from tileshop_pipelines.catalog.sitemap import SitemapError, parse_sitemap
    from tileshop_pipelines.catalog.urls import classify_url
    from tileshop_pipelines.crawl.sitemaps import collect_sitemap_entries

    from tileshop_pipelines.settings import load_settings

    source = args.source
    user_agent = load_settings().user_agent
    try:
        if source.startswith(("http://", "https://")):
            entries = collect_sitemap_entries(source, user_agent=user_agent)
        else:
            try:
                content = Path(source).read_bytes()
            except OSError as exc:
                return _fail(f"cannot read {source}: {exc.strerror}")
            sitemap = parse_sitemap(content, source=source)
            entries = sitemap.entries
            if sitemap.kind == "index":
                entries = [e for child in sitemap.entries
                           for e in collect_sitemap_entries(child.loc, user_agent=user_agent)]
    except SitemapError as exc:
        return _fail(str(exc))
    for entry in entries:
        try:
            info = classify_url(entry.loc)
        except ValueError as exc:
            print(f"tileshop: skipped: {exc}", file=sys.stderr)
            continue
        print(json.dumps({"url": info.url, "kind": info.kind, "sku": info.sku, "lastmod": entry.lastmod},
                         ensure_ascii=False))
    return 0


def cmd_history(args) -> int:
    """Every stored version of the product(s) with this SKU, oldest first, as JSON."""
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.products import history_for_sku

    prepare()
    with db.connect() as conn:
        versions = history_for_sku(conn, args.sku)
    if not versions:
        return _fail(f"no product with SKU {args.sku!r} has been stored", code=1)
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
        return _fail(f"--since: {exc}")
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
        print(f"{c['changed_at']:%Y-%m-%d %H:%M}  {c['sku'] or '-':>8}  {(c['name'] or c['product_key'])[:50]:50}  "
              f"{describe(c)}")
    return 0


# --- status ---------------------------------------------------------------------------------
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
    return {"tables": tables, "dagster": {"runs": runs, "succeeded": succeeded,
                                          "storage": type(instance.run_storage).__name__}}


def cmd_status(args) -> int:
    status = collect_status()
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        for table, count in status["tables"].items():
            print(f"{table:22} {count:>8}")
        print(f"dagster runs           {status['dagster']['runs']:>8} ({status['dagster']['storage']})")
    return 0


# --- ask ------------------------------------------------------------------------------------
def cmd_ask(args) -> int:
    from tileshop_pipelines.assistant.answer import answer_question
    from tileshop_pipelines.store import db

    if not args.question.strip():
        return _fail("the question is empty")
    prepare()
    with db.connect() as conn:
        result = answer_question(conn, args.question, limit=args.limit)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


# --- eval -----------------------------------------------------------------------------------
def cmd_eval(args) -> int:
    from tileshop_pipelines.defs.resources import build_resources
    from tileshop_pipelines.evaluation.questions import build_questions
    from tileshop_pipelines.evaluation.scoring import EvaluationError, evaluate
    from tileshop_pipelines.sample_catalog import build_catalog
    from tileshop_pipelines.settings import load_settings
    from tileshop_pipelines.store import db

    prepare()
    resources = build_resources(load_settings())
    questions = build_questions(build_catalog(n_products=args.products, seed=args.seed), seed=args.seed)
    with db.connect() as conn:
        try:
            report = evaluate(resources["vector_store"].open(conn), questions, resources["embedder"].embed)
        except EvaluationError as exc:
            return _fail(f"{exc} (`tileshop run --products {args.products} --seed {args.seed}`)")
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['questions']} questions from the {args.products}-product sample catalog (seed {args.seed})")
    print(f"{'':12}" + "".join(f"{mode:>20}" for mode in report["modes"]))
    for kind, row in [("all", report["modes"]), *report["by_kind"].items()]:
        cells = "".join(f"{row[m]['recall@5']:>10.3f}{row[m]['mrr']:>10.3f}" for m in report["modes"])
        print(f"{kind:12}{cells}")
    print(f"{'':12}" + "   recall@5       MRR" * len(report["modes"]))
    return 0


# --- catalog serve --------------------------------------------------------------------------
def cmd_catalog_serve(args) -> int:
    from tileshop_pipelines.sample_catalog import run_server

    run_server(host=args.host, port=args.port, n_products=args.products, seed=args.seed,
               gzip_sitemaps=args.gzip, flat_sitemap=args.flat_sitemap, lastmod=args.lastmod)
    return 0


def start_catalog_process(port: int, products: int, seed: int) -> subprocess.Popen:
    """The sample catalog in its own process (so it doesn't compete with the crawl for the GIL)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} on 127.0.0.1 is already in use; pass --catalog-port")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tileshop_pipelines.cli", "catalog", "serve", "--port", str(port),
         "--products", str(products), "--seed", str(seed)],
        stdout=subprocess.DEVNULL,
    )
    return wait_until_serving(proc, f"http://127.0.0.1:{port}/robots.txt", "the sample catalog server", 60)


def wait_until_serving(proc: subprocess.Popen, url: str, what: str, timeout_s: float) -> subprocess.Popen:
    """Wait until `proc` answers `url`; terminate it and raise, naming `what`, if it exits or times out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{what} did not start within {timeout_s:.0f} s")


# --- run ------------------------------------------------------------------------------------
def run_until_signalled(work, on_stop=lambda: None):
    """`work()` on a worker thread; SIGTERM or SIGINT end the command within a second.

    In-process Dagster runs only look at captured interrupts between steps, so a step waiting for
    a pool slot or crawling for minutes would not stop. What a stop leaves is resumable: every
    crawl batch is committed with its records or not at all (the connection's open transaction
    rolls back), and the run, still marked started with this process's pid, is recovered by the
    next run (defs/run_recovery.py).
    """
    import signal
    import threading

    outcome: dict = {}

    def target():
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    def stop(signum, _frame):
        print(f"\ntileshop: {signal.Signals(signum).name}: stopping; the next run resumes where this one "
              "stopped", file=sys.stderr, flush=True)
        on_stop()
        sys.stdout.flush()
        os._exit(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker = threading.Thread(target=target, name="tileshop-run", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(timeout=0.5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def cmd_run(args) -> int:
    from tileshop_pipelines.store import db

    started = time.perf_counter()
    prepare()
    catalog = None
    if args.sitemap_url:
        os.environ["TILESHOP_SITEMAP_URL"] = args.sitemap_url
    elif not os.environ.get("TILESHOP_SITEMAP_URL"):
        print(f"starting the sample catalog ({args.products} products) on 127.0.0.1:{args.catalog_port}")
        catalog = start_catalog_process(args.catalog_port, args.products, args.seed)
        os.environ["TILESHOP_SITEMAP_URL"] = f"http://127.0.0.1:{args.catalog_port}/sitemap.xml"
    if catalog is not None and not os.environ.get("TILESHOP_CRAWL_RATE"):
        os.environ["TILESHOP_CRAWL_RATE"] = "0"  # our own local server: no politeness limit needed
        print("politeness off for the local sample catalog (TILESHOP_CRAWL_RATE=0)")
    try:
        import dagster as dg

        from tileshop_pipelines.local_runs import refresh_everything

        print(f"materializing the asset graph from {os.environ['TILESHOP_SITEMAP_URL']}")
        with dg.DagsterInstance.get() as instance:
            results = run_until_signalled(lambda: refresh_everything(instance, log_level="INFO"),
                                          on_stop=lambda: catalog and catalog.terminate())
        failed = [r for r in results if not r.success]
        if failed:
            return _fail(f"run {failed[0].run_id} failed; see `tileshop ui` for its logs", code=1)
        run_id = ", ".join(r.run_id for r in results)
    finally:
        if catalog is not None:
            catalog.terminate()
            catalog.wait(timeout=10)
    status = collect_status()
    print("\n== summary ==")
    print(f"run {run_id} succeeded in {time.perf_counter() - started:.1f} s (wall time, setup excluded)")
    for table, count in status["tables"].items():
        print(f"  {table:22} {count:>8}")
    print(f"  dagster runs stored    {status['dagster']['runs']:>8}")
    from tileshop_pipelines.assistant.answer import answer_question

    with db.connect() as conn:
        for question in SAMPLE_QUESTIONS:
            result = answer_question(conn, question, limit=3)
            print(f"\nQ: {question}\n{result['answer']}")
    return 0


# --- ui / db --------------------------------------------------------------------------------
def cmd_ui(args) -> int:
    from tileshop_pipelines.store import db

    env = prepare()
    workspace = db.PROJECT_ROOT / "workspace.yaml"
    print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={env['DAGSTER_HOME']})")
    dagster = _dagster_executable("dagster")
    os.execv(dagster, [str(dagster), "dev", "-w", str(workspace), "-h", args.host, "-p", str(args.port)])


def _dagster_executable(name: str) -> str:
    return str(Path(sys.executable).with_name(name))  # the virtualenv's, activated or not


def cmd_webserver(args) -> int:
    """The Dagster webserver on the instance `configure_environment` describes (no migration:
    the release command's job)."""
    from tileshop_pipelines.store import db

    db.configure_environment()
    workspace = db.PROJECT_ROOT / "workspace.yaml"
    webserver = _dagster_executable("dagster-webserver")
    from tileshop_pipelines.listen import uvicorn_host

    os.execv(webserver, [webserver, "-w", str(workspace), "-h", uvicorn_host(args.host), "-p", str(args.port),
                         *_dagster_log_options("--dagster-log-level")])


def _dagster_log_options(level_flag: str) -> list[str]:
    """LOG_FORMAT=json: Dagster's own lines (webserver, daemon) as JSON too (its keys: timestamp,
    level, logger, event); the runs' lines go through dagster.yaml's python_logs handler."""
    log_format = "json" if os.environ.get("LOG_FORMAT", "text").strip().lower() == "json" else "colored"
    return ["--log-format", log_format, level_flag, os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"]


def cmd_daemon(args) -> int:
    from tileshop_pipelines.daemon import run_daemon
    from tileshop_pipelines.store import db

    db.configure_environment()
    workspace = db.PROJECT_ROOT / "workspace.yaml"
    return run_daemon([_dagster_executable("dagster-daemon"), "run", "-w", str(workspace),
                       *_dagster_log_options("--log-level")],
                      args.health_host, args.health_port)


def cmd_model(args) -> int:
    """Make the ONNX export of the query encoder now (an image build), not at first use."""
    from tileshop_pipelines.embedding.onnx_encoder import default_cache_dir, export_path, load_onnx_encoder
    from tileshop_pipelines.settings import load_settings

    name = args.model or load_settings().embedding_model
    cache = default_cache_dir()
    path = export_path(name, cache)
    existed = path.exists()
    started = time.monotonic()
    load_onnx_encoder(name, cache)  # exports when missing, then checks it against the torch model
    what = "already there" if existed else f"exported in {time.monotonic() - started:.1f} s"
    print(f"ONNX export of {name}: {path} ({what}; checked against the torch model)")
    return 0


def cmd_db(args) -> int:
    from tileshop_pipelines.store import db

    if args.action == "migrate":
        from dagster import DagsterInstance

        from tileshop_pipelines.store.migrations import migrate

        db.configure_environment()  # DAGSTER_PG_URL and DAGSTER_HOME/dagster.yaml, from DATABASE_URL
        with db.connect() as conn:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tileshop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="materialize the whole asset graph through Dagster and print a summary")
    p.add_argument("--products", type=int, default=500, help="sample catalog size (default 500)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--catalog-port", type=int, default=DEFAULT_CATALOG_PORT)
    p.add_argument("--sitemap-url", help="crawl this sitemap instead of the sample catalog")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("parse", help="print the product record of a saved product page")
    p.add_argument("page")
    p.add_argument("--url")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("ask", help="answer a shopper's question from product_vectors (offline mode)")
    p.add_argument("question")
    p.add_argument("--limit", type=int, default=5)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("history", help="every stored version of a product (price and spec changes over time)")
    p.add_argument("sku", help="the SKU as written in the URL (a string: 052003, 684018E)")
    p.add_argument("--full", action="store_true", help="include the whole record of each version")
    p.set_defaults(func=cmd_history)

    sitemap = sub.add_parser("sitemap", help="sitemaps").add_subparsers(dest="sitemap_command", required=True)
    p = sitemap.add_parser("parse", help="one JSON line per URL: {url, kind, sku, lastmod}")
    p.add_argument("source", metavar="FILE_OR_URL")
    p.set_defaults(func=cmd_sitemap_parse)

    p = sub.add_parser("eval", help="recall@5 and MRR of vector, full-text and hybrid search on questions "
                                    "built from the sample catalog's facts")
    p.add_argument("--products", type=int, default=500, help="the sample catalog the database holds (default 500)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("changes", help="what refreshes changed: products added, delisted, returned; price and "
                                       "specification changes (default: the latest refresh cycle)")
    p.add_argument("--since", help="a date or ISO 8601 time (UTC unless it says otherwise): every change since")
    p.add_argument("--limit", type=int, default=10_000)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_changes)

    p = sub.add_parser("status", help="row counts per asset table and Dagster runs in Postgres")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("ui", help="open the Dagster UI on the same instance")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("webserver", help="the Dagster webserver on the project's instance (a deployed process)")
    p.add_argument("--host", default="127.0.0.1", help=":: for IPv6 and IPv4 (a deployment)")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=cmd_webserver)

    p = sub.add_parser("daemon", help="the Dagster daemon with a liveness endpoint, GET /health (a deployed process)")
    p.add_argument("--health-host", default="::")
    p.add_argument("--health-port", type=int, default=8081)
    p.set_defaults(func=cmd_daemon)

    model = sub.add_parser("model", help="the embedding model").add_subparsers(dest="model_command", required=True)
    p = model.add_parser("prepare", help="make the query encoder's ONNX export in the state folder (idempotent; "
                                         "image builds run it)")
    p.add_argument("--model", help="default: TILESHOP_EMBEDDING_MODEL's")
    p.set_defaults(func=cmd_model)

    from tileshop_pipelines.transfer.commands import add_dump_commands, add_transfer_commands

    database = sub.add_parser("db", help="the database: migrations, Supabase SQL, URL, the embedded server, "
                                         "dump and restore").add_subparsers(dest="action", required=True)
    for action, text in (("migrate", "apply pending migrations, ours and Dagster's (once per deploy: the release command)"),
                         ("supabase-sql", "print the Supabase vector-store SQL"),
                         ("url", "print the database URL"), ("start", "start the embedded server"),
                         ("stop", "stop the embedded server")):
        database.add_parser(action, help=text).set_defaults(func=cmd_db)
    add_dump_commands(database)

    catalog = sub.add_parser("catalog", help="the sample catalog").add_subparsers(dest="catalog_command", required=True)
    p = catalog.add_parser("serve", help="serve a deterministic tileshop-like catalog over HTTP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_CATALOG_PORT)
    p.add_argument("--products", type=int, default=500)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--gzip", action="store_true", help="gzip the child sitemaps")
    p.add_argument("--flat-sitemap", action="store_true", help="one flat <urlset> instead of an index")
    p.add_argument("--lastmod", action="store_true", help="include <lastmod> in the sitemaps")
    p.set_defaults(func=cmd_catalog_serve)

    add_transfer_commands(sub)
    return parser


def configure_logging() -> None:
    """Log lines (not the commands' output) to stderr in LOG_FORMAT at LOG_LEVEL, secrets masked:
    the settings' secret values when they load (a command that needs them reports a bad one)."""
    from tileshop_pipelines import logs
    from tileshop_pipelines.settings import SettingsError, load_settings

    logs.configure()
    try:
        logs.register_secrets(logs.secret_values(load_settings()))
    except SettingsError:
        pass


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        configure_logging()
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from tileshop_pipelines.logs import LogConfigError
        from tileshop_pipelines.settings import SettingsError
        from tileshop_pipelines.store.db import DatabaseConfigError

        if isinstance(exc, (DatabaseConfigError, SettingsError, LogConfigError)):
            return _fail(str(exc))
        raise


if __name__ == "__main__":
    sys.exit(main())
