"""Fetch robots.txt, a sitemap (index or urlset, plain or gzipped) and every child it lists."""

from __future__ import annotations

from dataclasses import dataclass
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

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 lets crawlers stop reading after 500 KiB
MAX_CHILDREN = 1000


@dataclass(frozen=True)
class SiteListing:
    """What the site lists: robots.txt's rules and every sitemap <url> entry, in document order."""

    robots: Robots
    sitemaps: list[str]  # the sitemap files read (indexes and urlsets)
    entries: list[SitemapEntry]


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def collect_site_listing(sitemap_url: str, *, user_agent: str, timeout_s: float = 30.0) -> SiteListing:
    """robots.txt of the sitemap's host, then the sitemap and the sitemaps robots.txt names.

    robots.txt missing (4xx) means no rules; a robots.txt that cannot be fetched (5xx, network)
    raises SitemapError, as RFC 9309 says to assume the site disallows everything then.
    """
    with httpx.Client(headers={"User-Agent": user_agent}, timeout=timeout_s, follow_redirects=True) as client:
        robots = _fetch_robots(client, robots_url(sitemap_url), user_agent)
        starts = list(dict.fromkeys([sitemap_url, *robots.sitemaps]))
        entries, files = _collect(client, starts, origin=sitemap_url)
    return SiteListing(robots=robots, sitemaps=files, entries=entries)


def read_robots(url: str, *, user_agent: str, timeout_s: float = 30.0) -> Robots:
    """The robots.txt at `url` for `user_agent`; raises SitemapError as collect_site_listing does."""
    with httpx.Client(headers={"User-Agent": user_agent}, timeout=timeout_s, follow_redirects=True) as client:
        return _fetch_robots(client, url, user_agent)


def collect_sitemap_entries(sitemap_url: str, *, user_agent: str, timeout_s: float = 30.0) -> list[SitemapEntry]:
    """All <url> entries reachable from `sitemap_url`, in document order (robots.txt not read).

    Raises SitemapError (naming the sitemap) when any file is unreachable, malformed or empty, so
    a broken sitemap fails the materialization instead of looking like an empty catalog.
    """
    with httpx.Client(headers={"User-Agent": user_agent}, timeout=timeout_s, follow_redirects=True) as client:
        return _collect(client, [sitemap_url], origin=sitemap_url)[0]


def _collect(client: httpx.Client, starts: list[str], origin: str) -> tuple[list[SitemapEntry], list[str]]:
    entries: list[SitemapEntry] = []
    pending, seen = list(starts), []
    while pending:
        url = pending.pop(0)
        if url in seen:
            continue
        seen.append(url)
        if len(seen) > MAX_CHILDREN:
            raise SitemapError(f"{origin}: more than {MAX_CHILDREN} sitemap files")
        sitemap = parse_sitemap(_fetch(client, url), source=url)
        if sitemap.kind == "index":
            pending.extend(entry.loc for entry in sitemap.entries)
        else:
            entries.extend(sitemap.entries)
    return entries, seen


def _fetch_robots(client: httpx.Client, url: str, user_agent: str) -> Robots:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise SitemapError(f"{url}: cannot fetch robots.txt: {type(exc).__name__}: {exc}") from exc
    if 400 <= response.status_code < 500:
        return parse_robots("", user_agent=user_agent)
    if response.status_code != 200:
        raise SitemapError(f"{url}: robots.txt answered HTTP {response.status_code}; not crawling")
    return parse_robots(response.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace"), user_agent=user_agent)


def _fetch(client: httpx.Client, url: str) -> bytes:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise SitemapError(f"{url}: cannot fetch sitemap: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise SitemapError(f"{url}: sitemap answered HTTP {response.status_code}")
    if len(response.content) > MAX_SITEMAP_BYTES:
        raise SitemapError(f"{url}: sitemap larger than {MAX_SITEMAP_BYTES} bytes")
    return response.content
