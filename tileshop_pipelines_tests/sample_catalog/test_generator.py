"""The sample catalog model: determinism, URL quirks, the known products, slug-consistent content."""

from __future__ import annotations

import collections
import functools
import html
import os
import re
import subprocess
import sys
from urllib.parse import unquote

import pytest

from tileshop_pipelines.sample_catalog import KNOWN_SKUS, build_catalog, render
from tileshop_pipelines.sample_catalog.generator import KINDS, SPEC_KEYS

BASE = "http://catalog.test"


@functools.lru_cache(maxsize=None)
def _built(n: int, seed: int):
    """Shared read-only builds (tests that update products build their own)."""
    return build_catalog(n_products=n, seed=seed)


@pytest.fixture(scope="module")
def catalog():
    return _built(500, 7)


@pytest.fixture(scope="module")
def full_catalog():
    """Every real path (4,772 unique) plus synthesized ones."""
    return _built(5000, 7)


def _words(description_html: str) -> list[str]:
    return html.unescape(re.sub(r"<[^>]+>", " ", description_html)).split()


# ---- determinism ------------------------------------------------------------------------------

def test_same_arguments_give_identical_catalogs_and_page_bytes():
    a, b = build_catalog(n_products=300, seed=11), build_catalog(n_products=300, seed=11)
    assert a.products == b.products
    assert a.other_pages == b.other_pages
    assert a.product_sitemaps == b.product_sitemaps
    for pa, pb in zip(a.products, b.products):
        assert render.product_page(pa, BASE).encode() == render.product_page(pb, BASE).encode()
    assert render.home_page(BASE) == render.home_page(BASE)


def test_pages_are_identical_across_processes():
    """No dependence on hash randomization or process state: what another process builds matches."""
    code = ("import hashlib, sys; from tileshop_pipelines.sample_catalog import build_catalog, render; "
            "c = build_catalog(n_products=150, seed=3); h = hashlib.sha256(repr(c.product_sitemaps).encode()); "
            "[h.update(render.product_page(p, 'http://x').encode()) for p in c.products]; print(h.hexdigest())")
    digests = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env=dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=os.getcwd())).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_seed_changes_content_but_not_the_url_set():
    a, b = build_catalog(n_products=200, seed=1), build_catalog(n_products=200, seed=2)
    assert [p.path for p in a.products] == [p.path for p in b.products]
    changed = sum(pa.price != pb.price or pa.description_html != pb.description_html
                  for pa, pb in zip(a.products, b.products) if pa.sku not in KNOWN_SKUS)
    assert changed > 150


def test_a_product_does_not_depend_on_catalog_size(catalog, full_catalog):
    for product in catalog.products[::25]:
        assert full_catalog.product(product.path) == product


# ---- size and selection -----------------------------------------------------------------------

@pytest.mark.parametrize("n", [30, 137, 500, 4772, 5000])
def test_n_products_unique_products_with_every_kind(n):
    catalog = _built(n, 7)
    paths = [p.path for p in catalog.products]
    assert len(paths) == len(set(paths)) == n
    assert {p.kind for p in catalog.products} == set(KINDS)
    assert all(p.startswith("/products/") for p in paths)


def test_too_small_a_catalog_is_refused():
    with pytest.raises(ValueError, match="at least"):
        build_catalog(n_products=10, seed=7)


def test_products_keep_the_real_sitemap_order(catalog):
    from tileshop_pipelines.sample_catalog.generator import PRODUCT_PATHS_FILE

    real_order: dict[str, int] = {}
    for i, path in enumerate(PRODUCT_PATHS_FILE.read_text("utf-8").splitlines()):
        real_order.setdefault(path, i)  # one URL is listed twice
    positions = [real_order[p.path] for p in catalog.products]
    assert positions == sorted(positions)


