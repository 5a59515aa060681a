"""sitemap_urls and the product partitions through Dagster (in process, a real instance and
Postgres): a refused listing adds none, a reverted one's partitions are removed, and only the
site's hosts become products.

Before: a 200,000-product listing registered 200,000 partitions that were never removed (the next
run spent 9.5 minutes writing planning events), and nothing removed partitions a later listing
took back. "Reverted" is defined in defs/acquisition/partitions.py: unlisted by an accepted
listing and no record ever stored.
"""

from __future__ import annotations

import os
import re
from xml.sax.saxutils import escape

import dagster as dg
import pytest

from tileshop_pipelines.catalog.urls import classify_url
from tileshop_pipelines.local_runs import crawl_all_products, refresh_sitemap
from tileshop_pipelines.sample_catalog import build_catalog, render
from tileshop_pipelines.store import db
from tileshop_pipelines_tests.hostile.site import CraftedSite

FAST_CRAWLER = {"resources": {"crawler": {"config": {"backoff_base_s": 0.01, "max_attempts": 1}}}}
XML = "application/xml"


def _urlset(urls) -> str:
    body = "".join(f"<url><loc>{escape(u)}</loc></url>" for u in urls)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'


def _index(urls) -> str:
    body = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>" for u in urls)
    return (
        f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'
    )


@pytest.fixture(scope="module")
def world(tileshop_env):
    catalog = build_catalog(n_products=80, seed=13)
    with CraftedSite() as site:
        plain = [p for p in catalog.products if re.fullmatch(r"/products/[a-z0-9-]+-\d{5,}", p.path)]
        urls = [site.serve(p.path, render.product_page(p, site.base_url)) for p in plain]
        assert len(urls) >= 44
        os.environ.update(
            {
                "TILESHOP_SITEMAP_URL": f"{site.base_url}/sitemap.xml",
                "TILESHOP_CRAWL_RATE": "0",
                "TILESHOP_AUTOMATION": "off",
            }
        )
        with dg.DagsterInstance.get() as instance:
            yield {"site": site, "urls": urls, "instance": instance, "env": tileshop_env}
    for name in ("TILESHOP_SITEMAP_URL", "TILESHOP_CRAWL_RATE", "TILESHOP_AUTOMATION"):
        os.environ.pop(name, None)


def _list(world, urls, **config):
    world["site"].serve("/sitemap.xml", _urlset(urls), content_type=XML)
    return refresh_sitemap(world["instance"], run_config={"ops": {"sitemap_urls": {"config": config}}})


def _partitions(world) -> set[str]:
    return set(world["instance"].get_dynamic_partitions("product"))


def _key(url: str) -> str:
    return classify_url(url).product_key


def _meta(result):
    (event,) = [e for e in result.get_asset_materialization_events()]
    return {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}


@pytest.mark.slow
def test_refused_and_reverted_listings_leave_no_partitions_behind(world):
    urls, instance = world["urls"], world["instance"]
    base, kept, dropped = urls[:20], urls[20], urls[21]
    assert _list(world, base).success
    assert _partitions(world) == {_key(u) for u in base}
    assert crawl_all_products(instance, raise_on_error=True, run_config=FAST_CRAWLER).success

    # Accepted: 2 more products (+10%). One of them is crawled and stored, the other never is.
    assert _list(world, [*base, kept, dropped]).success
    assert _partitions(world) == {_key(u) for u in [*base, kept, dropped]}
    crawl = {"ops": {"crawl_products": {"config": {"product_keys": [_key(kept)], "force": True}}}}
    assert crawl_all_products(instance, raise_on_error=True, run_config={**FAST_CRAWLER, **crawl}).success

    # Refused by the growth bound (+100%): no partition is added, none removed.
    flood = _list(world, [*base, kept, dropped, *urls[22:44]])
    assert not flood.success
    assert _partitions(world) == {_key(u) for u in [*base, kept, dropped]}

    # Accepted: the listing takes both back (-9%). The stored one is discontinued and keeps its
    # partition; the one nothing was stored for is reverted: its partition goes, its row stays.
    back = _list(world, base)
    assert back.success and _meta(back)["removed_partitions"] == 1
    assert _partitions(world) == {_key(u) for u in [*base, kept]}
    with db.connect(world["env"]["DATABASE_URL"]) as conn:
        rows = dict(
            conn.execute(
                "SELECT url, removed_at IS NOT NULL FROM sitemap_urls WHERE url = ANY(%s)", ([kept, dropped],)
            ).fetchall()
        )
        records = {r[0] for r in conn.execute("SELECT product_key FROM products")}
    assert rows == {kept: True, dropped: True} and _key(kept) in records and _key(dropped) not in records

    # The flood accepted on purpose, then the real listing with allow_shrink: the flood is reverted.
    assert _list(world, urls, allow_growth=True).success
    assert len(_partitions(world)) == len(urls)
    assert _list(world, base, allow_shrink=True).success
    assert _partitions(world) == {_key(u) for u in [*base, kept]}


def test_only_the_site_s_hosts_become_products(world):
    site, urls = world["site"], world["urls"]
    other = site.base_url.replace("127.0.0.1", "localhost")  # the same server under another host name
    site.serve("/sitemaps/site.xml", _urlset([*urls[:20], f"{other}/products/impostor-tile-999001"]), content_type=XML)
    site.serve("/sitemaps/evil.xml", _urlset([f"{other}/products/evil-tile-999002"]), content_type=XML)
    site.serve(
        "/sitemap.xml", _index([f"{site.base_url}/sitemaps/site.xml", f"{other}/sitemaps/evil.xml"]), content_type=XML
    )
    site.requested.clear()
    result = refresh_sitemap(
        world["instance"], run_config={"ops": {"sitemap_urls": {"config": {"allow_shrink": True}}}}
    )
    assert result.success
    meta = _meta(result)
    assert (meta["off_site"], meta["off_site_sitemaps"]) == (1, 1)
    assert "/sitemaps/evil.xml" not in site.requested  # another host's sitemap is never fetched
    assert not {"impostor-tile-999001", "evil-tile-999002"} & _partitions(world)
    with db.connect(world["env"]["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT count(*) FROM sitemap_urls WHERE url LIKE %s", (f"{other}%",)).fetchone()[0] == 0
