"""Acquisition through Dagster (in process): partitions, incremental crawl, failure modes, checks,
history and the sensor, against the sample catalog's fault switches and a real Postgres."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid

import dagster as dg
import pytest

from tileshop_pipelines.local_runs import crawl_all_products, refresh_sitemap
from tileshop_pipelines.store import db

from ..support.sample_site import AUTOMATION_OFF, FAST_CRAWLER, sitemap_and_crawl

pytestmark = pytest.mark.slow  # crawls through Dagster over a site of its own (25 s of set-up), the CLI in processes


N_PRODUCTS = 40


@pytest.fixture(scope="module")
def site(own_sample_site):
    # A site of this module's own: its tests switch faults on, change and remove products.
    sample = own_sample_site(N_PRODUCTS, 11, env=AUTOMATION_OFF, materialize=sitemap_and_crawl)
    with sample.environment(), dg.DagsterInstance.get() as instance:
        yield {
            "server": sample.server,
            "catalog": sample.catalog,
            "instance": instance,
            "first_crawl": sample.results[-1],
            "env": sample.env,
        }


@pytest.fixture(autouse=True)
def clear_faults(site):
    site["server"].faults.clear()
    yield
    site["server"].faults.clear()


def _sql(site, query, params=()):
    with db.connect(site["env"]["DATABASE_URL"]) as conn:
        return conn.execute(query, params).fetchall()


def _key(site, path):
    return _sql(site, "SELECT product_key FROM sitemap_urls WHERE url = %s", (site["server"].base_url + path,))[0][0]


def _crawl(site, keys=None, force=True, **kwargs):
    config = {"ops": {"crawl_products": {"config": {"product_keys": keys or [], "force": force}}}}
    return crawl_all_products(site["instance"], run_config={**FAST_CRAWLER, **config}, **kwargs)


def _partition_events(result, asset, kind="materialization"):
    events = (
        result.get_asset_materialization_events()
        if kind == "materialization"
        else result.get_asset_observation_events()
    )
    out = {}
    for event in events:
        data = event.event_specific_data
        record = data.materialization if kind == "materialization" else data.asset_observation
        if record.asset_key.to_user_string() == asset:
            out[record.partition] = {k: v.value for k, v in record.metadata.items()}
    return out


def _check_metadata(result, name):
    [event] = [
        e
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.asset_check_key.name == name
    ]
    return {k: v.value for k, v in event.event_specific_data.metadata.items()}


def _checks(result):
    return {
        e.event_specific_data.asset_check_key.name: e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_one_partition_per_listed_product_each_materialized(site):
    instance = site["instance"]
    keys = set(instance.get_dynamic_partitions("product"))
    listed = {row[0] for row in _sql(site, "SELECT DISTINCT product_key FROM sitemap_urls WHERE kind = 'product'")}
    assert keys == listed and len(keys) >= N_PRODUCTS - 1  # the duplicate URL and encoded twin are one key each
    assert instance.get_materialized_partitions(dg.AssetKey("product_pages")) == keys
    assert instance.get_materialized_partitions(dg.AssetKey("products")) == keys
    checks = _checks(site["first_crawl"])
    assert checks["scrape_success_rate"] is True
    # Every page states name, SKU (no-SKU slugs included: the SKU is on the page), price and unit.
    complete, total = _sql(
        site,
        "SELECT count(*) FILTER (WHERE record->>'sku' IS NOT NULL AND record->>'name' "
        "IS NOT NULL AND record->>'price' IS NOT NULL AND record->>'price_unit' IS NOT "
        "NULL), count(*) FROM products",
    )[0]
    assert total == complete and total >= N_PRODUCTS - 1
    assert checks["required_fields"] is True
    pages = _partition_events(site["first_crawl"], "product_pages")
    assert {m["outcome"] for m in pages.values()} == {"ok"}


def test_unchanged_catalog_is_304_and_one_price_change_is_one_new_version(site):
    product = site["catalog"].products[5]
    key = _key(site, product.path)
    hits_before = dict(site["server"].hits)
    site["catalog"].update(product.path, price=round(product.price + 1.25, 2))
    result = _crawl(site)
    pages = _partition_events(result, "product_pages")
    products = _partition_events(result, "products")
    # Only the changed product is materialized; the unchanged ones are counted, not written one by one.
    assert set(pages) == {key} and pages[key]["outcome"] == "ok" and pages[key]["content_changed"]
    assert set(products) == {key} and products[key]["new_version"]
    summary = _check_metadata(result, "scrape_success_rate")
    listed = len(site["instance"].get_dynamic_partitions("product"))
    assert summary["not_modified"] == summary["unchanged"] == listed - 1 and summary["new_versions"] == 1
    assert all(site["server"].hits[p.path] == hits_before.get(p.path, 0) + 1 for p in site["catalog"].products[:10])

    out = subprocess.run(
        [sys.executable, "-m", "tileshop_pipelines.cli", "history", product.sku],
        env={**os.environ, **site["env"]},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    versions = [json.loads(line) for line in out.stdout.splitlines()]
    mine = [v for v in versions if v["product_key"] == key]
    assert [v["version"] for v in mine] == [1, 2]
    assert mine[1]["price"] == product.price and mine[0]["price"] != product.price
    assert mine[0]["valid_to"] == mine[1]["valid_from"] and mine[1]["valid_to"] is None


def test_history_of_an_unknown_sku_is_an_error(site):
    out = subprocess.run(
        [sys.executable, "-m", "tileshop_pipelines.cli", "history", "000000"],
        env={**os.environ, **site["env"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1 and "000000" in out.stderr


def test_blocked_page_is_not_stored_and_is_retried_later(site):
    product = site["catalog"].products[7]
    key = _key(site, product.path)
    record_before = _sql(site, "SELECT record, version FROM products WHERE product_key = %s", (key,))
    site["server"].faults.block(product.path)
    result = _crawl(site, keys=[key])
    observed = _partition_events(result, "product_pages", kind="observation")
    assert observed[key]["outcome"] == "blocked" and observed[key]["attempts"] == 1
    assert key not in _partition_events(result, "product_pages")
    assert _sql(site, "SELECT record, version FROM products WHERE product_key = %s", (key,)) == record_before
    state, attempts, retry_at, html = _sql(
        site, "SELECT state, attempts, next_attempt_at, html FROM product_pages WHERE product_key = %s", (key,)
    )[0]
    assert (state, attempts) == ("blocked", 1) and retry_at > dt.datetime.now(dt.UTC)
    assert "Product" in html  # the last good page is kept, not the home page
    assert _checks(result)["scrape_success_rate"] is False  # 0 of 1 pages answered

    site["server"].faults.clear()
    _sql_exec(site, "UPDATE product_pages SET next_attempt_at = now() - interval '1 s' WHERE product_key = %s", key)
    from tileshop_pipelines.store.acquisition import due_products

    with db.connect(site["env"]["DATABASE_URL"]) as conn:
        due = {d.product_key: d.reason for d in due_products(conn, max_age=dt.timedelta(days=7), limit=1000)}
    assert due.get(key) == "retry"
    _crawl(site, keys=[key])
    assert _sql(site, "SELECT state, attempts FROM product_pages WHERE product_key = %s", (key,)) == [("ok", 0)]


def _sql_exec(site, query, *params):
    with db.connect(site["env"]["DATABASE_URL"]) as conn:
        conn.execute(query, params)


def test_404_marks_the_product_gone_and_keeps_its_record(site):
    product = site["catalog"].products[9]
    key = _key(site, product.path)
    site["server"].faults.set_status(product.path, 404)
    result = _crawl(site, keys=[key])
    assert _partition_events(result, "product_pages")[key]["outcome"] == "gone"
    state, gone = _sql(
        site,
        "SELECT p.state, r.gone_at IS NOT NULL FROM product_pages p JOIN products r "
        "USING (product_key) WHERE product_key = %s",
        (key,),
    )[0]
    assert (state, gone) == ("gone", True)


def test_outage_trips_the_breaker_and_marks_nothing_failed(site):
    before = _sql(site, "SELECT product_key, state, attempts FROM product_pages ORDER BY product_key")
    site["server"].faults.apply({"fail_all_status": 503})
    result = _crawl(site, raise_on_error=False)
    assert not result.success
    failure = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"][0]
    assert "circuit breaker open" in failure.event_specific_data.error.message
    assert _sql(site, "SELECT product_key, state, attempts FROM product_pages ORDER BY product_key") == before


def test_sensor_turns_due_products_into_batched_runs(site, monkeypatch):
    from tileshop_pipelines.defs.acquisition.automation import product_refresh_sensor
    from tileshop_pipelines.defs.resources import PostgresResource
    from tileshop_pipelines.settings import load_settings

    monkeypatch.setenv("TILESHOP_CRAWL_BATCH_SIZE", "10")
    _sql_exec(site, "UPDATE product_pages SET checked_at = now() - interval '8 days'")  # everything stale
    keys = site["instance"].get_dynamic_partitions("product")
    sensor = product_refresh_sensor(load_settings())

    def tick(cursor=None):
        context = dg.build_sensor_context(
            instance=site["instance"], cursor=cursor, resources={"postgres": PostgresResource()}
        )
        return sensor(context)

    result = tick()
    requests = result.run_requests
    assert len(requests) == -(-len(keys) // 10)  # ceil: batches of 10, never one run per product
    batches = [r.run_config["ops"]["crawl_products"]["config"]["product_keys"] for r in requests]
    assert sorted(k for b in batches for k in b) == sorted(keys) and max(map(len, batches)) == 10
    for request, batch in zip(requests, batches, strict=True):
        start, end = (
            request.tags["dagster/asset_partition_range_start"],
            request.tags["dagster/asset_partition_range_end"],
        )
        assert (start, end) == (batch[0], batch[-1]) and "stale=" in request.tags["tileshop/crawl_reasons"]
    again = tick(result.cursor)  # the same products are in flight: not requested twice
    assert isinstance(again, dg.SkipReason) or not again.run_requests
    # The daemon's machine restarted under the first batch's run: `tileshop daemon` fails it, and
    # its products (only those) are asked for again on the next tick.
    from tileshop_pipelines.defs.run_recovery import fail_orphaned_daemon_runs

    orphan = dg.DagsterRun(
        job_name="__anonymous_asset_job_product_refresh_sensor",
        run_id=str(uuid.uuid4()),
        status=dg.DagsterRunStatus.STARTED,
        run_config=requests[0].run_config,
    )
    site["instance"].add_run(orphan)
    assert orphan.run_id in fail_orphaned_daemon_runs(site["instance"])
    resumed = tick(result.cursor)
    assert [r.run_config["ops"]["crawl_products"]["config"]["product_keys"] for r in resumed.run_requests] == [
        batches[0]
    ]
    _sql_exec(site, "UPDATE product_pages SET checked_at = now()")


def test_shrinking_sitemap_fails_the_blocking_check_and_keeps_the_catalog(site):
    catalog, instance = site["catalog"], site["instance"]
    listed_before = _sql(site, "SELECT url FROM sitemap_urls WHERE removed_at IS NULL ORDER BY url")
    records_before = _sql(site, "SELECT count(*) FROM products")
    removed = [p.path for p in catalog.products[-8:]]  # 20% of the catalog
    for path in removed:
        catalog.remove(path)
    result = refresh_sitemap(instance)
    assert not result.success
    assert _checks(result) == {"sitemap_not_shrunk": False}
    assert _sql(site, "SELECT url FROM sitemap_urls WHERE removed_at IS NULL ORDER BY url") == listed_before

    ok = refresh_sitemap(instance, run_config={"ops": {"sitemap_urls": {"config": {"allow_shrink": True}}}})
    assert ok.success
    meta = _partition_events(ok, "sitemap_urls")[None]
    assert meta["removed"] >= len(removed)
    gone = {row[0] for row in _sql(site, "SELECT url FROM sitemap_urls WHERE removed_at IS NOT NULL")}
    assert {site["server"].base_url + p for p in removed} <= gone
    # discontinued, never deleted: their product records are still there
    assert _sql(site, "SELECT count(*) FROM products") == records_before


def test_unreachable_sitemap_fails_clearly_and_changes_nothing(site):
    before = _sql(site, "SELECT url, removed_at FROM sitemap_urls ORDER BY url")
    site["server"].faults.set_status("/sitemaps/products-1.xml", 500)
    result = refresh_sitemap(site["instance"])
    assert not result.success
    failure = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"][0]
    assert "products-1.xml: sitemap answered HTTP 500" in failure.event_specific_data.error.message
    assert _sql(site, "SELECT url, removed_at FROM sitemap_urls ORDER BY url") == before


def test_downstream_follows_a_product_update(site):
    from tileshop_pipelines.definitions import defs as load_defs

    defs = load_defs()
    instance = site["instance"]
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0  # nothing updated since: nothing to do
    product = site["catalog"].products[3]
    site["catalog"].update(product.path, price=round(product.price + 2, 2))
    _crawl(site, keys=[_key(site, product.path)])
    second = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    requested = {
        key.to_user_string()
        for key in (dg.AssetKey("product_chunks"), dg.AssetKey("product_embeddings"), dg.AssetKey("product_vectors"))
        if second.get_num_requested(key)
    }
    # the whole chain, in one run: a dep requested in the same tick counts as updated
    assert requested == {"product_chunks", "product_embeddings", "product_vectors"}
    third = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=second.cursor)
    assert third.total_requested == 0  # handled: not requested again without a new update


def test_an_implausible_record_is_held_and_the_check_names_its_reason(site):
    """Issue 24: `make run`'s laminate at beb40f9 ("96 x 7886 in", a 10,006.3 lb box) was stored."""
    product = next(p for p in site["catalog"].products[6:] if p.price_unit == "box" and "BoxWeight" in p.specs)
    key = _key(site, product.path)
    before = _sql(site, "SELECT version, record FROM products WHERE product_key = %s", (key,))[0]
    specs = {k: product.specs[k] for k in ("ApproximateSize", "BoxWeight")}
    site["catalog"].update(product.path, ApproximateSize="96 x 7886 in", BoxWeight="10006.3 lbs")
    try:
        check = next(
            e.event_specific_data
            for e in _crawl(site, [key]).all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
            and e.event_specific_data.asset_check_key.name == "no_suspect_records"
        )
        assert check.passed is False
        assert f"{key}: implausible size '96 x 7886 in': 7,886 in is over 130" in check.description
        assert "implausible box weight: 10,006.3 lb is over 200" in check.description
        assert "implausible size" in check.metadata["held"].value
        assert _sql(site, "SELECT version, record FROM products WHERE product_key = %s", (key,))[0] == before
    finally:
        site["catalog"].update(product.path, **specs)
    assert _checks(_crawl(site, [key]))["no_suspect_records"] is True


def test_a_record_that_lost_every_specification_is_held_and_the_check_names_it(site):
    product = next(p for p in site["catalog"].products[6:] if p.specs)
    key = _key(site, product.path)
    before = _sql(site, "SELECT version, record FROM products WHERE product_key = %s", (key,))[0]
    specs = dict(product.specs)
    site["catalog"].update(product.path, **dict.fromkeys(specs))  # a page whose specifications broke
    try:
        result = _crawl(site, [key])
        check = next(
            e.event_specific_data
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
            and e.event_specific_data.asset_check_key.name == "no_suspect_records"
        )
        assert check.passed is False and key in check.description
        assert _sql(site, "SELECT version, record FROM products WHERE product_key = %s", (key,))[0] == before
    finally:
        site["catalog"].update(product.path, **specs)
    assert _checks(_crawl(site, [key]))["no_suspect_records"] is True
