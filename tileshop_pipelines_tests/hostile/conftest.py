"""Fixtures for the hostile corpus: a crafted-page site and one crawl through the real path."""

from __future__ import annotations

import asyncio

import pytest

from tileshop_pipelines.acquisition.refresh import refresh_products
from tileshop_pipelines.catalog.urls import classify_url
from tileshop_pipelines.crawl.fetcher import CrawlPolicy, PageFetcher
from tileshop_pipelines.crawl.transports import HttpTransport
from tileshop_pipelines.sample_catalog import build_catalog
from tileshop_pipelines.store import acquisition as acquisition_sql

from .site import CraftedSite


@pytest.fixture(scope="module")
def catalog():
    return build_catalog(n_products=40, seed=5)


@pytest.fixture
def site():
    with CraftedSite() as crafted:
        yield crafted


def list_and_crawl(conn, urls: list[str], *, write_batch: int = 100):
    """List `urls` as the sitemap, then crawl them as a run does (HTTP, crawl4ai, extract, store)."""
    listed = []
    for url in urls:
        info = classify_url(url)
        listed.append(acquisition_sql.ListedUrl(info.url, info.kind, info.product_key, info.sku, None))
    acquisition_sql.record_sitemap(conn, listed)
    policy = CrawlPolicy(requests_per_second=0, max_attempts=1, timeout_s=10)
    crawler = PageFetcher(lambda: HttpTransport(user_agent=policy.user_agent, max_connections=4, timeout_s=10), policy)
    keys = [u.product_key for u in listed]
    report = asyncio.run(refresh_products(conn, crawler, keys, skip_checked_in_cycle=False, write_batch=write_batch))
    return report, dict(zip(urls, keys, strict=True))
