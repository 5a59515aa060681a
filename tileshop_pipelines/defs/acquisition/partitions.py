"""One dynamic partition per product key (catalog/urls.py), registered by sitemap_urls.

Product pages are crawled in batched runs: a backfill of any subset runs at most
`TILESHOP_CRAWL_BATCH_SIZE` (default 500) products per run, never one process per product
(definitions.py sets the crawl's backfill policy from it).
"""

import dagster as dg

PRODUCT_PARTITIONS_NAME = "product"
product_partitions = dg.DynamicPartitionsDefinition(name=PRODUCT_PARTITIONS_NAME)


def register_product_partitions(instance: dg.DagsterInstance, keys: list[str]) -> list[str]:
    """Add the partitions of product keys not registered yet (sorted, so batches are runs of
    neighbouring keys); returns the keys added. Discontinued products keep their partition."""
    known = set(instance.get_dynamic_partitions(PRODUCT_PARTITIONS_NAME))
    new = sorted(set(keys) - known)
    if new:
        instance.add_dynamic_partitions(PRODUCT_PARTITIONS_NAME, new)
    return new
