"""sitemap_urls -> product_pages -> products: the site as structured, versioned product records.

sitemap_urls is one asset per refresh; product_pages and products are partitioned per product
and materialized together, in batched runs, by one crawl step (fetch, parse, store).
"""

import asyncio
import queue
import threading

import dagster as dg
from pydantic import Field

from tileshop_pipelines.acquisition.refresh import refresh_products
from tileshop_pipelines.catalog.changes import markdown_table as changes_table
from tileshop_pipelines.catalog.sitemap import SitemapError, crawlable_entries, parse_lastmod
from tileshop_pipelines.catalog.urls import site_hosts
from tileshop_pipelines.crawl.sitemaps import collect_site_listing
from tileshop_pipelines.defs.acquisition.events import (
    check_events,
    failing_table,
    skipped_events,
    suspect_table,
    unchanged_count,
)
from tileshop_pipelines.defs.acquisition.partitions import (
    PRODUCT_PARTITIONS_NAME,
    product_partitions,
    register_product_partitions,
    remove_product_partitions,
    reverted_partitions,
)
from tileshop_pipelines.defs.policy import table_metadata, table_name
from tileshop_pipelines.defs.resources import CatalogSiteResource, CrawlerResource, PostgresResource
from tileshop_pipelines.settings import load_settings
from tileshop_pipelines.store import acquisition as acquisition_sql
from tileshop_pipelines.store import changes as changes_sql
from tileshop_pipelines.store import db
from tileshop_pipelines.store import products as products_sql

GROUP = "acquisition"
CRAWL_POOL = "crawl"
MIN_SCRAPE_SUCCESS_RATE = 0.95
MIN_REQUIRED_FIELDS_RATE = 0.99
REQUIRED_FIELDS = ("name", "sku", "price", "price_unit")
MAX_SITEMAP_SHRINK = 0.10
MAX_SITEMAP_GROWTH = 0.25


class SitemapConfig(dg.Config):
    allow_shrink: bool = Field(
        default=False,
        description="accept a listing with more than 10% fewer products than now "
        "(those products get marked discontinued)",
    )
    allow_growth: bool = Field(
        default=False,
        description=f"accept a listing with more than {MAX_SITEMAP_GROWTH:.0%} more products "
        "than now (each new product gets a partition); max_products still applies",
    )
    max_products: int = Field(
        default=50_000, ge=1, description="a hard maximum of listed products (tileshop.com lists about 5,000)"
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "postgres"},
    metadata=table_name("sitemap_urls"),
    check_specs=[
        dg.AssetCheckSpec(
            "sitemap_not_shrunk",
            asset="sitemap_urls",
            blocking=True,
            description=f"The sitemap lists no more than {MAX_SITEMAP_SHRINK:.0%} fewer and no more than "
            f"{MAX_SITEMAP_GROWTH:.0%} more products than the previous materialization, and at most "
            "max_products; a broken sitemap must not discontinue or flood the catalog.",
        )
    ],
)
def sitemap_urls(
    context: dg.AssetExecutionContext, config: SitemapConfig, site: CatalogSiteResource, postgres: PostgresResource
):
    """Every URL in the sitemap (index or urlset, gzip; robots.txt's Sitemap lines and rules
    honoured), classified, with SKU, product key and lastmod. Unlisted URLs are marked removed
    (discontinued), never deleted. Registers a partition for each new product and removes the
    reverted ones (listed once, unlisted before any record was stored: partitions.py)."""
    try:
        listing = collect_site_listing(site.sitemap_url, user_agent=site.user_agent)
        crawlable = crawlable_entries(listing.entries, listing.robots, site_hosts(site.sitemap_url, *listing.sitemaps))
    except SitemapError as exc:
        raise dg.Failure(description=f"sitemap acquisition failed, stored state untouched: {exc}") from exc
    listed = [
        acquisition_sql.ListedUrl(
            info.url, info.kind, info.product_key, info.sku, entry.lastmod, parse_lastmod(entry.lastmod)
        )
        for info, entry in crawlable.entries
    ]
    max_shrink = None if config.allow_shrink else MAX_SITEMAP_SHRINK
    max_growth = None if config.allow_growth else MAX_SITEMAP_GROWTH
    with postgres.connect() as conn:
        try:
            diff = acquisition_sql.record_sitemap(
                conn,
                listed,
                sitemap_url=site.sitemap_url,
                max_shrink=max_shrink,
                max_growth=max_growth,
                max_products=config.max_products,
            )
            tables = table_metadata(conn, "sitemap_urls")
            listed_keys = {u.product_key for u in listed if u.kind == "product" and u.product_key is not None}  # (all)
            registered = context.instance.get_dynamic_partitions(PRODUCT_PARTITIONS_NAME)
            unlisted = sorted(set(registered) - listed_keys)
            reverted = reverted_partitions(registered, listed_keys, acquisition_sql.keys_with_records(conn, unlisted))
            changes = changes_sql.list_changes(conn, refresh_id=diff.refresh_id)
        except (acquisition_sql.SitemapShrunk, acquisition_sql.SitemapGrew) as exc:
            yield dg.AssetCheckResult(
                check_name="sitemap_not_shrunk",
                passed=False,
                metadata={
                    "previous_products": exc.previous,
                    "listed_products": exc.listed,
                    "change": round(acquisition_sql.growth_ratio(exc.previous, exc.listed), 4),
                },
            )
            raise dg.Failure(description=f"{site.sitemap_url}: {exc}", allow_retries=False) from exc
    remove_product_partitions(context.instance, reverted)
    added_partitions = register_product_partitions(context.instance, sorted(listed_keys))
    context.log.info(
        f"sitemap {site.sitemap_url}: {diff}; {len(added_partitions)} new product partitions, "
        f"{len(reverted)} reverted ones removed"
    )
    yield dg.MaterializeResult(
        metadata={
            "sitemap_url": site.sitemap_url,
            "sitemap_files": len(listing.sitemaps),
            "entries": len(listing.entries),
            "urls": diff.listed,
            "products": diff.products,
            "added": diff.added,
            "removed": diff.removed,
            "unchanged": diff.unchanged,
            "disallowed_by_robots": crawlable.disallowed,
            "off_site": crawlable.off_site,
            "off_site_sitemaps": len(listing.off_site_sitemaps),
            "with_lastmod": sum(u.lastmod_at is not None for u in listed),
            "new_partitions": len(added_partitions),
            "removed_partitions": len(reverted),
            **{
                f"products_{kind}": sum(c["change"] == kind for c in changes)
                for kind in ("added", "delisted", "returned")
            },
            "changes": dg.MetadataValue.md(changes_table(changes)),
            **tables,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="sitemap_not_shrunk",
                passed=True,
                metadata={"previous_products": diff.previous_products, "listed_products": diff.products},
            )
        ],
    )


