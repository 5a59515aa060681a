"""The seven known products keep their stated facts in every catalog."""

from __future__ import annotations

import pytest

from tileshop_pipelines.sample_catalog import KNOWN_SKUS

from ..support import known_products

KNOWN_FACTS = {sku: known_products.product_facts(sku) for sku in known_products.FACTS}


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
    assert any(
        "porcelain" in d["Url"].lower()
        and "safety" in d["Name"].lower()
        and d["Url"].endswith(".pdf")
        and d["Url"].startswith("https://s7d1.scene7.com/is/content/TileShop/pdf/")
        for d in sds
    )
