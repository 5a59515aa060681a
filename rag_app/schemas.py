"""The API's request and response shapes (validated by FastAPI, published in the OpenAPI spec)
and the responses the routes share."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from tileshop_pipelines.store.search import PRICE_BASES, PRICE_UNITS, PRODUCT_TYPES, ProductFilters

MAX_QUERY_CHARS = 2000
MAX_HISTORY_MESSAGES = 50
MAX_MESSAGE_CHARS = 8000
MAX_FILTER_CHARS = 100

PriceBasis = Literal[PRICE_BASES]  # type: ignore[valid-type]
PriceUnit = Literal[PRICE_UNITS]  # type: ignore[valid-type]


def _storable_text(value: str) -> str:
    """Text Postgres can store and the response can echo: NUL was a 503 "database unavailable", a
    lone surrogate escape ("\\ud800", which JSON allows) a 500 where pydantic let it through."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must not contain lone surrogate escapes (\\ud800-\\udfff)") from None
    return value


Text = Annotated[str, AfterValidator(_storable_text)]  # every text the API takes
AT_CAPACITY: dict[int | str, dict[str, Any]] = {
    503: {"description": "the product database is unavailable, or the app is at capacity (with Retry-After)"}
}


class FiltersIn(BaseModel):
    """Structured product filters: a chat request's `filters`, or the product search's query string."""

    min_price: float | None = Field(default=None, ge=0, le=1_000_000)
    max_price: float | None = Field(default=None, ge=0, le=1_000_000)
    price_basis: PriceBasis = Field(default="unit", description="box | sqft | unit (the selling unit's price)")
    price_unit: PriceUnit | None = None
    color: Text | None = Field(default=None, min_length=1, max_length=MAX_FILTER_CHARS)
    finish: Text | None = Field(default=None, min_length=1, max_length=MAX_FILTER_CHARS)
    material: Text | None = Field(default=None, min_length=1, max_length=MAX_FILTER_CHARS)
    application: Text | None = Field(default=None, min_length=1, max_length=MAX_FILTER_CHARS)
    size: Text | None = Field(default=None, min_length=1, max_length=MAX_FILTER_CHARS)
    product_type: Literal[tuple(PRODUCT_TYPES)] | None = Field(  # type: ignore[valid-type]
        default=None, description="the kind of product: " + ", ".join(PRODUCT_TYPES)
    )

    @model_validator(mode="after")
    def _price_range(self):
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price ({self.min_price}) exceeds max_price ({self.max_price})")
        return self

    def to_filters(self) -> ProductFilters:
        return ProductFilters(**self.model_dump())


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: Text = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class ChatRequest(BaseModel):
    query: Text = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    conversation_history: list[Message] = Field(default_factory=list, max_length=MAX_HISTORY_MESSAGES)
    filters: FiltersIn | None = None

    @model_validator(mode="after")
    def _not_blank(self):
        if not self.query.strip():
            raise ValueError("query is blank")
        return self

    def history(self) -> list[dict]:
        return [m.model_dump() for m in self.conversation_history]

    def product_filters(self) -> ProductFilters | None:
        return self.filters.to_filters() if self.filters else None


class ProductCard(BaseModel):
    sku: str | None
    name: str | None
    url: str | None
    price: float | None
    price_unit: str | None
    image: str | None
    score: float | None = Field(description="relevance; null for products a tool found (price order, companions)")
    size: str | None = None
    color: str | None = None
    finish: str | None = None
    coverage_sqft_per_unit: float | None = Field(default=None, description="sq. ft. per box, as the record states")
    price_per_sqft: float | None = Field(default=None, description="as the record states")


class CoverageSourceOut(BaseModel):
    what: str = Field(description="grout coverage, mortar coverage or trowel notch")
    document: str
    url: str
    page: int
    source: str = Field(description="the document's address at the page (#page=N)")
    statement: str = Field(description="the table row as the document prints it")


class EstimateOut(BaseModel):
    """Materials for an area: selling units and cost from the coverage the record (tile) or the
    product's data sheet (grout, mortar) states, and the price."""

    sku: str
    name: str | None
    unit: str = Field(description="box, sq. ft. (sold by the sq. ft.), bag or pail")
    units: int
    area_sqft: float
    waste_pct: float
    waste_reason: str = Field(description="the default's reason, or that the shopper gave it")
    area_with_waste_sqft: float
    coverage_per_unit: float
    unit_price: float | None
    total: float | None
    arithmetic: list[str] = Field(description="each step: area, waste, coverage per unit, rounding up, total")
    source: str | None = Field(description="the product page the price (and a tile's coverage) come from")
    coverage_sources: list[CoverageSourceOut] = Field(
        default=[], description="the data sheet rows a grout's or mortar's coverage comes from"
    )


