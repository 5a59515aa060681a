"""The catalog change report end to end: a refresh after the site changed a price, a spec and its
listing records exactly those changes, shows them as Markdown in the materializations' metadata,
and `tileshop changes` prints them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg
import pytest

from tileshop_pipelines.local_runs import crawl_all_products, refresh_sitemap
from tileshop_pipelines.store import db

from ..support.sample_site import AUTOMATION_OFF, FAST_CRAWLER, sitemap_and_crawl

pytestmark = pytest.mark.slow  # a crawl through Dagster, then the CLI in processes


@pytest.fixture(scope="module")
def site(own_sample_site):
    # A site of this module's own: its test changes a price, a spec and the listing.
    sample = own_sample_site(30, 13, env=AUTOMATION_OFF, materialize=sitemap_and_crawl)
    assert all(result.success for result in sample.results)
    with sample.environment(), dg.DagsterInstance.get() as instance:
        yield {"server": sample.server, "catalog": sample.catalog, "instance": instance, "env": sample.env}


def _metadata(result, asset):
    out = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key.to_user_string() == asset:
            out[materialization.partition] = {k: v.value for k, v in materialization.metadata.items()}
    return out


def _tileshop(*args):
    return subprocess.run(
        [sys.executable, "-m", "tileshop_pipelines.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LOG_FORMAT": "text"},
    )


def test_a_refresh_reports_what_changed(site):
    catalog, instance = site["catalog"], site["instance"]
    tile = next(p for p in catalog.products if p.price_unit == "box" and p.specs.get("Finish"))
    delisted = next(p for p in catalog.products if p.path != tile.path)
    old_price, old_finish = tile.price, tile.specs["Finish"]
    new_finish = "Glossy" if old_finish != "Glossy" else "Matte"
    catalog.update(tile.path, price=round(old_price + 5, 2), Finish=new_finish)
    catalog.remove(delisted.path)

    refresh = refresh_sitemap(instance, raise_on_error=True)
    [sitemap_meta] = _metadata(refresh, "sitemap_urls").values()
    assert (sitemap_meta["products_added"], sitemap_meta["products_delisted"], sitemap_meta["products_returned"]) == (
        0,
        1,
        0,
    )
    assert f"| {delisted.sku} |" in sitemap_meta["changes"] and "| delisted |" in sitemap_meta["changes"]

    crawl = crawl_all_products(instance, raise_on_error=True, run_config=FAST_CRAWLER)
    products = _metadata(crawl, "products")
    changed = {key: meta["changes"] for key, meta in products.items() if "changes" in meta}
    assert len(changed) == 1
    [table] = changed.values()
    assert f"price {old_price:.2f}/box -> {old_price + 5:.2f}/box" in table
    assert f"spec Finish: {old_finish} -> {new_finish}" in table

    out = _tileshop("changes", "--json")
    assert out.returncode == 0, out.stderr
    summaries = sorted((c["sku"], c["summary"]) for c in json.loads(out.stdout))
    assert (tile.sku, f"price {old_price:.2f}/box -> {old_price + 5:.2f}/box") in summaries
    assert (tile.sku, f"spec Finish: {old_finish} -> {new_finish}") in summaries
    assert (delisted.sku, "delisted") in summaries
    assert len(summaries) == 3  # the latest refresh cycle: nothing else changed

    text = _tileshop("changes", "--since", "2000-01-01")
    assert text.returncode == 0 and text.stdout.startswith(f"{30 + 3} catalog change(s) since 2000-01-01")
    bad = _tileshop("changes", "--since", "yesterday")
    assert bad.returncode == 2 and "--since: not a date or ISO 8601 time: 'yesterday'" in bad.stderr
    with db.connect(site["env"]["DATABASE_URL"]) as conn:  # the record is versioned as before
        assert conn.execute("SELECT version FROM products WHERE sku = %s", (tile.sku,)).fetchone()[0] == 2
