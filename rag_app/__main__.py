"""`python -m rag_app [--host H] [--port P]`: migrate the database, serve the app (`make serve`),
and print its URL. The port defaults to PORT (Fly's convention), else 8000; `--host ::` takes IPv6
and IPv4 (Fly's private network is IPv6). Prometheus' /metrics is served on the same host, on
METRICS_PORT (9091; 0: not served), never on the app's port."""

from __future__ import annotations

import argparse
import logging
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rag_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help=":: for IPv6 and IPv4 (a deployment)")
    parser.add_argument("--port", type=int, help="default: PORT, else 8000")
    parser.add_argument("--log-level", help="overrides LOG_LEVEL (default INFO); LOG_FORMAT: json or text")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    import psycopg
    import uvicorn

    from rag_app.config import MAX_REQUEST_LINE_BYTES, load_settings
    from rag_app.main import create_app
    from tileshop_pipelines.bootstrap import configure_environment
    from tileshop_pipelines.serving import logs
    from tileshop_pipelines.serving.metrics_server import serve_metrics
    from tileshop_pipelines.serving.server import server_config
    from tileshop_pipelines.serving.settings import SettingsError
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.db import DatabaseConfigError
    from tileshop_pipelines.store.migrations import migrate

    try:
        settings = load_settings()
        log_settings = logs.LogSettings.load(**({"level": args.log_level} if args.log_level else {}))
        _, level = logs.configure(
            secrets=logs.secret_values(settings),
            env={"LOG_FORMAT": log_settings.format, "LOG_LEVEL": log_settings.level},
        )
        url = configure_environment(db.database_url())["DATABASE_URL"]
    except (SettingsError, DatabaseConfigError) as exc:
        print(f"rag_app: error: {exc}", file=sys.stderr)
        return 2
    logs.register_secrets([logs.database_password(url)])
    try:  # the tables exist (empty until the pipeline runs) even on a fresh database
        with db.connect(url) as conn:
            migrate(conn)
    except (psycopg.Error, DatabaseConfigError) as exc:
        logging.getLogger("rag_app").error(
            "database unavailable at start (%s); /api/system/detailed-health will say so", type(exc).__name__
        )
    mode = "Claude" if settings.claude_enabled else "offline (ANTHROPIC_API_KEY not set)"
    port = settings.port if args.port is None else args.port
    if settings.metrics_port == port:
        print(f"rag_app: error: METRICS_PORT {port} is the app's port; /metrics must not be public", file=sys.stderr)
        return 2
    app = create_app(settings, database_url=url)
    try:
        metrics = (
            serve_metrics(app.state.metrics.registry, args.host, settings.metrics_port)
            if settings.metrics_port
            else None
        )
    except OSError as exc:
        print(f"rag_app: error: {exc}", file=sys.stderr)
        return 2
    shown = f"[{args.host}]" if ":" in args.host else args.host
    scrape = f", metrics :{settings.metrics_port}/metrics" if metrics else ""
    print(f"Tile Shop assistant on http://{shown}:{port}/  (API docs /docs, answers: {mode}{scrape})", flush=True)
    try:
        uvicorn.Server(
            server_config(
                app,
                args.host,
                port,
                max_request_line_bytes=MAX_REQUEST_LINE_BYTES,
                max_header_bytes=settings.max_header_bytes,
                log_level=logging.getLevelName(level).lower(),
            )
        ).run()
    finally:
        if metrics is not None:
            metrics.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