def test_synthesized_products_have_unique_new_skus(full_catalog):
    from tileshop_pipelines.sample_catalog.generator import PRODUCT_PATHS_FILE

    real = set(PRODUCT_PATHS_FILE.read_text("utf-8").splitlines())
    synthesized = [p for p in full_catalog.products if p.path not in real]
    assert len(synthesized) == 5000 - len(real)
    real_skus = {m.group(1) for path in real if (m := re.search(r"-(\d+[A-Za-z]*)$", path))}
    skus = [p.sku for p in synthesized]
    assert len(set(skus)) == len(skus) and not set(skus) & real_skus
    assert all(re.fullmatch(r"\d{6}", s) for s in skus)


# ---- URL quirks (CONTEXT.md), checked as properties of the output --------------------------------

@pytest.mark.parametrize("n", [30, 500, 5000])
def test_every_url_quirk_is_present(n):
    catalog = _built(n, 7)
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
    encoded = [(i, path) for i, chunk in enumerate(catalog.product_sitemaps) for path in chunk
               if "%" in path]
    assert len(encoded) == 1
    (enc_child, enc_path), = encoded
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


# ---- the seven known products -------------------------------------------------------------------

KNOWN_FACTS = {
    "684287": dict(price=77.11, price_unit="box", price_per_sqft=12.99, specs={
        "BoxQuantity": "6", "EdgeType": "Rectified", "MaterialType": "Porcelain",
        "Applications": "Floor, Light Commercial, Wall", "BoxWeight": "22.9 lbs", "CountryOfOrigin": "Italy",
        "DirectionalLayout": "No", "ShadeVariation": "V3", "SurfaceAbrasion": "CLASS 5",
        "FrostResistance": "Resistant"}),
    "684272": dict(price=69.99, price_unit="each", price_per_sqft=None, coverage_sqft_per_box=None),
    "485000": dict(price=70.20, price_unit="box", price_per_sqft=None, coverage_sqft_per_box=5.40,
                   specs={"Color": "White"}),
    "683861": dict(price=139.82, price_unit="box", price_per_sqft=12.99, coverage_sqft_per_box=10.76,
                   specs={"Color": "Beige, Brown"}),
    "485020": dict(specs={"Applications": "Wall", "Thickness": "8.7mm", "BoxQuantity": "5"}),
    "43521": dict(price=35.99, price_unit="each", price_per_sqft=None),
    "683549": dict(price=22.99, price_unit="each", price_per_sqft=None),
}


@pytest.mark.parametrize(("n", "seed"), [(30, 30), (5000, 7)])
def test_known_products_have_their_stated_facts(n, seed):
    catalog = _built(n, seed)
    assert set(KNOWN_FACTS) == set(KNOWN_SKUS)
    for sku, facts in KNOWN_FACTS.items():
        product = catalog.product(sku)
        assert product.sku == sku and product.path.endswith(f"-{sku}")
        for field, expected in facts.items():
            if field == "specs":
                assert {k: product.specs.get(k) for k in expected} == expected, sku
            else:
                assert getattr(product, field) == expected, (sku, field)
    sds = catalog.product("683861").documents
    assert any("porcelain" in d["Url"].lower() and "safety" in d["Name"].lower() and d["Url"].endswith(".pdf")
               and d["Url"].startswith("https://s7d1.scene7.com/is/content/TileShop/pdf/") for d in sds)


# ---- content --------------------------------------------------------------------------------------

def test_prices_units_and_coverage_are_consistent(full_catalog):
    units = collections.Counter()
    for p in full_catalog.products:
        units[(p.kind, p.price_unit)] += 1
        assert p.price > 0
        if p.price_unit == "box":
            assert p.coverage_sqft_per_box and p.coverage_sqft_per_box > 0
            if p.sku not in KNOWN_SKUS:
                assert p.price_per_sqft is not None
                assert p.price == round(p.price_per_sqft * p.coverage_sqft_per_box, 2), p.path
        elif p.price_unit == "sqft":
            assert p.price_per_sqft == p.price and p.coverage_sqft_per_box is None
        else:
            assert p.price_per_sqft is None and p.coverage_sqft_per_box is None, p.path
    assert {unit for (kind, unit) in units if kind in ("trim", "tool", "setting")} == {"each"}
    assert {unit for (kind, unit) in units if kind == "grout"} == {"bag", "each"}
    assert units[("stone", "sqft")] > 0 and units[("stone", "box")] > units[("stone", "sqft")]
    assert units[("lvt", "box")] and units[("laminate", "box")] and units[("wood", "box")]


