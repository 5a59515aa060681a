"""A sample product and the vocabulary of its fields: kinds, categories, specification keys."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

SPEC_GROUPS: dict[str, tuple[str, ...]] = {
    "PDPInfo_DesignInstallation": (
        "MaterialType",
        "EdgeType",
        "Color",
        "Finish",
        "Applications",
        "DirectionalLayout",
        "RecommendedGrout",
        "ShadeVariation",
    ),
    "PDPInfo_Dimensions": ("ApproximateSize", "Thickness", "BoxQuantity", "BoxWeight"),
    "PDPInfo_TechnicalDetails": ("CountryOfOrigin", "SurfaceAbrasion", "FrostResistance"),
}
SPEC_KEYS: tuple[str, ...] = tuple(k for keys in SPEC_GROUPS.values() for k in keys)

KINDS = ("tile", "stone", "lvt", "laminate", "wood", "trim", "grout", "setting", "tool")

# kind -> (category path, category name); the category pages are also served and listed.
CATEGORIES: dict[str, tuple[str, str]] = {
    "tile": ("/tile", "Tile"),
    "stone": ("/natural-stone", "Natural Stone"),
    "lvt": ("/luxury-vinyl", "Luxury Vinyl"),
    "laminate": ("/laminate-and-wood", "Laminate & Wood"),
    "wood": ("/laminate-and-wood", "Laminate & Wood"),
    "trim": ("/trim", "Trim & Molding"),
    "grout": ("/grout", "Grout & Caulk"),
    "setting": ("/installation-materials", "Installation Materials"),
    "tool": ("/tools-and-accessories", "Tools & Accessories"),
}

CATALOG_EPOCH = dt.datetime(2025, 6, 1, 6, 0, tzinfo=dt.UTC)


@dataclasses.dataclass
class SampleProduct:
    path: str  # URL path exactly as listed in the sitemap (decoded)
    sku: str | None  # trailing slug code as a string; None when the slug has none
    name: str
    kind: str  # one of KINDS
    brand: str
    price: float  # price of the selling unit
    price_unit: str  # "box" | "sqft" | "each" | "bag"
    price_per_sqft: float | None  # only when the page shows it
    coverage_sqft_per_box: float | None
    specs: dict[str, str]  # Key -> Value, keys without the PDPInfo_ prefix
    documents: list[dict[str, str]]  # [{"Name": ..., "Url": ...}]
    images: list[str]
    description_html: str
    breadcrumbs: list[tuple[str, str]]  # (name, path) from Home to the product itself
    availability: str = "InStock"
    version: int = 0  # bumped by Catalog.update
    last_modified: dt.datetime = CATALOG_EPOCH

    @property
    def page_sku(self) -> str:
        """The item number the page states. A slug without a trailing code (penny rounds, kits,
        caulks) still sells under an item number; ours is derived from the path, stable, and starts
        with 9, which no real SKU does."""
        if self.sku is not None:
            return self.sku
        return "9" + str(int(hashlib.sha1(self.path.encode()).hexdigest()[:8], 16) % 100_000).zfill(5)

    def spec_groups(self) -> dict[str, list[dict[str, str]]]:
        """Specifications as the page's __NEXT_DATA__ states them."""
        return {
            group: [{"Key": f"PDPInfo_{k}", "Value": self.specs[k]} for k in keys if k in self.specs]
            for group, keys in SPEC_GROUPS.items()
        }
