"""The seven known products keep their stated facts in every catalog."""

from __future__ import annotations

import pytest

from tileshop_pipelines.sample_catalog import KNOWN_SKUS


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
def test_known_products_have_their_stated_facts(built, n, seed):
    catalog = built(n, seed)
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
