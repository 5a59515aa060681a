"""Fetch a sitemap (index or urlset, plain or gzipped) and every child it lists."""

from __future__ import annotations

import httpx

from tileshop_pipelines.catalog.sitemap import SitemapEntry, SitemapError, parse_sitemap

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one file, uncompressed
MAX_CHILDREN = 1000


def collect_sitemap_entries(sitemap_url: str, *, user_agent: str, timeout_s: float = 30.0) -> list[SitemapEntry]:
    """All <url> entries reachable from `sitemap_url`, in document order.

    Raises SitemapError (naming the sitemap) when any file is unreachable, malformed or empty, so
    a broken sitemap fails the materialization instead of looking like an empty catalog.
    """
    entries: list[SitemapEntry] = []
    with httpx.Client(headers={"User-Agent": user_agent}, timeout=timeout_s, follow_redirects=True) as client:
        pending, seen = [sitemap_url], set()
        while pending:
            url = pending.pop(0)
            if url in seen:
                continue
            seen.add(url)
            if len(seen) > MAX_CHILDREN:
                raise SitemapError(f"{sitemap_url}: more than {MAX_CHILDREN} sitemap files")
            sitemap = parse_sitemap(_fetch(client, url), source=url)
            if sitemap.kind == "index":
                pending.extend(entry.loc for entry in sitemap.entries)
            else:
                entries.extend(sitemap.entries)
    return entries


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
