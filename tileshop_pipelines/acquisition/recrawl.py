"""Re-crawl on demand (POST /api/admin/recrawl, `tileshop recrawl`, the product page's button).

What to re-crawl is resolved to product keys first (a SKU to every URL it sits on; a category to
the products whose current record names it), every value checked before anything launches; then
the product_crawl job runs for those partitions through the Dagster webserver's GraphQL API, as
the sensor's batches do (a range of neighbouring partitions, the batch named in the run config),
with `force` so pages checked earlier in the refresh cycle are fetched again. The run waits for
the crawl pool and keeps the per-host politeness limits like any crawl run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import psycopg

from tileshop_pipelines.acquisition.dagster_graphql import DagsterJobs
from tileshop_pipelines.store import catalog_admin

RECRAWL_JOB = "product_crawl"
PARTITIONED_ASSET = "products"
MAX_ITEMS = 1000  # SKUs or product keys in one request
PRODUCTS_PER_RUN = 1000  # a category re-crawl larger than this is several runs
MAX_ITEM_CHARS = 200
# The crawl step's op (defs/acquisition/assets.py crawl_products).
CRAWL_OP = "crawl_products"
RUN_TAGS = {"tileshop/recrawl": "on demand"}  # besides the job's own (its max runtime)


class RecrawlError(ValueError):
    """The request names something that cannot be re-crawled; the message names the value."""


@dataclasses.dataclass(frozen=True)
class Resolved:
    product_keys: list[str]  # sorted, distinct
    by_sku: dict[str, list[str]]  # SKU as asked -> its product keys


def check_request(skus: list[str], product_keys: list[str], category: str | None) -> None:
    """Shape checks before any database work: one kind of target, bounded, each value sane."""
    given = sum(bool(x) for x in (skus, product_keys, category))
    if given != 1:
        raise RecrawlError("name SKUs, product keys or a category (exactly one of them)")
    items = skus or product_keys
    if len(items) > MAX_ITEMS:
        raise RecrawlError(f"{len(items)} {'SKUs' if skus else 'product keys'} in one request; at most {MAX_ITEMS}")
    for value in [*items, *([category] if category else [])]:
        if (
            not value.strip()
            or len(value) > MAX_ITEM_CHARS
            or any(c in value for c in "\x00\r\n")
            or any(0xD800 <= ord(c) <= 0xDFFF for c in value)
        ):
            raise RecrawlError(f"not a SKU, product key or category: {value!r}")


def resolve(
    conn: psycopg.Connection, *, skus: Sequence[str] = (), product_keys: Sequence[str] = (), category: str | None = None
) -> Resolved:
    """The product keys to re-crawl; RecrawlError naming every unknown SKU, key or the category."""
    skus, product_keys = list(dict.fromkeys(skus)), list(dict.fromkeys(product_keys))
    check_request(skus, product_keys, category)
    if skus:
        by_sku = catalog_admin.keys_for_skus(conn, skus)
        unknown = [sku for sku, keys in by_sku.items() if not keys]
        if unknown:
            raise RecrawlError(
                f"unknown SKU(s): {', '.join(map(repr, unknown[:20]))}"
                + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
            )
        return Resolved(sorted({k for keys in by_sku.values() for k in keys}), by_sku)
    if product_keys:
        unknown = sorted(set(product_keys) - catalog_admin.known_keys(conn, product_keys))
        if unknown:
            raise RecrawlError(f"unknown product key(s): {', '.join(map(repr, unknown[:20]))}")
        return Resolved(sorted(product_keys), {})
    if category is None:  # check_request asks for one of the three
        raise RecrawlError("no SKU, product key or category to re-crawl")
    keys = catalog_admin.category_keys(conn, category)
    if not keys:
        raise RecrawlError(f"no product's record has the category {category!r}")
    return Resolved(keys, {})


def plan_runs(keys: list[str], partition_order: list[str], per_run: int = PRODUCTS_PER_RUN) -> list[list[str]]:
    """`keys` in partition order, cut into runs of at most `per_run`; RecrawlError naming keys
    without a partition (a product no sitemap refresh registered, e.g. a legacy import's)."""
    position = {key: i for i, key in enumerate(partition_order)}
    missing = [k for k in keys if k not in position]
    if missing:
        raise RecrawlError(
            f"no crawl partition for product key(s) {', '.join(map(repr, missing[:20]))}: "
            "a sitemap refresh registers a product's partition"
        )
    ordered = sorted(keys, key=position.__getitem__)
    return [ordered[i : i + per_run] for i in range(0, len(ordered), per_run)]


async def launch(jobs: DagsterJobs, keys: list[str], per_run: int = PRODUCTS_PER_RUN) -> list[dict]:
    """One product_crawl run per batch of `keys`; returns the runs ({run_id, status, job, location,
    product_keys}). Every key is checked against the partitions before the first launch."""
    batches = plan_runs(keys, await jobs.partition_keys(PARTITIONED_ASSET), per_run)
    runs = []
    for batch in batches:
        run = await jobs.launch_job(
            RECRAWL_JOB,
            run_config={"ops": {CRAWL_OP: {"config": {"product_keys": batch, "force": True}}}},
            tags={
                **RUN_TAGS,
                "dagster/asset_partition_range_start": batch[0],
                "dagster/asset_partition_range_end": batch[-1],
            },
        )
        runs.append({**run, "product_keys": batch})
    return runs
