"""Fetch robots.txt, a sitemap (index or urlset, plain or gzipped) and every child it lists.

Every download is read as a raw stream and decoded here (gzip, deflate) with a cap on the
output of each step, so a limit holds for what lands in memory: read whole, a 1 MB gzip body sent
as `Content-Encoding: gzip` became 2.1 GB before the size check ran, and even httpx's streaming
decoder turns one 64 KB chunk into 64 MB at once. A sitemap over MAX_SITEMAP_BYTES is refused
(SitemapError names it); robots.txt is read up to MAX_ROBOTS_BYTES and the rest dropped, as
RFC 9309 allows.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from tileshop_pipelines.catalog.sitemap import (
    MAX_SITEMAP_BYTES,
    Robots,
    SitemapEntry,
    SitemapError,
    parse_robots,
    parse_sitemap,
)
from tileshop_pipelines.catalog.urls import on_site, site_hosts

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 lets crawlers stop reading after 500 KiB
MAX_CHILDREN = 1000


@dataclass(frozen=True)
class SiteListing:
    """What the site lists: robots.txt's rules and every sitemap <url> entry, in document order."""

    robots: Robots
    sitemaps: list[str]  # the sitemap files read (indexes and urlsets)
    entries: list[SitemapEntry]
    off_site_sitemaps: list[str] = field(default_factory=list)  # named by an index on another host: not read


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


@functools.cache
def _tls_context():
    """httpx's default TLS context (certifi or SSL_CERT_FILE/SSL_CERT_DIR), made once per process:
    loading the CA bundle took 24 ms of CPU, and every crawl run reads robots.txt with a new client
    (24 us a page of a 1,000-page crawl)."""
    return httpx.create_ssl_context()


def _client(user_agent: str, timeout_s: float) -> httpx.Client:
    return httpx.Client(
        headers={"User-Agent": user_agent}, timeout=timeout_s, follow_redirects=True, verify=_tls_context()
    )


def collect_site_listing(sitemap_url: str, *, user_agent: str, timeout_s: float = 30.0) -> SiteListing:
    """robots.txt of the sitemap's host, then the sitemap and the sitemaps robots.txt names.

    robots.txt missing (4xx) means no rules; a robots.txt that cannot be fetched (5xx, network)
    raises SitemapError, as RFC 9309 says to assume the site disallows everything then.
    """
    with _client(user_agent, timeout_s) as client:
        robots = _fetch_robots(client, robots_url(sitemap_url), user_agent)
        starts = list(dict.fromkeys([sitemap_url, *robots.sitemaps]))
        entries, files, off_site = _collect(client, starts, origin=sitemap_url)
    return SiteListing(robots=robots, sitemaps=files, entries=entries, off_site_sitemaps=off_site)


def read_robots(url: str, *, user_agent: str, timeout_s: float = 30.0) -> Robots:
    """The robots.txt at `url` for `user_agent`; raises SitemapError as collect_site_listing does."""
    with _client(user_agent, timeout_s) as client:
        return _fetch_robots(client, url, user_agent)


def collect_sitemap_entries(sitemap_url: str, *, user_agent: str, timeout_s: float = 30.0) -> list[SitemapEntry]:
    """All <url> entries reachable from `sitemap_url`, in document order (robots.txt not read).

    Raises SitemapError (naming the sitemap) when any file is unreachable, malformed or empty, so
    a broken sitemap fails the materialization instead of looking like an empty catalog.
    """
    with _client(user_agent, timeout_s) as client:
        return _collect(client, [sitemap_url], origin=sitemap_url)[0]


def _collect(client: httpx.Client, starts: list[str], origin: str) -> tuple[list[SitemapEntry], list[str], list[str]]:
    """(entries, files read, index children skipped). An index may name only sitemaps on its own
    host (sitemaps.org; www. or not): another host's file is not fetched, and so its host never
    becomes the site's (the sitemap asset takes products only on the sitemap files' hosts)."""
    entries: list[SitemapEntry] = []
    pending = list(starts)
    seen: list[str] = []
    off_site: list[str] = []
    while pending:
        url = pending.pop(0)
        if url in seen:
            continue
        seen.append(url)
        if len(seen) > MAX_CHILDREN:
            raise SitemapError(f"{origin}: more than {MAX_CHILDREN} sitemap files")
        sitemap = parse_sitemap(_fetch(client, url), source=url)
        if sitemap.kind == "index":
            own = site_hosts(url)
            for entry in sitemap.entries:
                (pending if on_site(entry.loc, own) else off_site).append(entry.loc)
        else:
            entries.extend(sitemap.entries)
    return entries, seen, off_site


class _TooLarge(Exception):
    pass


def read_bounded(client: httpx.Client, url: str, limit: int, *, truncate: bool = False) -> tuple[int, bytes]:
    """(status, body) of a GET, the body decoded from its Content-Encoding as it streams and
    never past `limit` bytes: cut there with `truncate`, else _TooLarge. Non-200 bodies are not
    read; an encoding other than gzip or deflate (not asked for) is an httpx.DecodingError."""
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip, deflate"}) as response:
        if response.status_code != 200:
            return response.status_code, b""
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding in ("", "identity"):
            decoder = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            decoder = zlib.decompressobj(16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS)
        else:
            raise httpx.DecodingError(f"Content-Encoding {encoding!r} was not asked for")
        body = bytearray()
        for raw in response.iter_raw(64 * 1024):
            try:
                # At most one byte over the limit per step: the rest stays in unconsumed_tail.
                body += decoder.decompress(raw, limit + 1 - len(body)) if decoder else raw
            except zlib.error as exc:
                raise httpx.DecodingError(f"corrupt {encoding} body: {exc}") from exc
            if len(body) > limit or (decoder is not None and decoder.unconsumed_tail):
                if truncate:
                    return 200, bytes(body[:limit])
                raise _TooLarge
        return 200, bytes(body)


def _fetch_robots(client: httpx.Client, url: str, user_agent: str) -> Robots:
    try:
        status, body = read_bounded(client, url, MAX_ROBOTS_BYTES, truncate=True)
    except httpx.HTTPError as exc:
        raise SitemapError(f"{url}: cannot fetch robots.txt: {type(exc).__name__}: {exc}") from exc
    if 400 <= status < 500:
        return parse_robots("", user_agent=user_agent)
    if status != 200:
        raise SitemapError(f"{url}: robots.txt answered HTTP {status}; not crawling")
    return parse_robots(body.decode("utf-8", errors="replace"), user_agent=user_agent)


def _fetch(client: httpx.Client, url: str) -> bytes:
    try:
        status, body = read_bounded(client, url, MAX_SITEMAP_BYTES)
    except _TooLarge:
        raise SitemapError(
            f"{url}: sitemap larger than {MAX_SITEMAP_BYTES} bytes (counted after any "
            "Content-Encoding); refused while downloading"
        ) from None
    except httpx.HTTPError as exc:
        raise SitemapError(f"{url}: cannot fetch sitemap: {type(exc).__name__}: {exc}") from exc
    if status != 200:
        raise SitemapError(f"{url}: sitemap answered HTTP {status}")
    return body