class CrawlConfig(dg.Config):
    product_keys: list[str] = Field(
        default_factory=list,
        description="Crawl only these product keys of the run's partitions (the sensor's batch); "
        "empty: every partition of the run.",
    )
    force: bool = Field(
        default=False,
        description="Fetch pages already checked in the current refresh cycle too "
        "(by default a resumed crawl skips them).",
    )


@dg.multi_asset(
    name="crawl_products",
    specs=[
        dg.AssetSpec(
            "product_pages",
            deps=[sitemap_urls],
            partitions_def=product_partitions,
            skippable=True,
            group_name=GROUP,
            kinds={"crawl4ai", "postgres"},
            metadata=table_name("product_pages"),
            description="The HTML of each product page (conditional GET, crawl4ai), its content "
            "hash, validators and crawl state (ok, gone, blocked, failed; attempts).",
        ),
        dg.AssetSpec(
            "products",
            deps=["product_pages"],
            partitions_def=product_partitions,
            skippable=True,
            group_name=GROUP,
            kinds={"python", "postgres"},
            metadata=table_name("products"),
            description="The product record parsed from JSON-LD and __NEXT_DATA__; a changed "
            "record is a new version in product_history.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "scrape_success_rate",
            asset="product_pages",
            description=f"At least {MIN_SCRAPE_SUCCESS_RATE:.0%} of the pages checked in the "
            "run answered as product pages (ok, not modified or gone).",
        ),
        # Blocking: a crawl whose records lost a required field (a site redesign) fails its run,
        # and the index waits (definitions.FOLLOW_UPSTREAM) instead of publishing the loss.
        dg.AssetCheckSpec(
            "required_fields",
            asset="products",
            blocking=True,
            description=f"{', '.join(REQUIRED_FIELDS)} present on at least "
            f"{MIN_REQUIRED_FIELDS_RATE:.0%} of the product records.",
        ),
        # Not blocking: the held pages keep their last good record, so the rest of the catalog
        # may publish; the failure names them until their pages parse well again.
        dg.AssetCheckSpec(
            "no_suspect_records",
            asset="products",
            description="No parse is held as suspect: one that lost the current record's "
            "price, more than half of its fields or every specification (a broken "
            "page, not a change), or one with a value outside its kind's "
            "plausibility bounds (catalog/plausibility.py); the last good record "
            "stays current.",
        ),
    ],
    # A backfill runs batches of TILESHOP_CRAWL_BATCH_SIZE products (`defs` below), never one run each.
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=100),
    pool=CRAWL_POOL,
)
def crawl_products(
    context: dg.AssetExecutionContext, config: CrawlConfig, crawler: CrawlerResource, postgres: PostgresResource
):
    """Fetch, parse and store the run's products; a materialization per product whose page or record
    changed, a count of the unchanged ones (events.py)."""
    in_run = context.partition_keys
    keys = list(dict.fromkeys(config.product_keys)) or list(in_run)
    outside = sorted(set(keys) - set(in_run))
    if outside:
        raise dg.Failure(description=f"product_keys outside the run's partitions: {outside[:10]}")
    with postgres.connect() as conn:
        # The crawl runs on a thread of its own and hands over each stored batch: the partition
        # events (~8-60 ms each to write, bench production) are written while the rate-limited
        # crawl waits, not all after it.
        started = db.one(conn.execute("SELECT clock_timestamp()"))[0]
        stored: queue.SimpleQueue = queue.SimpleQueue()
        outcome: dict = {}

        def crawl() -> None:
            try:
                outcome["report"] = asyncio.run(
                    refresh_products(
                        conn,
                        crawler.crawler(),
                        keys,
                        skip_checked_in_cycle=not config.force,
                        log=context.log.info,
                        on_stored=stored.put,
                    )
                )
            except BaseException as exc:  # noqa: BLE001 - re-raised on the step's thread below
                outcome["error"] = exc
            finally:
                stored.put(None)

        worker = threading.Thread(target=crawl, name="crawl", daemon=True)
        worker.start()
        changes: list[dict] = []  # this run's price and specification changes, for the tables and the log
        with postgres.connect() as lookup:  # `conn` is the crawl thread's
            while (checks := stored.get()) is not None:
                answered = [c for c in checks if c.answered]
                versioned = [c.product_key for c in answered if c.version is not None]
                batch_changes = (
                    changes_sql.list_changes(lookup, since=started, limit=100_000, product_keys=versioned)
                    if versioned
                    else []
                )
                changes += batch_changes
                yield from check_events(answered, {}, batch_changes)
        worker.join()
        if "error" in outcome:
            raise outcome["error"]
        report = outcome["report"]
        failing = [c for c in report.checks if not c.answered]
        states = acquisition_sql.page_states(conn, report.skipped)
        attempts = acquisition_sql.page_attempts(conn, [c.product_key for c in failing])
        coverage = products_sql.required_field_coverage(conn, REQUIRED_FIELDS)
        suspects, held = products_sql.suspect_records(conn)
    yield from check_events(failing, attempts)
    yield from skipped_events(report.skipped, states)
    counts = report.counts
    context.log.info(
        f"crawl: {counts}, success rate {report.success_rate:.1%}; "
        f"{sum(c['change'] == 'price' for c in changes)} price and "
        f"{sum(c['change'] == 'spec' for c in changes)} specification changes"
    )
    yield dg.AssetCheckResult(
        check_name="scrape_success_rate",
        asset_key="product_pages",
        passed=report.circuit_open is None and report.success_rate >= MIN_SCRAPE_SUCCESS_RATE,
        metadata={
            "success_rate": round(report.success_rate, 4),
            **counts,
            "unchanged": unchanged_count(report),
            "failing": dg.MetadataValue.md(failing_table(failing, attempts)),
        },
    )
    complete, total = coverage
    yield dg.AssetCheckResult(
        check_name="required_fields",
        asset_key="products",
        passed=total == 0 or complete / total >= MIN_REQUIRED_FIELDS_RATE,
        metadata={"complete_records": complete, "records": total, "rate": round(complete / total, 4) if total else 1.0},
    )
    yield dg.AssetCheckResult(
        check_name="no_suspect_records",
        asset_key="products",
        passed=suspects == 0,
        description=None
        if suspects == 0
        else f"{suspects} record(s) held as suspect, e.g. "
        + "; ".join(f"{key}: {reason}" for key, reason, _ in held[:3]),
        metadata={"suspect_records": suspects, "held": dg.MetadataValue.md(suspect_table(held, suspects))},
    )
    if report.circuit_open:
        raise dg.Failure(
            description=f"circuit breaker open: {report.circuit_open}. Pages answered before it "
            "opened are stored; nothing else was marked failed.",
            metadata=counts,
        )
    if report.checks and report.success_rate == 0:
        raise dg.Failure(description=f"all {len(report.checks)} page checks failed", metadata=counts)


# The two assets the crawl step materializes, for `deps=[...]` downstream.
product_pages = dg.AssetKey("product_pages")
products = dg.AssetKey("products")


@dg.definitions
def defs() -> dg.Definitions:
    """This module's assets, the crawl's batch from the settings: a backfill of any size runs
    TILESHOP_CRAWL_BATCH_SIZE products per run."""
    batch = load_settings().crawl_batch_size
    assert batch is not None  # set from the crawl rate when not given
    crawl = crawl_products.with_attributes(backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=batch))
    return dg.Definitions(assets=[sitemap_urls, crawl])
