"""sitemap_urls -> product_pages -> products: the site as structured product records."""

import asyncio
import time

import dagster as dg

from tileshop_pipelines.catalog.extract import NotAProductPage, extract_product
from tileshop_pipelines.catalog.sitemap import SitemapError
from tileshop_pipelines.catalog.urls import classify_url
from tileshop_pipelines.crawl.sitemaps import collect_sitemap_entries
from tileshop_pipelines.defs.resources import CatalogSiteResource, CrawlerResource, PostgresResource
from tileshop_pipelines.store import acquisition as acquisition_sql
from tileshop_pipelines.store import products as products_sql

GROUP = "acquisition"
PAGE_WRITE_BATCH = 200


@dg.asset(group_name=GROUP, kinds={"postgres"})
def sitemap_urls(context: dg.AssetExecutionContext, site: CatalogSiteResource,
                 postgres: PostgresResource) -> dg.MaterializeResult:
    """Every URL in the sitemap, classified (product or other), with its SKU and product key."""
    try:
        entries = collect_sitemap_entries(site.sitemap_url, user_agent=site.user_agent)
    except SitemapError as exc:
        raise dg.Failure(description=f"sitemap acquisition failed, stored state untouched: {exc}") from exc
    listed: dict[str, acquisition_sql.ListedUrl] = {}
    for entry in entries:
        info = classify_url(entry.loc)
        listed[info.url] = acquisition_sql.ListedUrl(info.url, info.kind, info.product_key, info.sku, entry.lastmod)
    with postgres.connect() as conn:
        diff = acquisition_sql.record_sitemap(conn, list(listed.values()))
    context.log.info(f"sitemap {site.sitemap_url}: {diff}")
    return dg.MaterializeResult(metadata={
        "sitemap_url": site.sitemap_url,
        "entries": len(entries),
        "urls": diff.listed,
        "products": diff.products,
        "added": diff.added,
        "removed": diff.removed,
        "unchanged": diff.unchanged,
    })


@dg.asset(group_name=GROUP, deps=[sitemap_urls], kinds={"postgres"})
def product_pages(context: dg.AssetExecutionContext, crawler: CrawlerResource,
                  postgres: PostgresResource) -> dg.MaterializeResult:
    """The HTML of every listed product page, fetched with crawl4ai and stored with its hash."""
    with postgres.connect() as conn:
        targets = acquisition_sql.listed_products(conn)
        key_by_url = {url: key for key, url in targets}
        counts = {"fetched": 0, "ok": 0, "failed": 0}
        started = time.perf_counter()

        async def crawl() -> None:
            batch: list[tuple] = []
            async for fetch in crawler.fetcher().fetch_iter(key_by_url):
                counts["fetched"] += 1
                counts["ok" if fetch.ok else "failed"] += 1
                batch.append((key_by_url[fetch.url], fetch.url, fetch.status_code,
                              fetch.html if fetch.ok else None, fetch.error))
                if len(batch) >= PAGE_WRITE_BATCH:
                    acquisition_sql.save_page_results(conn, batch)
                    batch.clear()
                    context.log.info(f"fetched {counts['fetched']}/{len(targets)} pages")
            acquisition_sql.save_page_results(conn, batch)

        asyncio.run(crawl())
    elapsed = time.perf_counter() - started
    if targets and counts["ok"] == 0:
        raise dg.Failure(description=f"all {len(targets)} product page fetches failed")
    return dg.MaterializeResult(metadata={
        "pages": len(targets),
        **counts,
        "seconds": round(elapsed, 2),
        "pages_per_second": round(len(targets) / elapsed, 1) if elapsed else 0.0,
    })


@dg.asset(group_name=GROUP, deps=[product_pages], kinds={"postgres"})
def products(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """Structured product records parsed from JSON-LD and __NEXT_DATA__, upserted by product key."""
    parsed = failed = 0
    with postgres.connect() as conn:
        keys = products_sql.keys_to_parse(conn)
        for start in range(0, len(keys), 500):
            records, failures = [], []
            for key, url, html, digest in products_sql.load_pages(conn, keys[start:start + 500]):
                try:
                    records.append((key, digest, extract_product(html, url)))
                except NotAProductPage as exc:
                    failures.append((key, digest, str(exc)))
            products_sql.save_records(conn, records, failures)
            parsed += len(records)
            failed += len(failures)
        total = conn.execute("SELECT count(*) FROM products").fetchone()[0]
    if keys and parsed == 0:
        raise dg.Failure(description=f"none of {len(keys)} changed pages parsed as a product")
    context.log.info(f"parsed {parsed}, not products {failed}, total {total}")
    return dg.MaterializeResult(metadata={
        "changed_pages": len(keys), "parsed": parsed, "not_products": failed, "products": total,
    })
