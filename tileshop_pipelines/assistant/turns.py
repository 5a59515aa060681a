"""An answered question (`Turn`): its text and the structured results the API carries; the Turn a
tool call's typed result gives, written as sentences a shopper can act on (an estimate with its
arithmetic, a price-sorted list, companions with their reasons, a comparison, products); and the
Turn of a conversation's tool calls (Claude's). Only structured fields are written (names on one
line), never product descriptions.
"""

from __future__ import annotations

import dataclasses

from tileshop_pipelines.assistant import results, tools
from tileshop_pipelines.assistant.answer import one_line
from tileshop_pipelines.assistant.quantities import money, number

TOOL_NOTICE = "Offline answer (no language model was used)."


@dataclasses.dataclass
class Turn:
    """An answered question: the text and the structured results the API carries."""

    text: str
    products: list[dict]
    estimate: dict | None = None
    sort: dict | None = None
    companions: list[dict] = dataclasses.field(default_factory=list)
    tool_calls: list[dict] = dataclasses.field(default_factory=list)
    passages: list[dict] = dataclasses.field(default_factory=list)  # the documents' passages the answer quotes


def turn_from_outcome(outcome: tools.ToolOutcome) -> Turn | None:
    """The answer a successful tool call gives; None for a failed one."""
    if not outcome.ok:
        return None
    result, calls = outcome.result, [outcome.call()]
    if isinstance(result, results.Estimate):
        return Turn(text=estimate_text(result), products=[], estimate=result.model_dump(), tool_calls=calls)
    if isinstance(result, results.SearchResult):
        return Turn(
            text=sorted_text(result),
            products=[card(p) for p in result.products],
            sort=result.sort.model_dump() if result.sort else None,
            tool_calls=calls,
        )
    if isinstance(result, results.CompanionResult):
        return Turn(
            text=companion_text(result),
            products=[card(c.product) for c in result.companions],
            companions=[c.model_dump() | {"product": card(c.product)} for c in result.companions],
            tool_calls=calls,
        )
    if isinstance(result, results.ComparisonResult):
        return Turn(text=comparison_text(result), products=[card(p) for p in result.products], tool_calls=calls)
    if isinstance(result, results.ProductsResult):
        return Turn(
            text=_listing(TOOL_NOTICE, result.products), products=[card(p) for p in result.products], tool_calls=calls
        )
    return None


def merged_turn(outcomes: list[tools.ToolOutcome], base: Turn) -> Turn:
    """The structured results of a conversation's tool calls (Claude's): the last estimate and sort,
    every companion, the products of the last call that found some (else `base`'s), every call."""
    merged = Turn(text=base.text, products=base.products, tool_calls=[o.call() for o in outcomes])
    for outcome in outcomes:
        turn = turn_from_outcome(outcome)
        if turn is None:
            continue
        merged.estimate = turn.estimate or merged.estimate
        merged.sort = turn.sort or merged.sort
        merged.companions += turn.companions
        if turn.products:
            merged.products = turn.products
    return merged


def card(facts: results.ProductFacts) -> dict:
    """A product as the API's product card."""
    data = facts.model_dump()
    return {
        "sku": data["sku"],
        "name": data["name"],
        "url": data["url"],
        "price": data["price"],
        "price_unit": data["price_unit"],
        "image": data["image"],
        "score": None,
        **{k: data[k] for k in ("size", "color", "finish", "coverage_sqft_per_unit", "price_per_sqft")},
    }


def price_text(facts: results.ProductFacts) -> str:
    return tools._price_text(facts) or "price not stated"


def _label(facts: results.ProductFacts) -> str:
    return f"{one_line(facts.name)} (SKU {facts.sku})"


def estimate_text(e: results.Estimate) -> str:
    unit = "sq. ft." if e.unit == "sq. ft." else e.unit
    plural = {"box": "boxes", "sq. ft.": "sq. ft."}.get(e.unit, f"{e.unit}s")
    units = f"{e.units} {plural if e.units != 1 else unit}"
    head = (
        f"{units} of {one_line(e.name)} (SKU {e.sku}): {number(e.area_sqft)} sq. ft. plus {number(e.waste_pct)}% "
        f"waste is {number(e.area_with_waste_sqft)} sq. ft."
    )
    if e.unit == "box":
        head += f", at {number(e.coverage_per_unit)} sq. ft. per box"
    head += f"; {money(e.total)}." if e.total is not None else "; the catalog states no price for it."
    lines = [
        TOOL_NOTICE,
        head,
        f"{e.waste_reason[0].upper()}{e.waste_reason[1:]}.",
        "How it adds up:",
        *(f"- {line}" for line in e.arithmetic),
    ]
    for source in e.coverage_sources:  # the data sheet rows the coverage comes from
        lines.append(
            f"{source.what.capitalize()} from {one_line(source.document)}, page {source.page}: {source.source}"
        )
    if e.source:
        lines.append(f"{'Price' if e.coverage_sources else 'Coverage and price'} from {e.source}")
    return "\n".join(lines)


def sorted_text(result: results.SearchResult) -> str:
    if not result.products:
        return f"{TOOL_NOTICE}\nNo product in the catalog matches these filters with a stated price."
    sort = result.sort
    assert sort is not None  # a sorted search's result
    direction = "cheapest" if sort.by == "price_asc" else "most expensive"
    lines = [TOOL_NOTICE, f"The {direction} matches in the whole catalog. {sort.note}"]
    for i, p in enumerate(result.products, 1):
        price = price_text(p)
        if sort.basis == "sqft" and p.price_per_sqft is not None and p.price_unit != "sqft":
            price = f"${p.price_per_sqft:,.2f} per sq. ft. ({price})"
        elif sort.basis == "sqft" and p.price_per_sqft is None and p.coverage_sqft_per_unit and p.price is not None:
            per = round(p.price / p.coverage_sqft_per_unit, 2)
            price = f"${per:,.2f} per sq. ft. ({price} / {number(p.coverage_sqft_per_unit)} sq. ft.)"
        lines.append(f"{i}. {_label(p)}: {price}. {p.url}")
    return "\n".join(lines)


def companion_text(result: results.CompanionResult) -> str:
    subject = f"{one_line(result.anchor)} (SKU {result.anchor_sku})" if result.anchor_sku else one_line(result.anchor)
    lines = [TOOL_NOTICE, f"For {subject}:", *result.notes]
    for i, c in enumerate(result.companions, 1):
        lines.append(f"{i}. {_label(c.product)}: {price_text(c.product)}; {c.reason}. {c.product.url}")
    if not result.companions:
        lines.append("The catalog has no product that goes with it by these rules.")
    return "\n".join(lines)


def comparison_text(result: results.ComparisonResult) -> str:
    lines = [TOOL_NOTICE, "Side by side: " + " vs ".join(_label(p) for p in result.products) + "."]
    for row in result.rows:
        lines.append(f"- {row.fact}: " + " | ".join(v or "not stated" for v in row.values))
    return "\n".join(lines)


def _listing(head: str, products: list[results.ProductFacts]) -> str:
    return "\n".join([head, *(f"{i}. {_label(p)}: {price_text(p)}. {p.url}" for i, p in enumerate(products, 1))])
