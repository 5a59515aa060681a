"""Sitemap and robots.txt fetching, and `tileshop sitemap parse`, against the sample catalog."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest

from tileshop_pipelines.catalog.sitemap import SitemapError, parse_lastmod
from tileshop_pipelines.crawl.sitemaps import collect_site_listing, collect_sitemap_entries
from tileshop_pipelines.sample_catalog import QUIRK_PATHS, CatalogServer, build_catalog


@pytest.fixture(scope="module")
def server():
    with CatalogServer(build_catalog(n_products=40, seed=3), port=0, gzip_sitemaps=True, lastmod=True) as srv:
        yield srv


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "tileshop_pipelines.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )


def test_gzipped_index_is_followed_and_robots_read(server):
    listing = collect_site_listing(f"{server.base_url}/sitemap.xml", user_agent="t")
    assert any(s.endswith(".xml.gz") for s in listing.sitemaps)
    assert not listing.robots.allows(f"{server.base_url}/checkout") and listing.robots.allows(server.base_url + "/")
    locs = {e.loc for e in listing.entries}
    assert {f"{server.base_url}{p.path}" for p in server.catalog.products[:5]} <= locs
    assert all(parse_lastmod(e.lastmod) is not None for e in listing.entries)


def test_missing_sitemap_fails_loudly(server):
    with pytest.raises(SitemapError, match="404"):
        collect_sitemap_entries(f"{server.base_url}/no-such-sitemap.xml", user_agent="t")


def test_robots_5xx_stops_acquisition(server):
    server.faults.set_status("/robots.txt", 503)
    try:
        with pytest.raises(SitemapError, match="robots.txt answered HTTP 503"):
            collect_site_listing(f"{server.base_url}/sitemap.xml", user_agent="t")
    finally:
        server.faults.clear()


@pytest.mark.slow
def test_cli_sitemap_parse_url_prints_one_json_line_per_url(server):
    out = _cli("sitemap", "parse", f"{server.base_url}/sitemap.xml")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert all(set(r) == {"url", "kind", "sku", "lastmod"} for r in rows)
    products = {r["url"]: r for r in rows if r["kind"] == "product"}
    known = next(r for r in rows if r["url"].endswith("-43521"))
    assert known["sku"] == "43521" and known["lastmod"]
    assert any(r["kind"] == "other" and r["sku"] is None for r in rows)
    non_ascii = [u for u in products if "350067" in u]
    assert len(non_ascii) == 1  # listed raw and percent-encoded: one URL
    assert sum(r["url"].endswith(QUIRK_PATHS["listed_twice"]) for r in rows) == 2  # listed twice, shown twice


@pytest.mark.slow
def test_cli_sitemap_parse_file(tmp_path):
    path = tmp_path / "sitemap.xml.gz"
    path.write_bytes(
        gzip.compress(
            b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>https://www.tileshop.com/products/x-052003</loc><lastmod>2025-07-09</lastmod></url>"
            b"<url><loc>https://www.tileshop.com/products/kit-caulk</loc></url>"
            b"<url><loc>https://www.tileshop.com/products/</loc></url></urlset>"
        )
    )
    out = _cli("sitemap", "parse", str(path))
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert rows == [
        {
            "url": "https://www.tileshop.com/products/x-052003",
            "kind": "product",
            "sku": "052003",
            "lastmod": "2025-07-09",
        },
        {"url": "https://www.tileshop.com/products/kit-caulk", "kind": "product", "sku": None, "lastmod": None},
        {"url": "https://www.tileshop.com/products/", "kind": "other", "sku": None, "lastmod": None},
    ]


@pytest.mark.slow
def test_cli_sitemap_parse_bad_input_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text("<urlset><url><loc>x")
    out = _cli("sitemap", "parse", str(bad))
    assert out.returncode == 2 and "broken.xml: malformed XML" in out.stderr
    missing = _cli("sitemap", "parse", str(tmp_path / "nope.xml"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_lastmod_parsing():
    assert parse_lastmod("2025-07-09").isoformat() == "2025-07-09T00:00:00+00:00"
    assert parse_lastmod("2025-07-09T10:00:00-05:00").utcoffset().total_seconds() == -5 * 3600
    assert parse_lastmod("yesterday") is None and parse_lastmod(None) is None
