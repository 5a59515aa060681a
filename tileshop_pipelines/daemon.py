"""The Dagster daemon as a deployed process (`tileshop daemon`): `dagster-daemon run` as a child,
a liveness endpoint beside it, and the stop signal passed on.

Fly checks a machine over HTTP or TCP, and the daemon listens on nothing: GET /health answers 200
while every daemon's heartbeat is fresh (the rule of `dagster-daemon liveness-check`), 503 before
the first heartbeat and after one goes stale. The endpoint binds `::` (IPv6 and IPv4).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_HEALTH_PORT = 8081
# The daemon heartbeats every 30 s; dagster-daemon liveness-check's default tolerance is 300 s.
HEARTBEAT_INTERVAL_S = 30
HEARTBEAT_TOLERANCE_S = 300


class _DualStackServer(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def serve_liveness(host: str, port: int, is_live: Callable[[], bool]) -> ThreadingHTTPServer:
    """GET /health -> 200 `live` or 503 `not live`, in a background thread; `.shutdown()` stops it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/health":
                self.send_error(404)
                return
            try:
                live = is_live()
            except Exception:  # the database is unreachable: not live either
                live = False
            body = b"live\n" if live else b"not live\n"
            self.send_response(200 if live else 503)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # a check every 15 s is not news
            pass

    server = _DualStackServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="daemon-liveness", daemon=True).start()
    return server


def daemons_live(instance, now: float | None = None) -> bool:
    """Every daemon the instance requires heartbeated within the interval plus the tolerance: the
    rule of `dagster-daemon liveness-check`, through the instance's methods (Dagster's function for
    it is in a private module, dagster._daemon.controller; the command would start a Python
    process per check)."""
    now = time.time() if now is None else now
    heartbeats = instance.get_daemon_heartbeats()
    return all(kind in heartbeats and now <= heartbeats[kind].timestamp + HEARTBEAT_INTERVAL_S + HEARTBEAT_TOLERANCE_S
               for kind in instance.get_required_daemon_types())


def run_daemon(command: list[str], host: str, port: int) -> int:
    """Run `command` (dagster-daemon run ...) until it exits; SIGTERM and SIGINT go to it."""
    from dagster import DagsterInstance

    from tileshop_pipelines.defs.run_recovery import fail_orphaned_daemon_runs

    with DagsterInstance.get() as instance:
        orphaned = fail_orphaned_daemon_runs(instance)
        if orphaned:
            print(f"tileshop daemon: failed {len(orphaned)} run(s) left started by the previous daemon: "
                  f"{', '.join(orphaned)}", flush=True)
        child = subprocess.Popen(command)
        server = serve_liveness(host, port, lambda: daemons_live(instance))
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda received, _frame: child.send_signal(received))
        try:
            return child.wait()
        finally:
            server.shutdown()
