"""Local HTTP server for a sample catalog, with switchable faults for crawler tests.

Threaded, HTTP/1.1 keep-alive. Every page is rendered once, on first request, and kept as
ready-to-send bytes (status line, headers and body in one write); a product's cached page is
re-rendered when its version changes (Catalog.update). Request paths are percent-decoded before
lookup, so the raw and the encoded form of a URL reach the same page.

Control endpoints, for a server running in another process:
  POST /__faults  JSON, e.g. {"status": {"/products/x": 404}, "retry_after": {"/products/y": {"times": 2,
                  "seconds": 1}}, "slow": {"/products/z": 1.5}, "blocked": ["/products/w"],
                  "malformed_jsonld": ["/products/v"], "fail_all_status": 503, "content_type": {"/products/u":
                  "application/pdf"}, "charset": {"/products/t": "iso-8859-1"}, "oversize": {"/products/s":
                  6000000}, "clear": true}
  GET  /__faults  the current faults
  POST /__update  {"path_or_sku": ..., "price": ..., <spec or field changes>} -> Catalog.update
  POST /__remove  {"path_or_sku": ...} -> Catalog.remove (unlisted; the page answers 404)
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import email.utils
import gzip
import hashlib
import json
import math
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import unquote_to_bytes, urlsplit

from . import render
from .catalog import BUNDLE_PATH, Catalog, build_catalog, decode_path
from .model import CATALOG_EPOCH, CATEGORIES, SampleProduct

HTML = "text/html; charset=utf-8"
XML = "application/xml"
GZIP = "application/x-gzip"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


class Faults:
    """Fault switches, keyed by decoded URL path. Thread-safe; change them while the server runs.

    Precedence for a request: slow (delay first), status override, 429 retry_after, fail_all_status
    (product pages only), blocked (HTTP 200 with the home page), malformed JSON-LD, content type
    (a 200 of another type), charset (the page encoded in another charset, declared in the
    Content-Type), oversize (the page padded with a comment of that many bytes).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.status: dict[str, int] = {}
        self.retry_after: dict[str, dict[str, float]] = {}  # path -> {"times": left, "seconds": s}
        self.slow: dict[str, float] = {}
        self.blocked: set[str] = set()
        self.malformed_jsonld: set[str] = set()
        self.fail_all_status: int | None = None
        self.content_type: dict[str, str] = {}
        self.charset: dict[str, str] = {}
        self.oversize: dict[str, int] = {}

    def clear(self) -> None:
        with self._lock:
            self.status, self.retry_after, self.slow = {}, {}, {}
            self.blocked, self.malformed_jsonld = set(), set()
            self.fail_all_status = None
            self.content_type, self.charset, self.oversize = {}, {}, {}

    def set_status(self, path: str, status: int) -> None:
        self.status[decode_path(path)] = int(status)

    def set_retry_after(self, path: str, times: int, seconds: float = 1) -> None:
        """Answer the next `times` requests for path with 429 and `Retry-After: seconds`."""
        with self._lock:
            self.retry_after[decode_path(path)] = {"times": int(times), "seconds": float(seconds)}

    def set_slow(self, path: str, seconds: float) -> None:
        self.slow[decode_path(path)] = float(seconds)

    def block(self, path: str) -> None:
        self.blocked.add(decode_path(path))

    def malform_jsonld(self, path: str) -> None:
        self.malformed_jsonld.add(decode_path(path))

    def apply(self, spec: dict) -> None:
        """Apply the JSON shape POST /__faults takes; `clear` runs first."""
        if spec.get("clear"):
            self.clear()
        for path, status in spec.get("status", {}).items():
            self.set_status(path, status)
        for path, rule in spec.get("retry_after", {}).items():
            self.set_retry_after(path, rule.get("times", 1), rule.get("seconds", 1))
        for path, seconds in spec.get("slow", {}).items():
            self.set_slow(path, seconds)
        for path in spec.get("blocked", []):
            self.block(path)
        for path in spec.get("malformed_jsonld", []):
            self.malform_jsonld(path)
        for name in ("content_type", "charset", "oversize"):
            for path, value in spec.get(name, {}).items():
                getattr(self, name)[decode_path(path)] = value
        if "fail_all_status" in spec:
            value = spec["fail_all_status"]
            self.fail_all_status = None if value is None else int(value)

    def to_dict(self) -> dict:
        with self._lock:
            return {"status": dict(self.status), "retry_after": {k: dict(v) for k, v in self.retry_after.items()},
                    "slow": dict(self.slow), "blocked": sorted(self.blocked),
                    "malformed_jsonld": sorted(self.malformed_jsonld), "fail_all_status": self.fail_all_status,
                    "content_type": dict(self.content_type), "charset": dict(self.charset),
                    "oversize": dict(self.oversize)}

    def active(self) -> bool:
        return bool(self.status or self.retry_after or self.slow or self.blocked or self.malformed_jsonld
                    or self.fail_all_status or self.content_type or self.charset or self.oversize)

    def take_retry_after(self, path: str) -> float | None:
        """Seconds to ask the client to wait if this request still owes a 429, else None."""
        with self._lock:
            rule = self.retry_after.get(path)
            if rule is None or rule["times"] <= 0:
                return None
            rule["times"] -= 1
            return rule["seconds"]


