"""The Dagster code location: every asset, job and resource of the pipeline."""

from __future__ import annotations

import dagster as dg

from tileshop_pipelines.defs.acquisition.assets import product_pages, products, sitemap_urls
from tileshop_pipelines.defs.embedding.assets import product_chunks, product_embeddings
from tileshop_pipelines.defs.resources import build_resources
from tileshop_pipelines.defs.vectors.assets import product_vectors
from tileshop_pipelines.defs.vectors.checks import VECTOR_CHECKS
from tileshop_pipelines.store.db import configure_environment

ALL_ASSETS = [sitemap_urls, product_pages, products, product_chunks, product_embeddings, product_vectors]

catalog_refresh_job = dg.define_asset_job(
    "catalog_refresh",
    selection=dg.AssetSelection.assets(*ALL_ASSETS),
    description="The whole graph: sitemap -> pages -> products -> chunks -> embeddings -> vectors.",
)


def build_definitions() -> dg.Definitions:
    """Definitions with resources configured from the current environment."""
    configure_environment()
    return dg.Definitions(assets=ALL_ASSETS, asset_checks=VECTOR_CHECKS, jobs=[catalog_refresh_job],
                          resources=build_resources())


defs = build_definitions()
