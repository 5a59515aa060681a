"""One dynamic partition per product key (catalog/urls.py), registered by sitemap_urls.

Product pages are crawled in batched runs: a backfill of any subset runs at most
`TILESHOP_CRAWL_BATCH_SIZE` (default 100) products per run, never one process per product.
"""

import os

import dagster as dg

PRODUCT_PARTITIONS_NAME = "product"
product_partitions = dg.DynamicPartitionsDefinition(name=PRODUCT_PARTITIONS_NAME)


def crawl_batch_size() -> int:
    raw = os.environ.get("TILESHOP_CRAWL_BATCH_SIZE", "100")
    try:
        size = int(raw)
    except ValueError:
        raise ValueError(f"environment variable TILESHOP_CRAWL_BATCH_SIZE must be an integer, got {raw!r}") from None
    if size < 1:
        raise ValueError(f"environment variable TILESHOP_CRAWL_BATCH_SIZE must be >= 1, got {size}")
    return size


def register_product_partitions(instance: dg.DagsterInstance, keys: list[str]) -> list[str]:
    """Add the partitions of product keys not registered yet (sorted, so batches are runs of
    neighbouring keys); returns the keys added. Discontinued products keep their partition."""
    known = set(instance.get_dynamic_partitions(PRODUCT_PARTITIONS_NAME))
    new = sorted(set(keys) - known)
    if new:
        instance.add_dynamic_partitions(PRODUCT_PARTITIONS_NAME, new)
    return new
