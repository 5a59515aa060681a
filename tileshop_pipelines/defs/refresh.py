"""A whole catalog refresh in this process (what `tileshop run` does), as the daemon would do it
in steps: sitemap_urls, then every product partition in one ranged crawl run, then the index."""

from __future__ import annotations

import dagster as dg

from tileshop_pipelines.defs.acquisition.partitions import PRODUCT_PARTITIONS_NAME


def refresh_everything(instance: dg.DagsterInstance, *, log_level: str = "WARNING",
                       raise_on_error: bool = False) -> list[dg.ExecuteInProcessResult]:
    """Run the sitemap_refresh, product_crawl and index_refresh jobs in order; stop at a failure."""
    from tileshop_pipelines.definitions import build_definitions

    defs = build_definitions()
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    results = [defs.resolve_job_def("sitemap_refresh").execute_in_process(
        instance=instance, run_config=run_config, raise_on_error=raise_on_error)]
    if not results[-1].success:
        return results
    keys = instance.get_dynamic_partitions(PRODUCT_PARTITIONS_NAME)
    if keys:
        results.append(defs.resolve_job_def("product_crawl").execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=raise_on_error,
            tags={"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}))
        if not results[-1].success:
            return results
    results.append(defs.resolve_job_def("index_refresh").execute_in_process(
        instance=instance, run_config=run_config, raise_on_error=raise_on_error))
    return results
