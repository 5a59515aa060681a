"""Local HTTP server for a sample catalog, with switchable faults for crawler tests (faults.py).

Threaded, HTTP/1.1 keep-alive. Every page is rendered once, on first request, and kept as
ready-to-send bytes (status line, headers and body in one write); a product's cached page is
re-rendered when its version changes (Catalog.update). Request paths are percent-decoded before
lookup, so the raw and the encoded form of a URL reach the same page. The HTTP/1.1 connection
loop and the response bytes are wire.py's.

The server starts its own stand-in of the store's CDN (cdn.py, on 127.0.0.2) and its product pages
name their documents there; the catalog's products keep the real CDN's addresses.

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
import gzip
import hashlib
import json
import signal
import threading
from collections.abc import Callable

from . import render
from .catalog import BUNDLE_PATH, Catalog, build_catalog
from .cdn import CDN_HOST, CdnServer
from .faults import Faults, faulted_response
from .model import CATALOG_EPOCH, CATEGORIES, SampleProduct
from .wire import GZIP, HTML, JSON, TEXT, XML, Background, error_response, http_date, message, not_modified


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
    response: bytes  # full 200 response: status line, headers, body
    not_modified: bytes  # full 304 response


class CatalogServer:
    """Serve a Catalog on a background thread. Also a context manager (start on enter, stop on exit).

    `faults` switches failures at runtime; `hits` counts requests per decoded path and
    `last_user_agent` records the latest User-Agent, for tests of crawler behaviour. `public_url`
    replaces the advertised base URL (sitemaps, canonical links) when clients reach the server by
    another name than 127.0.0.1. `cdn` is the documents' server, started and stopped with this one
    (on `cdn_host`:`cdn_port`, a free port by default).
    """

    def __init__(
        self,
        catalog: Catalog,
        host: str = "127.0.0.1",
        port: int = 0,
        gzip_sitemaps: bool = False,
        flat_sitemap: bool = False,
        lastmod: bool = False,
        public_url: str | None = None,
        cdn_host: str = CDN_HOST,
        cdn_port: int = 0,
    ):
        self.catalog = catalog
        self.cdn = CdnServer(cdn_host, cdn_port)
        self.host, self.port = host, port
        self.gzip_sitemaps, self.flat_sitemap, self.lastmod = gzip_sitemaps, flat_sitemap, lastmod
        self.public_url = public_url.rstrip("/") if public_url else None
        self.faults = Faults()
        self.hits: collections.Counter[str] = collections.Counter()  # requests per decoded path
        self.last_user_agent: str | None = None  # User-Agent of the latest page request
        self._hits_lock = threading.Lock()
        self._served: Background | None = None
        self._routes: dict[str, _Route] = {}
        self._cache: dict[str, _Entry] = {}
        self.home_page: bytes = b""  # what a blocked page answers

    @property
    def base_url(self) -> str:
        """The URL the site's own links and sitemaps use, e.g. http://127.0.0.1:54321."""
        if self.public_url:
            return self.public_url
        if self._served is None:
            raise RuntimeError("server not started")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self._served.port}"

    @property
    def cdn_url(self) -> str:
        """Where the product pages name their documents, e.g. http://127.0.0.2:54322."""
        return self.cdn.base_url

    def start(self) -> CatalogServer:
        if self._served is not None:
            raise RuntimeError("server already started")
        self.cdn.start()
        try:
            self._served = Background((self.host, self.port), self, "catalog-server")
        except OSError:
            self.cdn.stop()
            raise
        self._routes = self._build_routes()
        self.home_page = render.home_page(self.base_url).encode()
        return self

    def stop(self) -> None:
        if self._served is None:
            return
        self._served.stop()
        self._served = None
        self.cdn.stop()

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
            routes[product.path] = _Route(self._product_renderer(product), lambda p=product: p.version, HTML, product)  # type: ignore[misc]  # (lambda default: mypy #4226)
        routes["/"] = static(lambda: render.home_page(base))
        for path, title in dict(CATEGORIES.values()).items():
            if path in catalog.other_pages:
                kinds = {k for k, (p, _) in CATEGORIES.items() if p == path}
                links = [(p.name, p.path) for p in catalog.products if p.kind in kinds][:60]
                routes[path] = static(
                    lambda path=path, title=title, links=links: render.listing_page(  # type: ignore[misc]
                        base, path, title, f"Shop {title.lower()} at The Tile Shop.", links
                    )
                )
        all_categories = [
            (title, path) for path, title in dict(CATEGORIES.values()).items() if path in catalog.other_pages
        ]
        routes["/products/"] = static(
            lambda: render.listing_page(base, "/products/", "All Products", "Browse every category.", all_categories)
        )
        for path, product in catalog.sample_pages.items():
            routes[path] = static(lambda path=path, product=product: render.sample_page(base, path, product))  # type: ignore[misc]
        routes[BUNDLE_PATH] = static(
            lambda: render.listing_page(
                base,
                BUNDLE_PATH,
                "White Subway Tile with Grout",
                "Everything for a classic white subway wall.",
                self._bundle_links(),
            )
        )
        routes["/robots.txt"] = static(lambda: render.robots_txt(base), TEXT)
        routes.update(self._sitemap_routes())
        return routes

    def _product_renderer(self, product: SampleProduct) -> Callable[[], tuple[int, bytes, dt.datetime]]:
        def make() -> tuple[int, bytes, dt.datetime]:
            with self.catalog.lock:  # a consistent snapshot while update() may run
                return (
                    product.version,
                    render.product_page(product, self.base_url, self.cdn_url).encode(),
                    product.last_modified,
                )

        return make

    def _bundle_links(self) -> list[tuple[str, str]]:
        tiles = [
            p
            for p in self.catalog.products
            if p.kind == "tile" and "subway" in p.path and "White" in p.specs.get("Color", "")
        ][:2]
        grouts = [p for p in self.catalog.products if p.kind == "grout"][:1]
        return [(p.name, p.path) for p in tiles + grouts] or [("Tile", "/tile")]

    def _sitemap_routes(self) -> dict[str, _Route]:
        base, catalog, suffix = self.base_url, self.catalog, ".xml.gz" if self.gzip_sitemaps else ".xml"
        # A sitemap changes when a product is removed, and with lastmod when any product changes.
        version = (lambda: catalog.revision) if self.lastmod else (lambda: len(catalog.removed))

        def stamp(path: str) -> str:
            try:
                return catalog.product(path).last_modified.isoformat()
            except KeyError:  # a non-product page
                return CATALOG_EPOCH.isoformat()

        def lastmod_of(path: str) -> str | None:
            return stamp(path) if self.lastmod else None

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
        children = {
            f"/sitemaps/products-{i}{suffix}": chunk for i, chunk in enumerate(catalog.product_sitemaps, start=1)
        }
        children[f"/sitemaps/pages{suffix}"] = pages
        routes = {path: child(paths, self.gzip_sitemaps) for path, paths in children.items()}

        def index() -> tuple[int, bytes, None]:
            rev, removed = catalog.revision, len(catalog.removed)
            entries = [
                (path, max(stamp(p) for p in paths) if self.lastmod else None) for path, paths in children.items()
            ]
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
            headers.append(("Last-Modified", http_date(last_modified)))
        response = message(200, headers, body)
        entry = _Entry(version, etag, last_modified, response, message(304, headers[1:], length=False))
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
        return error_response(405, [("Allow", "GET, HEAD")])

    def _get(self, path: str, headers: dict[bytes, bytes]) -> bytes:
        with self._hits_lock:
            self.hits[path] += 1
        agent = headers.get(b"user-agent")
        self.last_user_agent = agent.decode("latin-1") if agent is not None else None
        route = self._routes.get(path)
        if self.faults.active():
            faulted = faulted_response(self.faults, path, self, route.product if route is not None else None)
            if faulted is not None:
                return faulted
        if route is None or route.product is not None and route.product.path in self.catalog.removed:
            return error_response(404)
        entry = self._entry(path, route)
        if not_modified(headers, entry.etag, entry.last_modified):
            return entry.not_modified
        return entry.response

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
            return self._json(
                200,
                {
                    "path": product.path,
                    "sku": product.sku,
                    "version": product.version,
                    "price": product.price,
                    "etag": entry.etag,
                },
            )
        except KeyError as exc:
            return self._json(404, {"error": str(exc)})
        except (ValueError, TypeError) as exc:
            return self._json(400, {"error": str(exc)})

    @staticmethod
    def _json(status: int, data: object) -> bytes:
        return message(status, [("Content-Type", JSON)], json.dumps(data).encode())


def run_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    n_products: int = 500,
    seed: int = 7,
    gzip_sitemaps: bool = False,
    flat_sitemap: bool = False,
    lastmod: bool = False,
    public_url: str | None = None,
    cdn_host: str = CDN_HOST,
    cdn_port: int = 0,
) -> None:
    """Serve until SIGINT or SIGTERM (for `tileshop catalog serve`). Prints the base URL on start,
    then the CDN stand-in's."""
    catalog = build_catalog(n_products=n_products, seed=seed)
    server = CatalogServer(
        catalog,
        host=host,
        port=port,
        gzip_sitemaps=gzip_sitemaps,
        flat_sitemap=flat_sitemap,
        lastmod=lastmod,
        public_url=public_url,
        cdn_host=cdn_host,
        cdn_port=cdn_port,
    )
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    server.start()
    try:
        print(server.base_url, flush=True)
        print(server.cdn_url, flush=True)
        while not stop.wait(0.1):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
