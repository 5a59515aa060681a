"""`python -m crawler [--host H] [--port P]`: serve the crawl service (crawler/main.py).

Defaults as deployed: every interface, IPv6 and IPv4 (tileshop_pipelines/serving/listen.py: Fly's
private network is IPv6), on PORT (11235 when unset), at LOG_LEVEL; Prometheus' /metrics on the
same host, on METRICS_PORT (9092; 0: not served).
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from tileshop_pipelines.serving.listen import ALL_INTERFACES

    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("--host", default=ALL_INTERFACES)
    parser.add_argument("--port", type=int, help="default: PORT, else 11235")
    parser.add_argument("--log-level", help="default: LOG_LEVEL, else info")
    args = parser.parse_args(argv)

    import uvicorn

    from crawler.main import MAX_REQUEST_LINE_BYTES, create_app
    from crawler.settings import load_settings
    from tileshop_pipelines.serving.logs import LogSettings
    from tileshop_pipelines.serving.metrics_server import serve_metrics
    from tileshop_pipelines.serving.server import server_config
    from tileshop_pipelines.serving.settings import SettingsError

    try:
        settings = load_settings()
        log_level = args.log_level or LogSettings.load().level
    except SettingsError as exc:
        print(f"crawler: error: {exc}", file=sys.stderr)
        return 2
    port = settings.port if args.port is None else args.port
    if settings.metrics_port == port:
        print(f"crawler: error: METRICS_PORT {port} is the service's port", file=sys.stderr)
        return 2
    app = create_app(settings)
    try:
        metrics = (
            serve_metrics(app.state.metrics.registry, args.host, settings.metrics_port)
            if settings.metrics_port
            else None
        )
    except OSError as exc:
        print(f"crawler: error: {exc}", file=sys.stderr)
        return 2
    try:
        uvicorn.Server(
            server_config(
                app,
                args.host,
                port,
                max_request_line_bytes=MAX_REQUEST_LINE_BYTES,
                max_header_bytes=settings.max_header_bytes,
                log_level=log_level.lower(),
            )
        ).run()
    finally:
        if metrics is not None:
            metrics.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
