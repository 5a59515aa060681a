"""The sample catalog: determinism, size and selection, URL quirks, other pages, lookup and update."""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
from urllib.parse import unquote

import pytest

from tileshop_pipelines.sample_catalog import KNOWN_SKUS, build_catalog, render
from tileshop_pipelines.sample_catalog.catalog import PRODUCT_PATHS_FILE
from tileshop_pipelines.sample_catalog.model import KINDS

BASE = "http://catalog.test"


# ---- determinism ------------------------------------------------------------------------------


def test_same_arguments_give_identical_catalogs_and_page_bytes():
    a, b = build_catalog(n_products=300, seed=11), build_catalog(n_products=300, seed=11)
    assert a.products == b.products
    assert a.other_pages == b.other_pages
    assert a.product_sitemaps == b.product_sitemaps
    for pa, pb in zip(a.products, b.products, strict=True):
        assert render.product_page(pa, BASE).encode() == render.product_page(pb, BASE).encode()
    assert render.home_page(BASE) == render.home_page(BASE)


@pytest.mark.slow
def test_pages_are_identical_across_processes():
    """No dependence on hash randomization or process state: what another process builds matches."""
    code = (
        "import hashlib, sys; from tileshop_pipelines.sample_catalog import build_catalog, render; "
        "c = build_catalog(n_products=150, seed=3); h = hashlib.sha256(repr(c.product_sitemaps).encode()); "
        "[h.update(render.product_page(p, 'http://x').encode()) for p in c.products]; print(h.hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=os.getcwd()),
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_seed_changes_content_but_not_the_url_set():
    a, b = build_catalog(n_products=200, seed=1), build_catalog(n_products=200, seed=2)
    assert [p.path for p in a.products] == [p.path for p in b.products]
    changed = sum(
        pa.price != pb.price or pa.description_html != pb.description_html
        for pa, pb in zip(a.products, b.products, strict=True)
        if pa.sku not in KNOWN_SKUS
    )
    assert changed > 150


def test_a_product_does_not_depend_on_catalog_size(catalog, full_catalog):
    for product in catalog.products[::25]:
        assert full_catalog.product(product.path) == product


# ---- size and selection -----------------------------------------------------------------------


@pytest.mark.parametrize("n", [30, 137, 500, 4772, 5000])
def test_n_products_unique_products_with_every_kind(built, n):
    catalog = built(n, 7)
    paths = [p.path for p in catalog.products]
    assert len(paths) == len(set(paths)) == n
    assert {p.kind for p in catalog.products} == set(KINDS)
    assert all(p.startswith("/products/") for p in paths)


def test_too_small_a_catalog_is_refused():
    with pytest.raises(ValueError, match="at least"):
        build_catalog(n_products=10, seed=7)


def test_products_keep_the_real_sitemap_order(catalog):
    real_order: dict[str, int] = {}
    for i, path in enumerate(PRODUCT_PATHS_FILE.read_text("utf-8").splitlines()):
        real_order.setdefault(path, i)  # one URL is listed twice
    positions = [real_order[p.path] for p in catalog.products]
    assert positions == sorted(positions)


def test_synthesized_products_have_unique_new_skus(full_catalog):
    real = set(PRODUCT_PATHS_FILE.read_text("utf-8").splitlines())
    synthesized = [p for p in full_catalog.products if p.path not in real]
    assert len(synthesized) == 5000 - len(real)
    real_skus = {m.group(1) for path in real if (m := re.search(r"-(\d+[A-Za-z]*)$", path))}
    skus = [p.sku for p in synthesized]
    assert len(set(skus)) == len(skus) and not set(skus) & real_skus
    assert all(re.fullmatch(r"\d{6}", s) for s in skus)


# ---- URL quirks (CONTEXT.md), checked as properties of the output --------------------------------


@pytest.mark.parametrize("n", [30, 500, 5000])
def test_every_url_quirk_is_present(built, n):
    catalog = built(n, 7)
    products = catalog.products
    skus = [p.sku for p in products if p.sku is not None]
    assert any(re.fullmatch(r"\d{5}", s) for s in skus), "5-digit SKU"
    assert any(re.fullmatch(r"0\d{5}", s) for s in skus), "leading-zero SKU"
    assert any(re.fullmatch(r"\d{6}E", s) for s in skus), "E suffix"
    assert any(re.fullmatch(r"\d{6}ss", s) for s in skus), "ss suffix"
    assert sum(p.sku is None for p in products) >= 2, "slugs without trailing digits"
    assert not any(re.search(r"-\d+[A-Za-z]*$", p.path) for p in products if p.sku is None)
    shared = [s for s, count in collections.Counter(skus).items() if count == 2]
    assert shared and all(s.isdigit() for s in shared), "one numeric SKU on two URLs"
    for ch in "&,+.":
        assert any(ch in p.path.removeprefix("/products/") for p in products), ch
    assert any(re.search(r"[A-Z]", p.path) for p in products), "uppercase"

    # Listed twice in the same child sitemap.
    listed = catalog.listed_product_urls()
    twice = [path for path, count in collections.Counter(listed).items() if count == 2]
    assert len(twice) == 1
    assert any(chunk.count(twice[0]) == 2 for chunk in catalog.product_sitemaps)

    # Non-ASCII: raw in one child, percent-encoded in another, one product.
    raw = [p.path for p in products if not p.path.isascii()]
    assert len(raw) == 1 and "\u00bd" in raw[0]
    raw_child = next(i for i, chunk in enumerate(catalog.product_sitemaps) if raw[0] in chunk)
    encoded = [(i, path) for i, chunk in enumerate(catalog.product_sitemaps) for path in chunk if "%" in path]
    assert len(encoded) == 1
    ((enc_child, enc_path),) = encoded
    assert enc_child != raw_child and enc_path.isascii() and unquote(enc_path) == raw[0]
    assert catalog.product(enc_path) is catalog.product(raw[0])

    assert all(len(chunk) <= 1000 for chunk in catalog.product_sitemaps)
    assert len(catalog.product_sitemaps) >= 2
    assert {unquote(p) for p in listed} == {p.path for p in products}


def test_non_product_pages(catalog):
    pages = catalog.other_pages
    assert "/" in pages and "/tile" in pages and "/grout" in pages and "/products/" in pages
    assert any(",-w-," in p for p in pages)
    samples = [p for p in pages if "sample" in p]
    assert samples and all(p.startswith("/products/") for p in samples)
    assert not set(pages) & {p.path for p in catalog.products}


# ---- lookup and update ------------------------------------------------------------------------------


def test_lookup_by_sku_and_either_path_form(catalog):
    product = catalog.product("683861")
    encoded = product.path.replace("&", "%26")
    assert catalog.product(encoded) is product
    assert catalog.product(BASE + product.path) is product
    with pytest.raises(KeyError, match="two|2"):
        catalog.product("484842")
    with pytest.raises(KeyError):
        catalog.product("/products/not-a-product-1")


def test_update_changes_content_version_and_last_modified():
    catalog = build_catalog(n_products=40, seed=7)
    product = catalog.product("684287")
    page, version, modified = render.product_page(product, BASE), product.version, product.last_modified
    catalog.update("684287", price=90.0, Color="Grey")
    assert product.price == 90.0 and product.specs["Color"] == "Grey"
    assert product.price_per_sqft == round(90.0 / product.coverage_sqft_per_box, 2)
    assert product.version == version + 1 and product.last_modified > modified
    assert render.product_page(product, BASE) != page and catalog.revision == 1
    catalog.update(product.path, price=90.0)  # no change: no new version
    assert product.version == version + 1
    catalog.update(product.path, FrostResistance=None)
    assert "FrostResistance" not in product.specs
    with pytest.raises(TypeError):
        catalog.update(product.path, colour="Grey")


def test_update_changes_the_documents_a_product_names():
    catalog = build_catalog(n_products=40, seed=7)
    product = catalog.product("43521")
    [tds, sds] = product.documents
    version = product.version
    catalog.update("43521", documents=[tds])
    assert product.documents == [tds] and product.version == version + 1
    assert sds["Url"] not in render.product_page(product, BASE)
    catalog.update("43521", documents=[tds])  # no change: no new version
    assert product.version == version + 1
    with pytest.raises(ValueError, match="documents must be"):
        catalog.update("43521", documents=[{"Name": "Technical Data Sheet"}])
