"""When acquisition runs: a daily sitemap refresh, and a sensor that turns due products into
batched crawl runs (new, changed per <lastmod>, failed with their backoff over, stale); the two
jobs they launch, with their guardrails (defs/policy.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import dagster as dg

from tileshop_pipelines.defs.acquisition.assets import crawl_products, product_pages, products, sitemap_urls
from tileshop_pipelines.defs.acquisition.partitions import PRODUCT_PARTITIONS_NAME
from tileshop_pipelines.defs.policy import CRAWL_RUN_TAGS, SITEMAP_RUN_TAGS
from tileshop_pipelines.defs.resources import PostgresResource
from tileshop_pipelines.defs.run_recovery import ORPHANED_TAG
from tileshop_pipelines.settings import PipelineSettings, load_settings
from tileshop_pipelines.store import acquisition as acquisition_sql

SENSOR_INTERVAL_S = 30
MAX_BATCHES_PER_TICK = 10
# A product requested by a tick is not requested again until its run touched it or this passed.
IN_FLIGHT_TTL = dt.timedelta(hours=1)
# Stale products alone start a run once a batch is full or the oldest waited this long past max_age.
STALE_MAX_WAIT = dt.timedelta(hours=1)


def default_status(settings: PipelineSettings) -> dg.DefaultSensorStatus:
    """Schedules and sensors run as soon as the daemon does, unless TILESHOP_AUTOMATION=off."""
    return dg.DefaultSensorStatus.RUNNING if settings.automation else dg.DefaultSensorStatus.STOPPED


sitemap_refresh_job = dg.define_asset_job(
    "sitemap_refresh",
    selection=dg.AssetSelection.assets(sitemap_urls),
    tags=SITEMAP_RUN_TAGS,
    description="Read robots.txt and the sitemap; register new products; mark unlisted ones discontinued.",
)
# The sensor's runs and `tileshop recrawl`'s; the sensor's requests carry the same tags.
product_crawl_job = dg.define_asset_job(
    "product_crawl",
    selection=dg.AssetSelection.assets(crawl_products),
    tags=CRAWL_RUN_TAGS,
    description="Fetch, parse and store a range of products (product_pages + products).",
)


def sitemap_refresh_schedule(settings: PipelineSettings) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="daily_sitemap_refresh",
        job=sitemap_refresh_job,
        cron_schedule=settings.sitemap_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus(default_status(settings).value),
    )


def plan_crawl_batches(
    due: list[acquisition_sql.DueProduct],
    partition_order: Sequence[str],
    batch_size: int,
) -> list[list[acquisition_sql.DueProduct]]:
    """Due products in partition order, cut into batches of at most `batch_size`.

    A run's partitions are a range of neighbouring keys, so a batch runs as the range from its
    first to its last key with the batch named in the run config; keys of the range outside the
    batch are left alone.
    """
    position = {key: i for i, key in enumerate(partition_order)}
    ordered = sorted((d for d in due if d.product_key in position), key=lambda d: position[d.product_key])
    return [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]


def product_refresh_sensor(settings: PipelineSettings) -> dg.SensorDefinition:
    @dg.sensor(
        name="product_refresh_sensor",
        target=[product_pages, products],
        minimum_interval_seconds=SENSOR_INTERVAL_S,
        default_status=default_status(settings),
        description="New, changed, failed (after backoff) and stale products -> batched crawl runs.",
    )
    def _sensor(context: dg.SensorEvaluationContext, postgres: PostgresResource):
        assert settings.crawl_batch_size is not None  # set from the crawl rate when not given
        return due_product_runs(context, postgres, settings.crawl_batch_size, settings.max_age)

    return _sensor


def due_product_runs(
    context: dg.SensorEvaluationContext, postgres: PostgresResource, batch_size: int, max_age: dt.timedelta
) -> dg.SensorResult | dg.SkipReason:
    """One tick: due products, minus those still in flight, as batched range runs."""
    now = dt.datetime.now(dt.UTC)
    requested = {
        key: dt.datetime.fromisoformat(at)
        for key, at in json.loads(context.cursor or "{}").get("requested", {}).items()
    }
    if requested:  # a run whose worker died with the daemon's machine no longer holds its products
        orphaned = orphaned_run_keys(context.instance, since=min(requested.values()))
        requested = {key: at for key, at in requested.items() if key not in orphaned}
    with postgres.connect() as conn:
        due = acquisition_sql.due_products(
            conn, max_age=max_age, limit=batch_size * MAX_BATCHES_PER_TICK + len(requested)
        )
    # Still waiting for the run that was asked to check it: leave it out.
    due = [
        d
        for d in due
        if not (
            d.product_key in requested
            and now - requested[d.product_key] < IN_FLIGHT_TTL
            and (d.fetched_at is None or d.fetched_at < requested[d.product_key])
        )
    ]
    urgent = [d for d in due if d.reason != "stale"]
    if not urgent and len(due) < batch_size and not _stale_waited_too_long(due, now, max_age):
        return dg.SkipReason(
            f"{len(due)} stale products waiting; a run starts at {batch_size} or when one waited an hour"
        )
    batches = plan_crawl_batches(due, context.instance.get_dynamic_partitions(PRODUCT_PARTITIONS_NAME), batch_size)[
        :MAX_BATCHES_PER_TICK
    ]
    run_requests = []
    for batch in batches:
        reasons = Counter(d.reason for d in batch)
        run_requests.append(
            dg.RunRequest(
                asset_selection=[product_pages, products],
                tags={
                    **CRAWL_RUN_TAGS,
                    "dagster/asset_partition_range_start": batch[0].product_key,
                    "dagster/asset_partition_range_end": batch[-1].product_key,
                    "tileshop/crawl_reasons": ",".join(f"{r}={n}" for r, n in sorted(reasons.items())),
                },
                run_config={
                    "ops": {crawl_products.op.name: {"config": {"product_keys": [d.product_key for d in batch]}}}
                },
            )
        )
        for d in batch:
            requested[d.product_key] = now
    requested = {k: at for k, at in requested.items() if now - at < IN_FLIGHT_TTL}
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=json.dumps({"requested": {k: at.isoformat() for k, at in requested.items()}}),
    )


def orphaned_run_keys(instance: dg.DagsterInstance, since: dt.datetime) -> set[str]:
    """The products of crawl runs failed since `since` because the daemon restarted under them."""
    runs = instance.get_runs(dg.RunsFilter(tags={ORPHANED_TAG: "daemon-restart"}, updated_after=since))
    configs: list[Any] = [run.run_config for run in runs]  # Dagster types a run config as Mapping[str, object]
    return {
        key
        for config in configs
        for key in config.get("ops", {}).get(crawl_products.op.name, {}).get("config", {}).get("product_keys", [])
    }


def _stale_waited_too_long(due: list[acquisition_sql.DueProduct], now: dt.datetime, max_age: dt.timedelta) -> bool:
    if not due:
        return False
    oldest = min((d.fetched_at for d in due if d.fetched_at is not None), default=None)
    return oldest is None or now - oldest > max_age + STALE_MAX_WAIT


@dg.definitions
def defs() -> dg.Definitions:
    settings = load_settings()
    return dg.Definitions(
        jobs=[sitemap_refresh_job, product_crawl_job],
        schedules=[sitemap_refresh_schedule(settings)],
        sensors=[product_refresh_sensor(settings)],
    )
