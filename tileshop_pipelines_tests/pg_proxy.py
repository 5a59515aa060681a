"""A TCP proxy in front of the test Postgres that a test can cut and restore: a database outage
as a run sees it (its connections reset, new ones refused), the server itself untouched."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from tileshop_pipelines.store import db


def server_socket_path(url: str) -> Path:
    """The Unix socket of a `postgresql://...?host=/dir` URL (the test server's form)."""
    parts = urlsplit(db.libpq_url(url))
    folder = parse_qs(parts.query).get("host", [""])[0]
    if not folder.startswith("/"):
        raise ValueError("the test server's URL names no Unix socket folder (?host=/dir)")
    return Path(folder) / f".s.PGSQL.{parts.port or 5432}"


class PostgresProxy:
    """127.0.0.1:<port> -> the server's Unix socket. `cut()` resets every open connection and
    closes each new one at once until `restore()`."""

    def __init__(self, server_url: str) -> None:
        self._target = str(server_socket_path(server_url))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.refused = 0
        threading.Thread(target=self._accept, name="pg-proxy", daemon=True).start()

    def url(self, database_url: str) -> str:
        """`database_url` (the same server) reached through the proxy."""
        parts = urlsplit(db.libpq_url(database_url))
        user = parts.username or "postgres"
        return urlunsplit((parts.scheme, f"{user}@127.0.0.1:{self.port}", parts.path, "sslmode=disable", ""))

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                self.refused += 1
                client.close()
                continue
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self._target)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._open.difference_update((source, sink))