class SortOut(BaseModel):
    by: Literal["price_asc", "price_desc"]
    basis: Literal["sqft", "unit"] = Field(description="price per sq. ft., or per selling unit")
    note: str = Field(description="what was ranked and what was left out, in a sentence")
    matching: int = Field(description="listed products matching the filters (the whole catalog, not the top k)")
    ranked: int = Field(description="of which state a price on the basis")


class CompanionOut(BaseModel):
    kind: Literal["grout", "trim", "setting", "underlayment"]
    reason: str = Field(description="the rule's reason, for the shopper")
    product: ProductCard


class ToolCallOut(BaseModel):
    name: str
    input: dict
    ok: bool
    error: str | None = None


class Citation(BaseModel):
    sku: str | None = Field(description="the cited product's SKU; null for a document's passage")
    document: str | None = Field(default=None, description="the cited document (its title), for a passage")
    page: int | None = Field(default=None, description="the cited passage's page")
    url: str = Field(description="the product page, or the document's address at the page (#page=N)")
    title: str | None
    cited_text: str


class LinkedProduct(BaseModel):
    sku: str | None
    name: str | None
    url: str | None


class PassageOut(BaseModel):
    """A passage of one of the store's documents, quoted or cited by the answer."""

    document: str = Field(description="the document as a shopper names it (its name and its own title)")
    url: str = Field(description="the document (a PDF on the store's CDN)")
    page: int
    source: str = Field(description="the document's address at the page (#page=N)")
    section: str | None = Field(description="the heading the passage is under")
    text: str = Field(description="the passage's text, as the document states it")
    score: float
    products: list[LinkedProduct] = Field(description="the first listed products whose pages name the document")
    product_count: int = Field(description="all listed products whose pages name the document")
    quoted: bool = Field(
        default=False,
        description="the answer's text quotes it, under its document, page "
        "and products (an offline answer): the chat page shows it "
        "there, not again",
    )


class ChatResponse(BaseModel):
    answer: str
    mode: Literal["claude", "offline"]
    products: list[ProductCard]
    citations: list[Citation]
    filters: dict
    filters_relaxed: bool
    estimate: EstimateOut | None = None
    sort: SortOut | None = None
    companions: list[CompanionOut] = []
    passages: list[PassageOut] = Field(default=[], description="the documents' passages the answer quotes or cites")
    tool_calls: list[ToolCallOut] = Field(default=[], description="the assistant's tool calls, in order")
    latency_ms: float


class SearchResponse(BaseModel):
    query: str | None
    filters: dict
    products: list[ProductCard]
    latency_ms: float


class ProductDetail(BaseModel):
    product_key: str
    sku: str | None
    name: str | None
    url: str
    price: float | None
    price_unit: str | None
    image: str | None
    record: dict
    history: list[dict] = Field(
        description="every stored version of the record (price/spec changes), oldest "
        "first, each with its validity interval valid_from/valid_to"
    )


class ProductResponse(BaseModel):
    sku: str
    products: list[ProductDetail] = Field(description="a SKU can sit on more than one URL")


class ComponentHealth(BaseModel):
    healthy: bool
    latency_ms: float
    message: str


class DetailedHealth(BaseModel):
    status: Literal["healthy", "degraded"]
    components: dict[str, ComponentHealth]


class RunInfo(BaseModel):
    run_id: str
    job: str
    status: str
    start_time: float | None = None
    end_time: float | None = None


class LaunchResponse(BaseModel):
    run_id: str
    status: str
    job: str
    location: str


class AcquisitionStatus(BaseModel):
    job: str
    runs: list[RunInfo]


class CatalogChange(BaseModel):
    changed_at: dt.datetime
    refresh_id: int | None = Field(description="the sitemap refresh cycle it happened in")
    product_key: str
    sku: str | None
    name: str | None
    change: Literal["added", "delisted", "returned", "price", "spec"]
    field: str | None = Field(description="the specification's key (spec changes)")
    old: Any = Field(description='before: {"price", "unit"} for a price, the value for a spec, null if absent')
    new: Any = Field(description="after, likewise")
    summary: str = Field(description='e.g. "price 77.11/box -> 79.99/box"')


class CatalogChangesResponse(BaseModel):
    since: dt.datetime | None
    refresh_id: int | None = Field(description="without `since`: the latest refresh cycle shown")
    counts: dict[str, int]
    changes: list[CatalogChange]
