"""The assistant's tools: plain functions over the store with typed inputs and typed results.

The offline answer (intent.py), Claude's tool use (tool_loop.py), the evaluation and the API call
the same functions. Inputs are pydantic models (extra fields refused; tool_inputs.py), so their JSON
schemas are the tool definitions Claude sees, and `run_tool` validates whatever arrives: a malformed
or unknown call becomes a `ToolOutcome` with an error naming the value, never an exception. Every
call runs in a read-only transaction: no tool can change a record.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import numpy as np
import psycopg
from pydantic import BaseModel, ValidationError

from tileshop_pipelines.assistant import companions as rules
from tileshop_pipelines.assistant.coverage import document_coverage
from tileshop_pipelines.assistant.filters import Vocabulary, parse_question
from tileshop_pipelines.assistant.passages import retrieve_passages
from tileshop_pipelines.assistant.quantities import NO_COVERAGE, EstimateError, area_sqft, document_quantity, quantity
from tileshop_pipelines.assistant.results import (
    CompanionItem,
    CompanionResult,
    ComparisonResult,
    ComparisonRow,
    DocumentsResult,
    Estimate,
    ProductFacts,
    ProductsResult,
    SearchResult,
    SortInfo,
)
from tileshop_pipelines.assistant.tool_inputs import (
    CompanionInput,
    CompareInput,
    DocumentSearchInput,
    EstimateInput,
    SearchInput,
    SkusInput,
    ToolInput,
)
from tileshop_pipelines.store.product_lookup import (
    price_counts,
    products_by_sku,
    products_of_type,
    ranked_by_price,
    recommended_grout_counts,
)


class ToolError(ValueError):
    """A tool call that cannot be answered; the message names the value and is shown as is."""


# --- the tools -----------------------------------------------------------------------------
@dataclasses.dataclass
class ToolContext:
    conn: psycopg.Connection
    embed: Callable[[str], np.ndarray] | None = None  # relevance search only
    vocabulary: Vocabulary | None = None


_COMPARED = (
    ("price", lambda f: _price_text(f)),
    ("price per sq. ft.", lambda f: _num(f.price_per_sqft, "$")),
    ("size", lambda f: f.size),
    ("material", lambda f: f.material),
    ("color", lambda f: f.color),
    ("finish", lambda f: f.finish),
    ("coverage per box", lambda f: _num(f.coverage_sqft_per_unit, "", " sq. ft.")),
    ("recommended grout", lambda f: f.recommended_grout),
    ("category", lambda f: f.category),
)


def _num(value: float | None, prefix: str = "", suffix: str = "") -> str | None:
    return None if value is None else f"{prefix}{value:,.2f}{suffix}"


def _price_text(facts: ProductFacts) -> str | None:
    if facts.price is None:
        return None
    return f"${facts.price:,.2f}" + (
        {"box": " per box", "sqft": " per sq. ft.", "bag": " per bag", "each": " each"}.get(facts.price_unit or "", "")
    )


def _by_sku(conn: psycopg.Connection, skus: list[str]) -> tuple[list[dict], list[str]]:
    rows = products_by_sku(conn, skus)
    found = {r["sku"].lower() for r in rows if r["sku"]}
    seen, products = set(), []
    for row in rows:  # a SKU on two URLs: the first
        if row["sku"].lower() not in seen:
            seen.add(row["sku"].lower())
            products.append(row)
    return products, [s for s in skus if s.lower() not in found]


def search_products(ctx: ToolContext, params: SearchInput) -> SearchResult:
    explicit = params.filters.to_filters()
    if params.sort == "relevance":
        from tileshop_pipelines.assistant.retrieval import retrieve  # retrieval imports the embedder

        if ctx.embed is None:
            raise ToolError("relevance search is not available here (no query encoder)")
        found = retrieve(
            ctx.conn,
            params.query,
            ctx.embed(params.query),
            limit=params.limit,
            filters=explicit,
            vocabulary=ctx.vocabulary,
        )
        return SearchResult(
            products=[ProductFacts.of(dataclasses.asdict(h) | {"record": h.record}) for h in found.hits],
            filters=found.filters.active(),
            relaxed=found.relaxed,
        )
    filters = explicit
    if params.query and ctx.vocabulary is not None:
        filters = parse_question(params.query, ctx.vocabulary).filters.merged(explicit)
    total, by_area = price_counts(ctx.conn, filters)
    basis = params.basis
    if basis == "auto":
        basis = "sqft" if by_area and by_area * 2 >= total else "unit"
    descending = params.sort == "price_desc"
    rows, ranked = ranked_by_price(ctx.conn, filters, basis, descending, params.limit)
    label = "price per sq. ft." if basis == "sqft" else "price per selling unit (box, piece or bag)"
    note = (
        f"Ranked by {label}, {'highest' if descending else 'lowest'} first, over all {ranked} "
        f"listed product{'s' if ranked != 1 else ''} matching the filters"
    )
    if ranked < total:
        note += f" ({total - ranked} more state no {'per-sq.-ft. ' if basis == 'sqft' else ''}price)"
    return SearchResult(
        products=[ProductFacts.of(r) for r in rows],
        filters=filters.active(),
        sort=SortInfo(by=params.sort, basis=basis, note=note + ".", matching=total, ranked=ranked),
    )


def get_products(ctx: ToolContext, params: SkusInput) -> ProductsResult:
    products, missing = _by_sku(ctx.conn, params.skus)
    if not products:
        raise ToolError(f"no product with SKU {', '.join(repr(s) for s in missing)} in the catalog")
    return ProductsResult(products=[ProductFacts.of(p) for p in products], not_found=missing)


def compare_products(ctx: ToolContext, params: CompareInput) -> ComparisonResult:
    products, missing = _by_sku(ctx.conn, params.skus)
    if missing:
        raise ToolError(f"no product with SKU {', '.join(repr(s) for s in missing)} in the catalog")
    facts = [ProductFacts.of(p) for p in products]
    rows = [ComparisonRow(fact=label, values=[value(f) for f in facts]) for label, value in _COMPARED]
    return ComparisonResult(products=facts, rows=[r for r in rows if any(v is not None for v in r.values)])


def estimate_materials(ctx: ToolContext, params: EstimateInput) -> Estimate:
    products, missing = _by_sku(ctx.conn, [params.sku])
    if missing:
        raise ToolError(f"no product with SKU {params.sku!r} in the catalog")
    product = products[0]
    record = {
        **product["record"],
        "name": product["name"],
        "price": product["price"],
        "price_unit": product["price_unit"],
    }
    try:
        sqft, line = area_sqft(area=params.area, length=params.length, width=params.width, unit=params.unit)
        if record.get("coverage_sqft_per_box") or record["price_unit"] == "sqft":
            q = quantity(record, sqft, line, params.waste_pct)
        else:  # grout, mortar: what their data sheets state
            coverage = document_coverage(
                ctx.conn,
                product["product_key"],
                tile_size=params.tile_size,
                joint_width=params.joint_width,
                trowel_notch=params.trowel_notch,
            )
            if coverage is None:
                raise EstimateError(f"{NO_COVERAGE}, and no document of it states any")
            q = document_quantity(record, sqft, line, params.waste_pct, coverage)
    except EstimateError as exc:
        raise ToolError(f"{exc} (SKU {product['sku']})" if "coverage" in str(exc) else str(exc)) from None
    return Estimate(sku=product["sku"], name=product["name"], source=product["url"], **q.model_dump())


def companion_products(ctx: ToolContext, params: CompanionInput) -> CompanionResult:
    if params.sku:
        products, missing = _by_sku(ctx.conn, [params.sku])
        if missing:
            raise ToolError(f"no product with SKU {params.sku!r} in the catalog")
        anchor_product = products[0]
        anchor = rules.Anchor.of({**anchor_product["record"], "name": anchor_product["name"]})
    elif params.tile_material or params.tile_size or params.large_format:
        anchor_product = None
        anchor = rules.Anchor(material=params.tile_material, size=params.tile_size, large_format=params.large_format)
        if params.tile_material:
            # A described tile states no grout type; the catalog's own pages for that material may.
            stated = recommended_grout_counts(ctx.conn, params.tile_material)
            if len(stated) == 1:
                anchor = dataclasses.replace(
                    anchor,
                    recommended_grout=next(iter(stated)),
                    grout_source=(
                        f"the type all {sum(stated.values())} {params.tile_material.lower()} tile pages in the catalog "
                        "recommend"
                    ),
                )
    else:
        raise ToolError("give the product's sku, or describe the tile (tile_material, tile_size, large_format)")
    kinds = (params.kind,) if params.kind else rules.kinds_for(anchor)
    if not kinds:
        raise ToolError(f"the catalog's companion rules cover tile, stone, trim and flooring, not {anchor.category!r}")
    items, notes = [], []
    for kind in kinds:
        ranked, note = rules.rank(kind, anchor, products_of_type(ctx.conn, kind))
        own_key = anchor_product["product_key"] if anchor_product else None
        ranked = [c for c in ranked if c.product["product_key"] != own_key]
        if note:
            notes.append(note)
        if not ranked and not note:
            notes.append(f"The catalog has no {kind} product for {anchor.label()}.")
        per_kind = params.limit if params.kind else max(1, params.limit // len(kinds) + 1)
        items += [
            CompanionItem(kind=c.kind, reason=c.reason, product=ProductFacts.of(c.product)) for c in ranked[:per_kind]
        ]
    return CompanionResult(
        anchor=anchor.label(),
        anchor_sku=anchor_product["sku"] if anchor_product else None,
        companions=items,
        notes=notes,
    )


def search_documents(ctx: ToolContext, params: DocumentSearchInput) -> DocumentsResult:
    if ctx.embed is None:
        raise ToolError("document search is not available here (no query encoder)")
    keys = None
    if params.sku:
        products, missing = _by_sku(ctx.conn, [params.sku])
        if missing:
            raise ToolError(f"no product with SKU {params.sku!r} in the catalog")
        keys = [p["product_key"] for p in products]
    passages = retrieve_passages(
        ctx.conn,
        params.query,
        ctx.embed(params.query),
        limit=params.limit,
        product_keys=keys,
        only_these_products=keys is not None,
        embed=ctx.embed,
    )
    note = None
    if not passages:
        note = (
            f"no document of SKU {params.sku} answers this"
            if params.sku
            else "no passage of the store's documents answers this"
        )
    return DocumentsResult(passages=passages, note=note)


InputT = TypeVar("InputT", bound=ToolInput)


@dataclasses.dataclass(frozen=True)
class Tool(Generic[InputT]):
    name: str
    input_model: type[InputT]
    run: Callable[[ToolContext, InputT], BaseModel]

    @property
    def description(self) -> str:
        return " ".join((self.input_model.__doc__ or "").split())

    def definition(self) -> dict:
        """The Messages API tool definition: name, description, input_schema."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_model.model_json_schema(),
        }


