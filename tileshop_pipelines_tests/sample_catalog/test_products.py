"""Products made from their slugs: prices and units, slug-consistent specs, images and documents,
breadcrumbs."""

from __future__ import annotations

import collections
import re

from tileshop_pipelines.sample_catalog import KNOWN_SKUS
from tileshop_pipelines.sample_catalog.model import SPEC_KEYS


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
    assert (p.specs["Color"], p.specs["Finish"], p.specs["MaterialType"], p.specs["ApproximateSize"]) == (
        "White",
        "Matte",
        "Ceramic",
        "12 x 36 in",
    )


def test_images_and_documents_are_scene7_urls(catalog):
    for p in catalog.products:
        key = p.sku or p.path.rsplit("/", 1)[-1]
        assert p.images[0] == f"https://tileshop.scene7.com/is/image/TileShop/{key}?$ExtraLarge$"
        assert all(
            re.fullmatch(
                rf"https://tileshop\.scene7\.com/is/image/TileShop/{re.escape(key)}"
                r"_vendor_render_[a-z]+\?\$ExtraLarge\$",
                u,
            )
            for u in p.images[1:]
        )
        for d in p.documents:
            assert d["Url"].startswith("https://s7d1.scene7.com/is/content/TileShop/pdf/") and d["Name"]
    assert any(len(p.images) > 1 for p in catalog.products)
    assert any(p.documents for p in catalog.products) and any(not p.documents for p in catalog.products)


def test_breadcrumbs_end_with_the_product(catalog):
    for p in catalog.products:
        assert p.breadcrumbs[0] == ("Home", "/") and p.breadcrumbs[-1] == (p.name, p.path)
        assert p.breadcrumbs[1][1] in catalog.other_pages
