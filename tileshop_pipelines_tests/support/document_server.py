"""Documents for the tests: a CDN stand-in on a loopback host of its own (127.0.0.2, so the
allow-list and the per-host politeness see a second host) answering conditional GETs, and
products whose records name documents."""

from __future__ import annotations

import hashlib
import time

from tileshop_pipelines.store import acquisition as acquisition_sql
from tileshop_pipelines.store import products as products_sql

from .local_server import LocalServer, QuietHandler

PDF = "application/pdf"
LAST_MODIFIED = "Mon, 01 Jun 2026 08:00:00 GMT"


class DocumentServer(LocalServer):
    """path -> (status, headers, body); an ETag and Last-Modified on every 200 unless `validators`
    is off for it, 304 when the request's If-None-Match names the current ETag; `trickle(path)`
    sends a body one byte at a time, forever. `requests` logs (path, status) of every answer."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.files: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.trickling: set[str] = set()
        self.requests: list[tuple[str, int]] = []
        server = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path in server.trickling:
                    server.requests.append((self.path, 200))
                    self.send_response(200)
                    self.send_header("Content-Type", PDF)
                    self.send_header("Content-Length", "100000")  # declared within bounds, never all sent
                    self.end_headers()
                    try:
                        self.wfile.write(b"%PDF-1.7\n")
                        while True:  # until the client gives up
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.1)
                    except OSError:
                        return
                status, headers, body = server.files.get(self.path, (404, {"Content-Type": "text/html"}, b"not found"))
                if status == 200 and headers.get("ETag") and self.headers.get("If-None-Match") == headers["ETag"]:
                    status, body = 304, b""
                server.requests.append((self.path, status))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler, host)

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = PDF,
        status: int = 200,
        validators: bool = True,
        headers: dict[str, str] | None = None,
    ) -> str:
        extra = (
            {"ETag": f'"{hashlib.sha256(body).hexdigest()[:16]}"', "Last-Modified": LAST_MODIFIED}
            if validators and status == 200
            else {}
        )
        self.files[path] = (status, {"Content-Type": content_type, **extra, **(headers or {})}, body)
        return self.base_url + path

    def trickle(self, path: str) -> str:
        self.trickling.add(path)
        return self.base_url + path

    def served(self, path: str) -> list[int]:
        """The statuses answered for `path`, in order."""
        return [status for p, status in self.requests if p == path]


def products_naming(conn, records: dict[str, list[dict]], listed: list[str] | None = None) -> None:
    """Products `records` (key -> the documents its record names, [{name, url}]) stored as
    current records, the `listed` ones (default: all) in the sitemap."""
    urls = {key: f"http://127.0.0.1/products/{key}-{100000 + i}" for i, key in enumerate(records)}
    products_sql.save_records(
        conn,
        [
            (
                key,
                f"h-{key}-{hashlib.sha256(repr(docs).encode()).hexdigest()[:8]}",
                {"sku": key, "url": urls[key], "name": key, "documents": docs},
            )
            for key, docs in records.items()
        ],
        [],
    )
    acquisition_sql.record_sitemap(
        conn,
        [acquisition_sql.ListedUrl(urls[k], "product", k, k, None) for k in (records if listed is None else listed)],
    )