TOOLS: dict[str, Tool[Any]] = {
    t.name: t
    for t in (
        Tool("search_products", SearchInput, search_products),
        Tool("get_products", SkusInput, get_products),
        Tool("compare_products", CompareInput, compare_products),
        Tool("estimate_materials", EstimateInput, estimate_materials),
        Tool("companion_products", CompanionInput, companion_products),
        Tool("search_documents", DocumentSearchInput, search_documents),
    )
}


@dataclasses.dataclass(frozen=True)
class ToolOutcome:
    name: str
    input: dict
    ok: bool
    result: BaseModel | None = None
    error: str | None = None
    seconds: float = 0.0

    def call(self) -> dict:
        """What the API reports of the call: {name, input, ok, error?}."""
        return {"name": self.name, "input": self.input, "ok": self.ok, **({"error": self.error} if self.error else {})}


def validation_message(exc: ValidationError) -> str:
    """The first problems of a pydantic error, each naming the field and the value."""
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(x) for x in err["loc"]) or "input"
        value = repr(err.get("input"))[:60]
        if err["type"] == "extra_forbidden":
            parts.append(f"unexpected field {where!r}")
        else:
            parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')} (got {value})")
    return "; ".join(parts)


def run_tool(ctx: ToolContext, name: str, raw_input: object) -> ToolOutcome:
    """Validate and run one tool call; every failure a clear error, never an exception."""
    started = time.perf_counter()
    shown = raw_input if isinstance(raw_input, dict) else {"input": repr(raw_input)[:200]}
    tool = TOOLS.get(name) if isinstance(name, str) else None
    if tool is None:
        return ToolOutcome(
            str(name)[:100], shown, False, error=f"unknown tool {str(name)[:100]!r}; the tools are {', '.join(TOOLS)}"
        )
    try:
        params = tool.input_model.model_validate(raw_input)
    except ValidationError as exc:
        return ToolOutcome(name, shown, False, error=validation_message(exc), seconds=time.perf_counter() - started)
    try:
        with ctx.conn.transaction():
            ctx.conn.execute("SET TRANSACTION READ ONLY")
            result = tool.run(ctx, params)
    except ToolError as exc:
        return ToolOutcome(name, shown, False, error=str(exc), seconds=time.perf_counter() - started)
    return ToolOutcome(
        name, params.model_dump(exclude_defaults=True), True, result=result, seconds=time.perf_counter() - started
    )
