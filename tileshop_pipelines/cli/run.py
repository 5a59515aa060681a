"""`tileshop run`, `tileshop ui`, `tileshop webserver`, `tileshop daemon`: the pipeline's processes."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tileshop_pipelines.cli.catalog import DEFAULT_CATALOG_PORT, DEFAULT_CDN_PORT
from tileshop_pipelines.cli.common import fail
from tileshop_pipelines.cli.records import collect_status
from tileshop_pipelines.processes import prepare, run_until_signalled, start_catalog_process

SAMPLE_QUESTIONS = (
    "Marmi Imperiali Zenobia porcelain",
    "white matte ceramic wall tile 12 x 36",
    "mortar for large format tile",
    "How do I install tile over a concrete slab?",  # answered from the store's documents
)


def register(sub) -> None:
    p = sub.add_parser("run", help="materialize the whole asset graph through Dagster and print a summary")
    p.add_argument("--products", type=int, default=500, help="sample catalog size (default 500)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--catalog-port", type=int, default=DEFAULT_CATALOG_PORT)
    p.add_argument("--cdn-port", type=int, default=DEFAULT_CDN_PORT, help="its documents' CDN stand-in, on 127.0.0.2")
    p.add_argument("--sitemap-url", help="crawl this sitemap instead of the sample catalog")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("ui", help="open the Dagster UI on the same instance")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("webserver", help="the Dagster webserver on the project's instance (a deployed process)")
    p.add_argument("--host", default="127.0.0.1", help=":: for IPv6 and IPv4 (a deployment)")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=cmd_webserver)

    p = sub.add_parser(
        "daemon",
        help="the Dagster daemon with a liveness endpoint, GET /health, and its Prometheus "
        "metrics on METRICS_PORT's /metrics (a deployed process)",
    )
    p.add_argument("--health-host", default="::")
    p.add_argument("--health-port", type=int, default=8081)
    p.set_defaults(func=cmd_daemon)


def cmd_run(args) -> int:
    from tileshop_pipelines.store import db

    started = time.perf_counter()
    prepare()
    catalog = None
    from tileshop_pipelines.settings import load_settings

    configured = load_settings().model_fields_set  # the pipeline's variables set (not blank) in the environment
    from tileshop_pipelines.sample_catalog import CDN_HOST

    if args.sitemap_url:
        os.environ["TILESHOP_SITEMAP_URL"] = args.sitemap_url
    elif "sitemap_url" not in configured:
        print(
            f"starting the sample catalog ({args.products} products) on 127.0.0.1:{args.catalog_port}, "
            f"its documents on {CDN_HOST}:{args.cdn_port}"
        )
        catalog = start_catalog_process(args.catalog_port, args.products, args.seed, args.cdn_port)
        os.environ["TILESHOP_SITEMAP_URL"] = f"http://127.0.0.1:{args.catalog_port}/sitemap.xml"
    if catalog is not None and "crawl_rate" not in configured:
        os.environ["TILESHOP_CRAWL_RATE"] = "0"  # our own local server: no politeness limit needed
        print("politeness off for the local sample catalog (TILESHOP_CRAWL_RATE=0)")
    if catalog is not None and "document_hosts" not in configured:
        os.environ["TILESHOP_DOCUMENT_HOSTS"] = CDN_HOST  # the pages name their documents on the stand-in
        print(f"documents fetched from the sample catalog's CDN stand-in (TILESHOP_DOCUMENT_HOSTS={CDN_HOST})")
    try:
        import dagster as dg

        from tileshop_pipelines.local_runs import refresh_everything

        print(f"materializing the asset graph from {load_settings().sitemap_url}")
        with dg.DagsterInstance.get() as instance:
            results = run_until_signalled(
                lambda: refresh_everything(instance, log_level="INFO"),
                on_stop=lambda: catalog.terminate() if catalog else None,
            )
        failed = [r for r in results if not r.success]
        if failed:
            return fail(f"run {failed[0].run_id} failed; see `tileshop ui` for its logs", code=1)
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
    from tileshop_pipelines.assistant.intent import answer_question

    with db.connect() as conn:
        for question in SAMPLE_QUESTIONS:
            result = answer_question(conn, question, limit=3)
            print(f"\nQ: {question}\n{result['answer']}")
    return 0


def cmd_ui(args) -> int:
    from tileshop_pipelines import bootstrap

    env = prepare()
    workspace = bootstrap.PROJECT_ROOT / "workspace.yaml"
    print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={env['DAGSTER_HOME']})")
    dagster = _dagster_executable("dagster")
    os.execv(dagster, [str(dagster), "dev", "-w", str(workspace), "-h", args.host, "-p", str(args.port)])


def _dagster_executable(name: str) -> str:
    return str(Path(sys.executable).with_name(name))  # the virtualenv's, activated or not


def cmd_webserver(args) -> int:
    """The Dagster webserver on the instance `configure_environment` describes (no migration:
    the release command's job)."""
    from tileshop_pipelines import bootstrap
    from tileshop_pipelines.store import db

    bootstrap.configure_environment(db.database_url())
    webserver = _dagster_executable("dagster-webserver")
    os.execv(webserver, [webserver, *webserver_arguments(args.host, args.port)])


def webserver_arguments(host: str, port: int) -> list[str]:
    """dagster-webserver's arguments. Its storage engine holds one connection, renewed at checkout
    once older than the proxy's idle close allows (store/db.py): dagster.yaml cannot set that."""
    from tileshop_pipelines import bootstrap
    from tileshop_pipelines.serving.listen import uvicorn_host
    from tileshop_pipelines.store import db

    return [
        "-w",
        str(bootstrap.PROJECT_ROOT / "workspace.yaml"),
        "-h",
        uvicorn_host(host),
        "-p",
        str(port),
        "--db-pool-recycle",
        str(db.CONNECTION_MAX_IDLE_S),
        *_dagster_log_options("--dagster-log-level"),
    ]


def _dagster_log_options(level_flag: str) -> list[str]:
    """LOG_FORMAT=json: Dagster's own lines (webserver, daemon) as JSON too (its keys: timestamp,
    level, logger, event); the runs' lines go through dagster.yaml's python_logs handler."""
    from tileshop_pipelines.serving.logs import LogSettings

    settings = LogSettings.load()
    return ["--log-format", "json" if settings.format == "json" else "colored", level_flag, settings.level.lower()]


def cmd_daemon(args) -> int:
    from tileshop_pipelines import bootstrap
    from tileshop_pipelines.daemon import run_daemon
    from tileshop_pipelines.daemon_metrics import DaemonMetrics
    from tileshop_pipelines.settings import load_settings
    from tileshop_pipelines.store import db

    url = bootstrap.configure_environment(db.database_url())["DATABASE_URL"]
    workspace = bootstrap.PROJECT_ROOT / "workspace.yaml"
    metrics_port = load_settings().metrics_port
    if metrics_port == args.health_port:
        return fail(f"METRICS_PORT {metrics_port} is the health port")
    try:
        metrics = DaemonMetrics(args.health_host, metrics_port, url) if metrics_port else None
    except OSError as exc:
        return fail(str(exc))
    try:
        return run_daemon(
            [_dagster_executable("dagster-daemon"), "run", "-w", str(workspace), *_dagster_log_options("--log-level")],
            args.health_host,
            args.health_port,
            load_settings().daemon_heartbeat_tolerance_s,
        )
    finally:
        if metrics is not None:
            metrics.close()
