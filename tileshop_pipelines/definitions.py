"""The Dagster code location: every asset, check, job, schedule, sensor and resource of the pipeline.

Loaded lazily (`@dg.definitions`): importing this module starts no database, writes no file and
reads no network; the settings are read and validated when Dagster loads the location. The
commands that need a database or Dagster's instance set the environment up (`tileshop ...`).

Cross-cutting policy lives here: everything downstream of the per-product crawl follows its
upstream automatically (each step incremental by hash: unchanged products cost nothing), waits
for the blocking checks upstream, and the sitemap and the index carry freshness windows.
"""

from __future__ import annotations

import warnings

import dagster as dg

from tileshop_pipelines import bootstrap
from tileshop_pipelines.serving import logs
from tileshop_pipelines.defs.acquisition.assets import crawl_products, sitemap_urls
from tileshop_pipelines.defs.acquisition.automation import (
    CRAWL_RUN_TAGS,
    default_status,
    product_refresh_sensor,
    sitemap_refresh_job,
    sitemap_refresh_schedule,
)
from tileshop_pipelines.defs.alerts import alert_sensors
from tileshop_pipelines.defs.catalog.snapshot import catalog_snapshot
from tileshop_pipelines.defs.document_index.assets import document_chunks, document_embeddings, document_vectors
from tileshop_pipelines.defs.document_index.checks import DOCUMENT_VECTOR_CHECKS
from tileshop_pipelines.defs.embedding.assets import product_chunks, product_embeddings
from tileshop_pipelines.defs.resources import build_resources
from tileshop_pipelines.defs.run_logs import silent_console
from tileshop_pipelines.defs.vectors.assets import product_vectors
from tileshop_pipelines.defs.vectors.checks import VECTOR_CHECKS
from tileshop_pipelines.freshness import FRESHNESS_WINDOWS
from tileshop_pipelines.settings import PipelineSettings, load_settings

# Run after any upstream update (any product partition or the sitemap, for product_chunks), once
# nothing upstream is in progress and upstream's blocking checks passed (a crawl whose records lost
# their prices never reaches the index). eager() without its missing-dependency guard: one product
# whose first fetch failed would otherwise hold back the whole index. The sitemap's blocking check
# is not waited for: a refused listing stores nothing, so product updates keep flowing.
FOLLOW_UPSTREAM = (
    dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())
    & dg.AutomationCondition.all_deps_blocking_checks_passed().ignore(dg.AssetSelection.assets(sitemap_urls))
).with_label("follow upstream")

# The windows are in tileshop_pipelines/freshness.py (the app's monitoring page reads them too).
FRESHNESS = {asset: dg.FreshnessPolicy.time_window(fail_window=window.fail, warn_window=window.warn)
             for asset, window in FRESHNESS_WINDOWS.items()}
# The catalog's Parquet snapshot follows the records the same way (one file per refresh cycle), and
# the documents' passages follow the documents.
DOCUMENT_INDEX = [document_chunks, document_embeddings, document_vectors]
DOWNSTREAM = [product_chunks, product_embeddings, product_vectors, catalog_snapshot, *DOCUMENT_INDEX]
DOWNSTREAM_KEYS = {asset.key for asset in DOWNSTREAM}

product_crawl_job = dg.define_asset_job(
    "product_crawl",
    selection=dg.AssetSelection.assets(crawl_products),
    description="Fetch, parse and store a range of products (product_pages + products).",
    tags=CRAWL_RUN_TAGS,
)
index_refresh_job = dg.define_asset_job(
    "index_refresh",
    selection=dg.AssetSelection.assets(*DOWNSTREAM),
    description="products -> chunks -> embeddings -> vectors (incremental by hash), the catalog snapshot, and the "
                "documents' passages -> embeddings -> document_vectors.",
)


def _with_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    return spec.replace_attributes(
        freshness_policy=FRESHNESS.get(spec.key.to_user_string(), spec.freshness_policy),
        automation_condition=FOLLOW_UPSTREAM if spec.key in DOWNSTREAM_KEYS else spec.automation_condition,
    )


def build_definitions(settings: PipelineSettings) -> dg.Definitions:
    crawl = crawl_products.with_attributes(
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=settings.crawl_batch_size))
    with warnings.catch_warnings():  # source code references are a beta API: stable enough to show
        warnings.simplefilter("ignore", dg.BetaWarning)
        assets = dg.with_source_code_references(
            dg.map_asset_specs(_with_policy, [sitemap_urls, crawl, *DOWNSTREAM]))
    return dg.Definitions(
        assets=assets,
        asset_checks=[*VECTOR_CHECKS, *DOCUMENT_VECTOR_CHECKS],
        jobs=[sitemap_refresh_job, product_crawl_job, index_refresh_job],
        schedules=[sitemap_refresh_schedule(settings)],
        sensors=[
            product_refresh_sensor(settings),
            dg.AutomationConditionSensorDefinition(
                "follow_upstream_sensor", target=dg.AssetSelection.assets(*DOWNSTREAM),
                default_status=default_status(settings), minimum_interval_seconds=30),
            *alert_sensors(default_status(settings)),
        ],
        resources=build_resources(settings),
        loggers={"console": silent_console},
        # Every run here is a chain of steps with nothing to run in parallel (a crawl run is one
        # step), so a run's steps share its process: no step process to start and import the
        # pipeline again (bench production: seconds per run, more than a crawl batch's work).
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What Dagster loads (pyproject's [tool.dagster], workspace.yaml), in its code servers and run
    workers: their log lines in LOG_FORMAT with the settings' secrets masked (logs.py; dagster.yaml
    routes the runs' own lines through the same formatter)."""
    settings = load_settings()
    logs.configure(secrets=[*logs.secret_values(settings), bootstrap.database_password()])
    return build_definitions(settings)
