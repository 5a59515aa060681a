"""The seven known products' facts as CONTEXT.md states them ("Known products"), written once and
read in the two shapes the tests check: the sample product (its fields, and its specifications as
the page shows them) and the record `tileshop parse` extracts from its page."""

from __future__ import annotations

from typing import NamedTuple


class Fact(NamedTuple):
    product: str | None  # a SampleProduct field, or "specs.<Name>"; None: checked on the record only
    shown: object  # its value there
    record: str | tuple[str, str] | None  # the parsed record's field (or (field, key)); None: product only
    parsed: object  # its value there


def same(field: str, value: object) -> Fact:
    return Fact(field, value, field, value)


def spec(name: str, shown: str, record: str | tuple[str, str] | None = None, parsed: object = None) -> Fact:
    return Fact(f"specs.{name}", shown, record, parsed)


FACTS: dict[str, list[Fact]] = {
    "684287": [
        same("price", 77.11),
        same("price_unit", "box"),
        same("price_per_sqft", 12.99),
        spec("BoxQuantity", "6", "box_quantity", 6),
        spec("EdgeType", "Rectified", "edge_type", "Rectified"),
        spec("MaterialType", "Porcelain", "material", "Porcelain"),
        spec("Applications", "Floor, Light Commercial, Wall", "applications", ["Floor", "Light Commercial", "Wall"]),
        spec("BoxWeight", "22.9 lbs", "box_weight_lbs", 22.9),
        spec("CountryOfOrigin", "Italy", "country_of_origin", "Italy"),
        spec("DirectionalLayout", "No", "directional_layout", False),
        spec("ShadeVariation", "V3", "shade_variation", "V3"),
        spec("SurfaceAbrasion", "CLASS 5", ("specifications", "SurfaceAbrasion"), "CLASS 5"),
        spec("FrostResistance", "Resistant", ("specifications", "FrostResistance"), "Resistant"),
    ],
    "684272": [
        same("price", 69.99),
        same("price_unit", "each"),
        same("price_per_sqft", None),
        Fact("coverage_sqft_per_box", None, None, None),
        Fact(None, None, "price_per_piece", 69.99),
        Fact(None, None, "price_per_box", None),
    ],
    "485000": [
        same("price", 70.20),
        same("price_unit", "box"),
        same("coverage_sqft_per_box", 5.40),
        same("price_per_sqft", None),
        spec("Color", "White", "color", "White"),
    ],
    "683861": [
        same("price", 139.82),
        same("price_unit", "box"),
        same("coverage_sqft_per_box", 10.76),
        same("price_per_sqft", 12.99),
        spec("Color", "Beige, Brown", "color", "Beige, Brown"),
    ],
    "485020": [
        spec("Applications", "Wall", "applications", ["Wall"]),
        spec("Thickness", "8.7mm", "thickness", "8.7mm"),
        spec("BoxQuantity", "5", "box_quantity", 5),
    ],
    "43521": [
        same("price", 35.99),
        same("price_unit", "each"),
        Fact("price_per_sqft", None, None, None),
        Fact(None, None, "sku", "43521"),
    ],
    "683549": [same("price", 22.99), same("price_unit", "each"), Fact("price_per_sqft", None, None, None)],
}


def product_facts(sku: str) -> dict:
    """field -> value of the sample product, its specifications under "specs" (name -> text)."""
    out: dict = {}
    for fact in FACTS[sku]:
        if fact.product is None:
            continue
        if fact.product.startswith("specs."):
            out.setdefault("specs", {})[fact.product.removeprefix("specs.")] = fact.shown
        else:
            out[fact.product] = fact.shown
    return out


def record_facts(sku: str) -> dict:
    """record field (or (field, key)) -> value `tileshop parse` gives for the product's page."""
    return {fact.record: fact.parsed for fact in FACTS[sku] if fact.record is not None}
