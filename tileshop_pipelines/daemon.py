"""The Dagster daemon as a deployed process (`tileshop daemon`): `dagster-daemon run` as a child,
a liveness endpoint beside it, the stop signal passed on, and an exit when its daemons stop
heartbeating.

Fly checks a machine over HTTP or TCP, and the daemon listens on nothing: GET /health answers 200
while every daemon's heartbeat is fresh (the rule of `dagster-daemon liveness-check`: a heartbeat
within its 30 s interval plus DAGSTER_DAEMON_HEARTBEAT_TOLERANCE), 503 before the first heartbeat
and after one goes stale. The endpoint binds `::` (IPv6 and IPv4).

A failing check does not restart a Fly machine; an exiting process does (fly.toml's [[restart]],
policy "always"). dagster-daemon itself exits when a daemon thread dies but only warns when one
hangs, so the watchdog here ends it (SIGTERM, then SIGKILL to its process group) and exits 1 once
the daemons have been stale past that rule, after a start-up grace of two heartbeat intervals.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_HEALTH_PORT = 8081
# The daemon heartbeats every 30 s; dagster-daemon liveness-check's default tolerance is 300 s
# (DAGSTER_DAEMON_HEARTBEAT_TOLERANCE, settings.daemon_heartbeat_tolerance_s, sets ours).
HEARTBEAT_INTERVAL_S = 30
HEARTBEAT_TOLERANCE_S = 300
WATCHDOG_INTERVAL_S = 10  # how often the watchdog asks
STOP_TIMEOUT_S = 10  # SIGTERM, then SIGKILL: a hung daemon may never handle the first
EXIT_STALE = 1  # `tileshop daemon`'s exit code when its daemons stopped heartbeating


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
            live = _checked(is_live)
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


def daemons_live(instance, tolerance_s: float = HEARTBEAT_TOLERANCE_S, now: float | None = None) -> bool:
    """Every daemon the instance requires heartbeated within the interval plus the tolerance: the
    rule of `dagster-daemon liveness-check`, through the instance's methods (Dagster's function for
    it is in a private module, dagster._daemon.controller; the command would start a Python
    process per check)."""
    now = time.time() if now is None else now
    heartbeats = instance.get_daemon_heartbeats()
    return all(
        kind in heartbeats and now <= heartbeats[kind].timestamp + HEARTBEAT_INTERVAL_S + tolerance_s
        for kind in instance.get_required_daemon_types()
    )


def _checked(is_live: Callable[[], bool]) -> bool:
    try:
        return is_live()
    except Exception:  # the database is unreachable: not live either
        return False


def watch(
    child: subprocess.Popen, is_live: Callable[[], bool], grace_s: float, done: threading.Event, stale: threading.Event
) -> None:
    """Until the child exits (or `done`): past `grace_s`, a check that finds the daemons stale sets
    `stale` and ends the child."""
    started = time.monotonic()
    while not done.wait(WATCHDOG_INTERVAL_S) and child.poll() is None:
        if time.monotonic() - started < grace_s or _checked(is_live):
            continue
        print(
            "tileshop daemon: the Dagster daemons have stopped heartbeating; stopping dagster-daemon so that the "
            "machine restarts",
            flush=True,
        )
        stale.set()
        _stop(child)
        return


def _stop(child: subprocess.Popen) -> None:
    child.terminate()
    try:
        child.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # its code server and run workers too
        child.wait()


def run_daemon(command: list[str], host: str, port: int, tolerance_s: float) -> int:
    """Run `command` (dagster-daemon run ...) until it exits; SIGTERM and SIGINT go to it. Exit 1
    when its daemons stop heartbeating (module doc)."""
    from dagster import DagsterInstance

    from tileshop_pipelines.defs.run_recovery import fail_orphaned_daemon_runs

    with DagsterInstance.get() as instance:
        orphaned = fail_orphaned_daemon_runs(instance)
        if orphaned:
            print(
                f"tileshop daemon: failed {len(orphaned)} run(s) left started by the previous daemon: "
                f"{', '.join(orphaned)}",
                flush=True,
            )
        is_live = lambda: daemons_live(instance, tolerance_s)  # noqa: E731
        server = serve_liveness(host, port, is_live)  # first: a port that cannot be bound leaves no daemon behind
        # A process group of its own: the watchdog's SIGKILL reaches the code server and run workers.
        child = subprocess.Popen(command, start_new_session=True)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda received, _frame: child.send_signal(received))
        done, stale = threading.Event(), threading.Event()
        grace_s = 2 * HEARTBEAT_INTERVAL_S + tolerance_s
        threading.Thread(
            target=watch, args=(child, is_live, grace_s, done, stale), name="daemon-watchdog", daemon=True
        ).start()
        try:
            code = child.wait()
            return EXIT_STALE if stale.is_set() else code
        finally:
            done.set()
            server.shutdown()
