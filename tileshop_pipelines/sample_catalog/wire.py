"""The sample catalog server's HTTP/1.1 wire: a threaded TCP server, a lean keep-alive request
loop, and whole responses built as bytes (status line, headers and body in one write)."""

from __future__ import annotations

import datetime as dt
import email.utils
import socket
import socketserver
import threading
from http import HTTPStatus
from typing import Protocol
from urllib.parse import unquote_to_bytes, urlsplit

from . import render


class Site(Protocol):
    """What the connection loop serves: the sample catalog's server (server.CatalogServer)."""

    def respond(self, method: bytes, path: str, headers: dict[bytes, bytes], body: bytes) -> bytes: ...


HTML = "text/html; charset=utf-8"
XML = "application/xml"
GZIP = "application/x-gzip"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
PDF = "application/pdf"


def http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


def not_modified(headers: dict[bytes, bytes], etag: str, last_modified: dt.datetime | None) -> bool:
    """Whether a conditional request's validators match: If-None-Match first (weak tags compare
    equal), else If-Modified-Since against `last_modified` (whole seconds)."""
    if_none_match = headers.get(b"if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix(b"W/").decode("latin-1") for t in if_none_match.split(b",")]
        return "*" in tags or etag in tags
    if_modified_since = headers.get(b"if-modified-since")
    if if_modified_since and last_modified is not None:
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since.decode("latin-1"))
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return last_modified.replace(microsecond=0) <= since
    return False


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # e.g. a fault switch set to a CDN's 520
        return "Error"


def message(status: int, headers: list[tuple[str, str]], body: bytes = b"", *, length: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason(status)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def error_response(status: int, extra: list[tuple[str, str]] | None = None) -> bytes:
    return message(status, [("Content-Type", HTML)] + (extra or []), render.error_page(status, reason(status)).encode())


class ThreadedServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    # TCPServer, not http.server.HTTPServer: its server_bind does a reverse DNS lookup.
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 512
    site: Site

    def __init__(self, address: tuple[str, int], handler: type) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def close_connections(self) -> None:
        """End idle keep-alive connections so their threads exit."""
        with self.connections_lock:
            for conn in list(self.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Background:
    """A ThreadedServer serving `site` on a thread of its own: the sample site's and the CDN
    stand-in's lifetime, written once."""

    def __init__(self, address: tuple[str, int], site: Site, name: str) -> None:
        self.httpd = ThreadedServer(address, Handler)
        self.httpd.site = site
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def stop(self) -> None:
        """Stop accepting, close the socket, end idle keep-alive connections, wait for the thread."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.httpd.close_connections()
        self._thread.join()


_BAD_REQUEST = message(400, [("Content-Type", TEXT), ("Connection", "close")], b"bad request\n")
_MAX_LINE = 16384


class Handler(socketserver.StreamRequestHandler):
    """A lean HTTP/1.1 connection loop: http.server's email-based header parsing cost more than
    serving a cached page."""

    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections close after this
    server: ThreadedServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def handle(self) -> None:
        rfile, wfile, site = self.rfile, self.wfile, self.server.site
        try:
            while True:
                line = rfile.readline(_MAX_LINE)
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    continue
                parts = line.split()
                if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
                    wfile.write(_BAD_REQUEST)
                    return
                method, target, version = parts
                headers: dict[bytes, bytes] = {}
                while True:
                    header = rfile.readline(_MAX_LINE)
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.partition(b":")
                    headers[name.strip().lower()] = value.strip()
                    if len(headers) > 100:
                        wfile.write(_BAD_REQUEST)
                        return
                if b"transfer-encoding" in headers:
                    wfile.write(_BAD_REQUEST)  # request bodies here are small JSON with a Content-Length
                    return
                body = rfile.read(int(headers.get(b"content-length", b"0") or 0)) if method == b"POST" else b""
                try:
                    data = site.respond(method, decode_target(target), headers, body)
                except Exception:  # a render bug must show up as a 500, not a dropped connection
                    wfile.write(error_response(500, [("Connection", "close")]))
                    return
                wfile.write(data)
                connection = headers.get(b"connection", b"").lower()
                if connection == b"close" or version == b"HTTP/1.0" and connection != b"keep-alive":
                    return
        except (OSError, ValueError):
            return  # client went away, timed out, or sent garbage


def decode_target(target: bytes) -> str:
    """Decoded path of a request target; percent-escapes and raw UTF-8 both decode to the same text."""
    if not target.startswith(b"/"):
        target = urlsplit(target.decode("latin-1")).path.encode("latin-1") or b"/"
    return unquote_to_bytes(target.split(b"?", 1)[0]).decode("utf-8", "replace")
