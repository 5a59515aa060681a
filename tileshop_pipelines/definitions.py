"""The Dagster code location: every asset, job, schedule, sensor and resource of the pipeline.

Cross-cutting policy lives here: everything downstream of the per-product crawl follows its
upstream automatically, so a crawl that changes products ends with fresh chunks, embeddings and
vectors (each incremental by hash: unchanged products cost nothing).
"""

from __future__ import annotations

import dagster as dg

from tileshop_pipelines.defs.acquisition.assets import crawl_products, sitemap_urls
from tileshop_pipelines.defs.acquisition.automation import (
    automation_default_status,
    product_refresh_sensor,
    sitemap_refresh_job,
    sitemap_refresh_schedule,
)
from tileshop_pipelines.defs.embedding.assets import product_chunks, product_embeddings
from tileshop_pipelines.defs.resources import build_resources
from tileshop_pipelines.defs.vectors.assets import product_vectors
from tileshop_pipelines.defs.vectors.checks import VECTOR_CHECKS
from tileshop_pipelines.store.db import configure_environment

# Run after any upstream update (any product partition, for product_chunks), once nothing
# upstream is in progress. Not eager(): it also waits while any upstream partition is missing,
# and one product whose first fetch failed would then hold back the whole index.
FOLLOW_UPSTREAM = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("follow upstream")

DOWNSTREAM_ASSETS = dg.map_asset_specs(
    lambda spec: spec.replace_attributes(automation_condition=FOLLOW_UPSTREAM),
    [product_chunks, product_embeddings, product_vectors],
)
ALL_ASSETS = [sitemap_urls, crawl_products, *DOWNSTREAM_ASSETS]

product_crawl_job = dg.define_asset_job(
    "product_crawl",
    selection=dg.AssetSelection.assets(crawl_products),
    description="Fetch, parse and store a range of products (product_pages + products).",
)
index_refresh_job = dg.define_asset_job(
    "index_refresh",
    selection=dg.AssetSelection.assets(*DOWNSTREAM_ASSETS),
    description="products -> chunks -> embeddings -> vectors (incremental by hash).",
)

follow_upstream_sensor = dg.AutomationConditionSensorDefinition(
    "follow_upstream_sensor",
    target=dg.AssetSelection.assets(*DOWNSTREAM_ASSETS),
    default_status=automation_default_status(),
    minimum_interval_seconds=30,
)


def build_definitions() -> dg.Definitions:
    """Definitions with resources configured from the current environment."""
    configure_environment()
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=VECTOR_CHECKS,
        jobs=[sitemap_refresh_job, product_crawl_job, index_refresh_job],
        schedules=[sitemap_refresh_schedule],
        sensors=[product_refresh_sensor, follow_upstream_sensor],
        resources=build_resources(),
    )


defs = build_definitions()