@dataclasses.dataclass(frozen=True)
class _Route:
    render: Callable[[], tuple[int, bytes, dt.datetime | None]]  # -> (version, body, last_modified)
    version: Callable[[], int]
    content_type: str
    product: SampleProduct | None = None


@dataclasses.dataclass(frozen=True)
class _Entry:
    version: int
    etag: str
    last_modified: dt.datetime | None
    response: bytes       # full 200 response: status line, headers, body
    not_modified: bytes   # full 304 response


def _http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # e.g. a fault switch set to a CDN's 520
        return "Error"


def _message(status: int, headers: list[tuple[str, str]], body: bytes = b"", *, length: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class CatalogServer:
    """Serve a Catalog on a background thread. Also a context manager (start on enter, stop on exit).

    `faults` switches failures at runtime; `hits` counts requests per decoded path and
    `last_user_agent` records the latest User-Agent, for tests of crawler behaviour. `public_url`
    replaces the advertised base URL (sitemaps, canonical links) when clients reach the server by
    another name than 127.0.0.1.
    """

    def __init__(self, catalog: Catalog, host: str = "127.0.0.1", port: int = 0, gzip_sitemaps: bool = False,
                 flat_sitemap: bool = False, lastmod: bool = False, public_url: str | None = None):
        self.catalog = catalog
        self.host, self.port = host, port
        self.gzip_sitemaps, self.flat_sitemap, self.lastmod = gzip_sitemaps, flat_sitemap, lastmod
        self.public_url = public_url.rstrip("/") if public_url else None
        self.faults = Faults()
        self.hits: collections.Counter[str] = collections.Counter()  # requests per decoded path
        self.last_user_agent: str | None = None  # User-Agent of the latest page request
        self._hits_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[str, _Route] = {}
        self._cache: dict[str, _Entry] = {}
        self._home: bytes = b""

    @property
    def base_url(self) -> str:
        """The URL the site's own links and sitemaps use, e.g. http://127.0.0.1:54321."""
        if self.public_url:
            return self.public_url
        if self._httpd is None:
            raise RuntimeError("server not started")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self._httpd.server_address[1]}"

    def start(self) -> CatalogServer:
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._httpd = _HTTPServer((self.host, self.port), _Handler)
        self._httpd.site = self
        self._routes = self._build_routes()
        self._home = render.home_page(self.base_url).encode()
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="catalog-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> CatalogServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- routes -----------------------------------------------------------------------------

    def _build_routes(self) -> dict[str, _Route]:
        base, catalog = self.base_url, self.catalog
        routes: dict[str, _Route] = {}
        constant = lambda: 0  # noqa: E731

        def static(make: Callable[[], str], content_type: str = HTML) -> _Route:
            return _Route(lambda: (0, make().encode(), None), constant, content_type)

        for product in catalog.products:
            routes[product.path] = _Route(self._product_renderer(product), lambda p=product: p.version, HTML, product)
        routes["/"] = static(lambda: render.home_page(base))
        for path, title in dict(CATEGORIES.values()).items():
            if path in catalog.other_pages:
                kinds = {k for k, (p, _) in CATEGORIES.items() if p == path}
                links = [(p.name, p.path) for p in catalog.products if p.kind in kinds][:60]
                routes[path] = static(lambda path=path, title=title, links=links: render.listing_page(
                    base, path, title, f"Shop {title.lower()} at The Tile Shop.", links))
        all_categories = [(title, path) for path, title in dict(CATEGORIES.values()).items()
                          if path in catalog.other_pages]
        routes["/products/"] = static(lambda: render.listing_page(
            base, "/products/", "All Products", "Browse every category.", all_categories))
        for path, product in catalog.sample_pages.items():
            routes[path] = static(lambda path=path, product=product: render.sample_page(base, path, product))
        routes[BUNDLE_PATH] = static(lambda: render.listing_page(
            base, BUNDLE_PATH, "White Subway Tile with Grout", "Everything for a classic white subway wall.",
            self._bundle_links()))
        routes["/robots.txt"] = static(lambda: render.robots_txt(base), TEXT)
        routes.update(self._sitemap_routes())
        return routes

    def _product_renderer(self, product: SampleProduct) -> Callable[[], tuple[int, bytes, dt.datetime]]:
        def make() -> tuple[int, bytes, dt.datetime]:
            with self.catalog.lock:  # a consistent snapshot while update() may run
                return product.version, render.product_page(product, self.base_url).encode(), product.last_modified
        return make

    def _bundle_links(self) -> list[tuple[str, str]]:
        tiles = [p for p in self.catalog.products if p.kind == "tile" and "subway" in p.path
                 and "White" in p.specs.get("Color", "")][:2]
        grouts = [p for p in self.catalog.products if p.kind == "grout"][:1]
        return [(p.name, p.path) for p in tiles + grouts] or [("Tile", "/tile")]

    def _sitemap_routes(self) -> dict[str, _Route]:
        base, catalog, suffix = self.base_url, self.catalog, ".xml.gz" if self.gzip_sitemaps else ".xml"
        # A sitemap changes when a product is removed, and with lastmod when any product changes.
        version = (lambda: catalog.revision) if self.lastmod else (lambda: len(catalog.removed))

        def lastmod_of(path: str) -> str | None:
            if not self.lastmod:
                return None
            try:
                return catalog.product(path).last_modified.isoformat()
            except KeyError:  # a non-product page
                return CATALOG_EPOCH.isoformat()

        def child(paths: list[str], compress: bool) -> _Route:
            def make() -> tuple[int, bytes, None]:
                rev, removed = catalog.revision, len(catalog.removed)
                body = render.urlset(base, [(p, lastmod_of(p)) for p in paths]).encode()
                return rev if self.lastmod else removed, gzip.compress(body, mtime=0) if compress else body, None
            return _Route(make, version, GZIP if compress else XML)

        pages = list(catalog.other_pages)
        if self.flat_sitemap:
            everything = pages + catalog.listed_product_urls()
            routes = {"/sitemap.xml": child(everything, False)}
            if self.gzip_sitemaps:
                routes["/sitemap.xml.gz"] = child(everything, True)
            return routes
        children = {f"/sitemaps/products-{i}{suffix}": chunk
                    for i, chunk in enumerate(catalog.product_sitemaps, start=1)}
        children[f"/sitemaps/pages{suffix}"] = pages
        routes = {path: child(paths, self.gzip_sitemaps) for path, paths in children.items()}

        def index() -> tuple[int, bytes, None]:
            rev, removed = catalog.revision, len(catalog.removed)
            entries = [(path, max(lastmod_of(p) for p in paths) if self.lastmod else None)
                       for path, paths in children.items()]
            return rev if self.lastmod else removed, render.sitemap_index(base, entries).encode(), None
        routes["/sitemap.xml"] = _Route(index, version, XML)
        return routes

    def _entry(self, path: str, route: _Route) -> _Entry:
        entry = self._cache.get(path)
        if entry is not None and entry.version == route.version():
            return entry
        version, body, last_modified = route.render()
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        headers = [("Content-Type", route.content_type), ("ETag", etag)]
        if last_modified is not None:
            headers.append(("Last-Modified", _http_date(last_modified)))
        response = _message(200, headers, body)
        entry = _Entry(version, etag, last_modified, response, _message(304, headers[1:], length=False))
        self._cache[path] = entry
        return entry

    # ---- request handling -------------------------------------------------------------------

    def respond(self, method: bytes, path: str, headers: dict[bytes, bytes], body: bytes) -> bytes:
        """The full HTTP response (bytes) to one parsed request."""
        if method == b"HEAD":  # the GET response's status and headers, no body
            response = self.respond(b"GET", path, headers, body)
            return response[: response.index(b"\r\n\r\n") + 4]
        if method == b"GET":
            if path == "/__faults":
                return self._json(200, self.faults.to_dict())
            return self._get(path, headers)
        if method == b"POST" and path in ("/__faults", "/__update", "/__remove"):
            return self._post(path, body)
        return self._error(405, [("Allow", "GET, HEAD")])

    def _get(self, path: str, headers: dict[bytes, bytes]) -> bytes:
        with self._hits_lock:
            self.hits[path] += 1
        agent = headers.get(b"user-agent")
        self.last_user_agent = agent.decode("latin-1") if agent is not None else None
        route = self._routes.get(path)
        if self.faults.active():
            faulted = self._faulted(path, route)
            if faulted is not None:
                return faulted
        if route is None or route.product is not None and route.product.path in self.catalog.removed:
            return self._error(404)
        entry = self._entry(path, route)
        if self._not_modified(headers, entry):
            return entry.not_modified
        return entry.response

    def _faulted(self, path: str, route: _Route | None) -> bytes | None:
        faults = self.faults
        delay = faults.slow.get(path)
        if delay:
            time.sleep(delay)
        status = faults.status.get(path)
        if status is not None:
            return self._error(status)
        wait = faults.take_retry_after(path)
        if wait is not None:
            return self._error(429, [("Retry-After", str(math.ceil(wait)))])
        if route is None or route.product is None:
            return None
        if faults.fail_all_status:
            return self._error(faults.fail_all_status)
        if path in faults.blocked:
            return _message(200, [("Content-Type", HTML)], self._home)
        if path in faults.malformed_jsonld:
            with self.catalog.lock:
                body = render.product_page(route.product, self.base_url, malformed_jsonld=True).encode()
            return _message(200, [("Content-Type", HTML)], body)
        if path in faults.content_type:
            return _message(200, [("Content-Type", faults.content_type[path])], b"%PDF-1.4 not a web page\n")
        if path in faults.charset or path in faults.oversize:
            with self.catalog.lock:
                page = render.product_page(route.product, self.base_url)
            charset = faults.charset.get(path, "utf-8")
            body = page.encode(charset, errors="xmlcharrefreplace")
            if path in faults.oversize:
                body += b"<!--" + b"x" * int(faults.oversize[path]) + b"-->"
            return _message(200, [("Content-Type", f"text/html; charset={charset}")], body)
        return None

    @staticmethod
    def _not_modified(headers: dict[bytes, bytes], entry: _Entry) -> bool:
        if_none_match = headers.get(b"if-none-match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix(b"W/").decode("latin-1") for t in if_none_match.split(b",")]
            return "*" in tags or entry.etag in tags
        if_modified_since = headers.get(b"if-modified-since")
        if if_modified_since and entry.last_modified is not None:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since.decode("latin-1"))
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=dt.timezone.utc)
            return entry.last_modified.replace(microsecond=0) <= since
        return False

    @staticmethod
    def _error(status: int, extra: list[tuple[str, str]] | None = None) -> bytes:
        return _message(status, [("Content-Type", HTML)] + (extra or []),
                        render.error_page(status, _reason(status)).encode())

    def _post(self, path: str, body: bytes) -> bytes:
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            if path == "/__faults":
                self.faults.apply(payload)
                return self._json(200, self.faults.to_dict())
            key = payload.pop("path_or_sku")
            if path == "/__remove":
                removed = self.catalog.remove(key)
                return self._json(200, {"path": removed.path, "sku": removed.sku, "removed": True})
            product = self.catalog.update(key, **payload)
            entry = self._entry(product.path, self._routes[product.path])
            return self._json(200, {"path": product.path, "sku": product.sku, "version": product.version,
                                    "price": product.price, "etag": entry.etag})
        except KeyError as exc:
            return self._json(404, {"error": str(exc)})
        except (ValueError, TypeError) as exc:
            return self._json(400, {"error": str(exc)})

    @staticmethod
    def _json(status: int, data: object) -> bytes:
        return _message(status, [("Content-Type", JSON)], json.dumps(data).encode())


