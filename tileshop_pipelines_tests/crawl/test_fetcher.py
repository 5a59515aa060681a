"""The crawl4ai page fetcher and the sitemap fetcher against the sample catalog over real HTTP."""

from __future__ import annotations

import asyncio

import pytest

from tileshop_pipelines.catalog.sitemap import SitemapError
from tileshop_pipelines.crawl.fetcher import PageFetcher
from tileshop_pipelines.crawl.sitemaps import collect_sitemap_entries
from tileshop_pipelines.sample_catalog import CatalogServer, build_catalog


@pytest.fixture(scope="module")
def server():
    with CatalogServer(build_catalog(n_products=40, seed=3), port=0) as srv:
        yield srv


def _fetch_all(urls, **kwargs):
    async def go():
        return [f async for f in PageFetcher(**kwargs).fetch_iter(urls)]
    return asyncio.run(go())


def test_fetches_every_page_once(server):
    urls = [f"{server.base_url}{p.path}" for p in server.catalog.products[:25]]
    urls = list(dict.fromkeys(urls))
    results = _fetch_all(urls, concurrency=4)
    assert sorted(r.url for r in results) == sorted(urls)
    assert all(r.ok and r.status_code == 200 for r in results)
    assert all('"@type": "Product"' in r.html or '"@type":"Product"' in r.html for r in results)


def test_errors_are_recorded_per_url_not_raised(server):
    product = server.catalog.products[0]
    server.faults.status[product.path] = 500
    try:
        results = _fetch_all([f"{server.base_url}{product.path}", "http://127.0.0.1:9/nothing-listens"],
                             concurrency=2)
    finally:
        server.faults.status.pop(product.path, None)
    by_url = {r.url: r for r in results}
    assert by_url[f"{server.base_url}{product.path}"].status_code == 500
    assert by_url[f"{server.base_url}{product.path}"].error == "HTTP 500"
    refused = by_url["http://127.0.0.1:9/nothing-listens"]
    assert refused.status_code is None and refused.error and not refused.ok


def test_user_agent_is_sent(server):
    results = _fetch_all([f"{server.base_url}/"], user_agent="TileshopPipelines-test/1.0")
    assert results[0].ok
    assert server.last_user_agent == "TileshopPipelines-test/1.0"


def test_concurrency_must_be_positive():
    with pytest.raises(ValueError, match="concurrency"):
        PageFetcher(concurrency=0)


def test_sitemap_index_is_followed_to_every_url(server):
    entries = collect_sitemap_entries(f"{server.base_url}/sitemap.xml", user_agent="t")
    locs = {e.loc for e in entries}
    listed_products = {p.path for p in server.catalog.products}
    assert len(locs) >= len(listed_products)


def test_missing_sitemap_fails_loudly(server):
    with pytest.raises(SitemapError, match="404"):
        collect_sitemap_entries(f"{server.base_url}/no-such-sitemap.xml", user_agent="t")