def test_specs_follow_the_slug_and_apply_to_the_kind(full_catalog):
    for p in full_catalog.products:
        slug = p.path.rsplit("/", 1)[-1].lower()
        words = set(slug.split("-"))
        assert set(p.specs) <= set(SPEC_KEYS)
        assert all(isinstance(v, str) and v for v in p.specs.values())
        if p.kind in ("tool", "grout", "setting"):
            assert not {"EdgeType", "BoxQuantity", "SurfaceAbrasion", "ShadeVariation"} & set(p.specs), p.path
        if p.kind in ("tile", "stone", "lvt", "laminate", "wood"):
            if "white" in words:
                assert "White" in p.specs["Color"], p.path
            if "matte" in words:
                assert p.specs["Finish"] == "Matte", p.path
            if "ceramic" in words:
                assert p.specs["MaterialType"] == "Ceramic", p.path
            size = re.search(r"(?<![\d.-])((?:0-)?\d+(?:\.\d+)?)-x-(\d+(?:\.\d+)?)-in-", slug)
            if size and "+" not in slug:
                # the slug format drops decimal points (256-x-10 is 2.56 x 10 in, 0-375 is 0.375)
                stated = f"{size.group(1)} x {size.group(2)} in".replace("-", "")
                assert p.specs["ApproximateSize"].replace(".", "") == stated.replace(".", ""), p.path
    p = full_catalog.product("/products/linewood-white-matte-ceramic-wall-tile-12-x-36-in-485020")
    assert (p.specs["Color"], p.specs["Finish"], p.specs["MaterialType"], p.specs["ApproximateSize"]) == \
        ("White", "Matte", "Ceramic", "12 x 36 in")


def test_descriptions_are_html_with_entities_and_state_attributes(full_catalog):
    entities = collections.Counter()
    texts = set()
    for p in full_catalog.products:
        words = _words(p.description_html)
        assert 60 <= len(words) <= 200, (p.path, len(words))
        assert p.description_html.startswith("<p>") and "<ul><li>" in p.description_html
        for entity in ("&amp;", "&#8217;", "&quot;"):
            entities[entity] += entity in p.description_html
        text = " ".join(words).lower()
        texts.add(text)
        if p.kind in ("tile", "stone", "lvt", "laminate", "wood"):
            assert p.specs["Color"].split(",")[0].lower() in text, p.path
            assert p.specs["MaterialType"].lower() in text or p.sku in KNOWN_SKUS, p.path
    assert all(count > 50 for count in entities.values()) and len(entities) == 3
    assert len(texts) == len(full_catalog.products)  # product names alone make them differ
    assert "<strong>" in full_catalog.product("684287").description_html


def test_images_and_documents_are_scene7_urls(catalog):
    for p in catalog.products:
        key = p.sku or p.path.rsplit("/", 1)[-1]
        assert p.images[0] == f"https://tileshop.scene7.com/is/image/TileShop/{key}?$ExtraLarge$"
        assert all(re.fullmatch(rf"https://tileshop\.scene7\.com/is/image/TileShop/{re.escape(key)}"
                                r"_vendor_render_[a-z]+\?\$ExtraLarge\$", u) for u in p.images[1:])
        for d in p.documents:
            assert d["Url"].startswith("https://s7d1.scene7.com/is/content/TileShop/pdf/") and d["Name"]
    assert any(len(p.images) > 1 for p in catalog.products)
    assert any(p.documents for p in catalog.products) and any(not p.documents for p in catalog.products)


def test_breadcrumbs_end_with_the_product(catalog):
    for p in catalog.products:
        assert p.breadcrumbs[0] == ("Home", "/") and p.breadcrumbs[-1] == (p.name, p.path)
        assert p.breadcrumbs[1][1] in catalog.other_pages


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
