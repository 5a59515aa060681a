"""The Prometheus listener every service runs beside its own: GET /metrics on a port of its own
(METRICS_PORT), the one fly.toml's [[metrics]] names for Fly's scraper and no [[services]] or
[http_service] exposes, so the public port never serves it (it answers 404 there).

A thread of its own in the service's process (the app and the crawl service run one uvicorn
worker each, so one registry holds the process's figures: no multiprocess mode), so a scrape
never waits on, nor holds up, the service's event loop. `::` listens on IPv6 and IPv4 (Fly's
scraper comes over the private IPv6 network, local tools over 127.0.0.1), as listen.py's servers do.
"""

from __future__ import annotations

import socket
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.registry import Collector

from tileshop_pipelines.serving.listen import ALL_INTERFACES

METRICS_PATH = "/metrics"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # a scrape every 15 s is not news
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a scraper's open connection does not hold up shutdown

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # IPv4 too
        super().server_bind()


def _only_metrics_path(app):
    def route(request, start_response):  # `request`: the WSGI environ dict (not the process's environment)
        if request.get("PATH_INFO") != METRICS_PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [f"not found: metrics are at {METRICS_PATH}\n".encode()]
        return app(request, start_response)

    return route


class MetricsServer:
    """`registry` served at GET /metrics on `host`:`port` from a daemon thread until `close()`."""

    def __init__(self, registry: Collector, host: str, port: int):
        host = ALL_INTERFACES if host in ("", ALL_INTERFACES) else host
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        server_class = type("MetricsWSGIServer", (_Server,), {"address_family": family})
        self.httpd: WSGIServer = make_server(
            host, port, _only_metrics_path(make_wsgi_app(registry)), server_class, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="metrics-listener", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_metrics(registry: Collector, host: str, port: int, setting: str = "METRICS_PORT") -> MetricsServer:
    """The listener, or an OSError naming `setting` when the port cannot be bound (in use, refused)."""
    try:
        return MetricsServer(registry, host, port)
    except OSError as exc:
        raise OSError(
            exc.errno,
            f"{setting}={port}: cannot listen on {host or ALL_INTERFACES} port {port} ({exc.strerror or exc})",
        ) from exc
