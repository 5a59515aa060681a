"""The typed results of the assistant's tools (tools.py): what the offline answer (turns.py) writes
sentences from, what Claude reads as JSON and what the API returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tileshop_pipelines.assistant.passages import PassageHit, search_result
from tileshop_pipelines.assistant.quantities import Quantity


class ProductFacts(BaseModel):
    sku: str | None
    name: str | None
    url: str | None
    price: float | None
    price_unit: str | None
    category: str | None = None
    size: str | None = None
    color: str | None = None
    finish: str | None = None
    material: str | None = None
    coverage_sqft_per_unit: float | None = None
    price_per_sqft: float | None = None
    recommended_grout: str | None = None
    image: str | None = None

    @classmethod
    def of(cls, product: dict) -> ProductFacts:
        record = product.get("record") or {}
        per_sqft = record.get("price_per_sqft")
        if per_sqft is None and product.get("price_unit") == "sqft":
            per_sqft = product.get("price")
        images = record.get("images") or []
        return cls(
            sku=product.get("sku"),
            name=product.get("name"),
            url=product.get("url"),
            price=product.get("price"),
            price_unit=product.get("price_unit"),
            category=record.get("category"),
            size=record.get("size"),
            color=record.get("color"),
            finish=record.get("finish"),
            material=record.get("material"),
            coverage_sqft_per_unit=record.get("coverage_sqft_per_box"),
            price_per_sqft=per_sqft,
            recommended_grout=record.get("recommended_grout"),
            image=images[0] if images else None,
        )


class SortInfo(BaseModel):
    by: Literal["price_asc", "price_desc"]
    basis: Literal["sqft", "unit"]
    note: str = Field(description="what was ranked, on which price, and what was left out")
    matching: int = Field(description="listed products matching the filters")
    ranked: int = Field(description="of which state a price on the basis")


class SearchResult(BaseModel):
    products: list[ProductFacts]
    sort: SortInfo | None = None
    filters: dict
    relaxed: bool = False


class ProductsResult(BaseModel):
    products: list[ProductFacts]
    not_found: list[str] = []


class ComparisonRow(BaseModel):
    fact: str
    values: list[str | None]


class ComparisonResult(BaseModel):
    products: list[ProductFacts]
    rows: list[ComparisonRow]


class Estimate(Quantity):
    sku: str
    name: str | None
    source: str | None = Field(description="the product page the price (and a tile's coverage) come from")

    def search_results(self) -> list[dict]:
        """The data sheet rows the coverage comes from, as search_result blocks Claude can cite."""
        return [
            {
                "type": "search_result",
                "source": s.source,
                "title": s.document,
                "content": [
                    {"type": "text", "text": s.statement},
                    {"type": "text", "text": f"{s.what.capitalize()}, page {s.page} of {s.document}."},
                ],
                "citations": {"enabled": True},
            }
            for s in self.coverage_sources
        ]


class CompanionItem(BaseModel):
    kind: str
    reason: str
    product: ProductFacts


class CompanionResult(BaseModel):
    anchor: str = Field(description="what the companions go with")
    anchor_sku: str | None = None
    companions: list[CompanionItem]
    notes: list[str] = []


class DocumentsResult(BaseModel):
    """Passages of the store's documents; Claude reads them as search_result blocks."""

    passages: list[PassageHit]
    note: str | None = None

    def search_results(self) -> list[dict]:
        return [search_result(p) for p in self.passages]