class _HTTPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    # TCPServer, not http.server.HTTPServer: its server_bind does a reverse DNS lookup.
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 512
    site: CatalogServer

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


_BAD_REQUEST = _message(400, [("Content-Type", TEXT), ("Connection", "close")], b"bad request\n")
_MAX_LINE = 16384


class _Handler(socketserver.StreamRequestHandler):
    """A lean HTTP/1.1 connection loop: http.server's email-based header parsing cost more than
    serving a cached page."""

    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections close after this
    server: _HTTPServer

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
                    data = site.respond(method, _decode_target(target), headers, body)
                except Exception:  # a render bug must show up as a 500, not a dropped connection
                    wfile.write(CatalogServer._error(500, [("Connection", "close")]))
                    return
                wfile.write(data)
                connection = headers.get(b"connection", b"").lower()
                if connection == b"close" or version == b"HTTP/1.0" and connection != b"keep-alive":
                    return
        except (OSError, ValueError):
            return  # client went away, timed out, or sent garbage


def _decode_target(target: bytes) -> str:
    """Decoded path of a request target; percent-escapes and raw UTF-8 both decode to the same text."""
    if not target.startswith(b"/"):
        target = urlsplit(target.decode("latin-1")).path.encode("latin-1") or b"/"
    return unquote_to_bytes(target.split(b"?", 1)[0]).decode("utf-8", "replace")


def run_server(host: str = "127.0.0.1", port: int = 8000, n_products: int = 500, seed: int = 7,
               gzip_sitemaps: bool = False, flat_sitemap: bool = False, lastmod: bool = False,
               public_url: str | None = None) -> None:
    """Serve until SIGINT or SIGTERM (for `tileshop catalog serve`). Prints the base URL on start."""
    catalog = build_catalog(n_products=n_products, seed=seed)
    server = CatalogServer(catalog, host=host, port=port, gzip_sitemaps=gzip_sitemaps, flat_sitemap=flat_sitemap,
                           lastmod=lastmod, public_url=public_url)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    server.start()
    try:
        print(server.base_url, flush=True)
        while not stop.wait(0.1):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
