"""One dynamic partition per product key (catalog/urls.py), registered by sitemap_urls, and
removed by it when the listing that added it is reverted.

A partition is *reverted* when, after an accepted listing, (a) no URL of that listing carries its
product key and (b) no record of the product was ever stored (no row in `products`). Nothing was
learned from such a product: a listing added it and a later one took it back before a crawl
stored it (a bogus 200,000-product listing accepted with allow_growth, then the real one with
allow_shrink). Its partition only costs planning events (the 200,000 cost 9.5 minutes a run), so
sitemap_urls deletes it; its sitemap_urls rows stay, marked removed. A product with a record keeps
its partition when it leaves the listing (discontinued: its history stays addressable). A refused
listing (shrink or growth bound) registers and removes nothing. The rule is checked against every
registered partition, so a run that died between its listing and the removal is caught up by the
next one.

Product pages are crawled in batched runs: a backfill of any subset runs at most
`TILESHOP_CRAWL_BATCH_SIZE` (default 500) products per run, never one process per product
(definitions.py sets the crawl's backfill policy from it).
"""

import dagster as dg

PRODUCT_PARTITIONS_NAME = "product"
product_partitions = dg.DynamicPartitionsDefinition(name=PRODUCT_PARTITIONS_NAME)


def reverted_partitions(registered: list[str], listed: set[str], with_records: set[str]) -> list[str]:
    """The registered keys that are reverted (see the module docstring), sorted."""
    return sorted(set(registered) - listed - with_records)


def register_product_partitions(instance: dg.DagsterInstance, keys: list[str]) -> list[str]:
    """Add the partitions of product keys not registered yet (sorted, so batches are runs of
    neighbouring keys); returns the keys added. Discontinued products keep their partition."""
    known = set(instance.get_dynamic_partitions(PRODUCT_PARTITIONS_NAME))
    new = sorted(set(keys) - known)
    if new:
        instance.add_dynamic_partitions(PRODUCT_PARTITIONS_NAME, new)
    return new


def remove_product_partitions(instance: dg.DagsterInstance, keys: list[str]) -> None:
    for key in keys:  # Dagster deletes one dynamic partition per call
        instance.delete_dynamic_partition(PRODUCT_PARTITIONS_NAME, key)
