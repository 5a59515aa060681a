"""The tools' typed inputs: pydantic models (extra fields refused, strings stripped) whose JSON
schemas are the tool definitions Claude sees and which `tools.run_tool` validates every call
against, and the limits they set.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tileshop_pipelines.assistant import companions as rules
from tileshop_pipelines.store.search import PRICE_BASES, PRICE_UNITS, PRODUCT_TYPES, ProductFilters

MAX_SKUS = 10
MAX_COMPARE = 6
MAX_LIMIT = 20
MAX_TEXT = 200
MAX_DOCUMENT_PASSAGES = 8


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Sku = Field(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z]+$")


class SearchFilters(ToolInput):
    """Structured filters over the product's own facts (not what it is for)."""

    min_price: float | None = Field(default=None, ge=0, le=1_000_000)
    max_price: float | None = Field(default=None, ge=0, le=1_000_000)
    price_basis: Literal[PRICE_BASES] = Field(  # type: ignore[valid-type]
        default="unit", description="which price min/max apply to: box, sqft, or unit (the selling unit's)"
    )
    price_unit: Literal[PRICE_UNITS] | None = None  # type: ignore[valid-type]
    color: str | None = Field(default=None, min_length=1, max_length=100)
    finish: str | None = Field(default=None, min_length=1, max_length=100)
    material: str | None = Field(
        default=None, min_length=1, max_length=100, description="the product's own material, e.g. Porcelain"
    )
    application: str | None = Field(default=None, min_length=1, max_length=100, description="e.g. Floor, Wall")
    size: str | None = Field(default=None, min_length=1, max_length=100, description='e.g. "12 x 24"')
    product_type: Literal[tuple(PRODUCT_TYPES)] | None = Field(  # type: ignore[valid-type]
        default=None,
        description="the kind of product: setting (thinset, mortar), grout, trim, underlayment, "
        "tool, flooring (LVT, laminate, wood), tile",
    )

    @model_validator(mode="after")
    def _range(self):
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price ({self.min_price}) exceeds max_price ({self.max_price})")
        return self

    def to_filters(self) -> ProductFilters:
        return ProductFilters(**self.model_dump())


class SearchInput(ToolInput):
    """Find products. sort=relevance ranks by the query; price_asc / price_desc rank the whole
    matching catalog by price (per sq. ft. for products sold by area, else per selling unit)."""

    query: str = Field(default="", max_length=MAX_TEXT, description="what the shopper wants, in words")
    filters: SearchFilters = Field(default_factory=SearchFilters)
    sort: Literal["relevance", "price_asc", "price_desc"] = "relevance"
    basis: Literal["auto", "sqft", "unit"] = Field(
        default="auto", description="price sort basis; auto: per sq. ft. when most matching products are sold by area"
    )
    limit: int = Field(default=5, ge=1, le=MAX_LIMIT)

    @model_validator(mode="after")
    def _something(self):
        if self.sort == "relevance" and not self.query:
            raise ValueError("a relevance search needs a query")
        return self


class SkusInput(ToolInput):
    """Products by SKU (the item numbers on the product pages)."""

    skus: list[str] = Field(min_length=1, max_length=MAX_SKUS)

    @model_validator(mode="after")
    def _skus(self):
        bad = [s for s in self.skus if not (1 <= len(s) <= 20 and s.isascii() and s.isalnum())]
        if bad:
            raise ValueError(f"not a SKU: {bad[0][:40]!r}")
        return self


class CompareInput(SkusInput):
    """Two to six products' facts side by side."""

    skus: list[str] = Field(min_length=2, max_length=MAX_COMPARE)


class EstimateInput(ToolInput):
    """How many boxes, bags or pails of a product an area needs, and the cost. Give `area` (square
    units) or `length` and `width`; `unit` is ft, in or m; waste_pct defaults to 10% (straight lay).
    Tile: from the coverage per box its page states. Grout: from its data sheet's coverage for the
    `tile_size` and `joint_width`. Mortar/thinset: from its data sheet's coverage for the
    `trowel_notch`, or for the notch the data sheet gives for the `tile_size`."""

    sku: str = Sku
    area: float | None = Field(default=None, description="in square `unit`s")
    length: float | None = None
    width: float | None = None
    unit: Literal["ft", "in", "m"] = "ft"
    waste_pct: float | None = Field(default=None, description="0-100; default 10 (15 for herringbone/chevron)")
    tile_size: str | None = Field(default=None, max_length=40, description='the tile being set or grouted, "12 x 24"')
    joint_width: str | None = Field(default=None, max_length=20, description='grout joint in inches, "1/8"')
    trowel_notch: str | None = Field(default=None, max_length=40, description='"1/2 x 1/2 in square"')


class DocumentSearchInput(ToolInput):
    """Passages of the store's own documents (installation instructions, technical data sheets with
    coverage, pot life and cure times, safety data sheets, care guides, warranties) that answer
    how-to questions; each names its document and page. Give `sku` to read only the documents
    that product's page lists."""

    query: str = Field(min_length=1, max_length=MAX_TEXT, description="the question, in words")
    sku: str | None = Field(default=None, min_length=1, max_length=20, pattern=r"^[0-9A-Za-z]+$")
    limit: int = Field(default=3, ge=1, le=MAX_DOCUMENT_PASSAGES)


class CompanionInput(ToolInput):
    """What goes with a product: grout, trim, setting materials (thinset, mortar), underlayment.
    Give the product's `sku`, or describe a tile (tile_material, tile_size, large_format)."""

    sku: str | None = Field(default=None, min_length=1, max_length=20, pattern=r"^[0-9A-Za-z]+$")
    kind: Literal[rules.KINDS] | None = Field(  # type: ignore[valid-type]
        default=None, description="grout, trim, setting or underlayment; all that apply when omitted"
    )
    tile_material: str | None = Field(default=None, max_length=100)
    tile_size: str | None = Field(default=None, max_length=100, description='e.g. "24 x 48 in"')
    large_format: bool = Field(default=False, description="the tile has a side of 15 in or more")
    limit: int = Field(default=5, ge=1, le=MAX_LIMIT)
