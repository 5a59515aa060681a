"""The offline assistant: a deterministic reading of the question picks a tool, and the answer is
sentences a shopper can act on, written from the tool's typed result.

- a quantity ("how many boxes", "how much ... need") with an area or a room's size: estimate_materials
- cheapest / most expensive: search_products sorted by price over the whole matching catalog
- a setting material, grout, trim or underlayment "for" / "that goes with" something: companion_products
- compare / "vs": compare_products
- a question the documents answer (retrieval found passages for it): the passages quoted
  (answer.passage_answer), with their document, page and products, then the closest products; after
  a companion answer, the best passage too
- otherwise the retrieved products (answer.offline_answer)

The product a quantity or a companion question is about is the SKU it names, else a named product
(found by the words after "for" / "with" in the products' names), else, for a companion question
that only describes a tile ("large format porcelain"), those stated facts. Only structured fields
are written (names on one line), never product descriptions.
"""

from __future__ import annotations

import dataclasses
import re

from tileshop_pipelines.assistant import tools
from tileshop_pipelines.assistant.answer import (
    PASSAGES_QUOTED,
    offline_answer,
    one_line,
    passage_answer,
    passage_lines,
)
from tileshop_pipelines.assistant.filters import ParsedQuestion, Vocabulary, parse_question
from tileshop_pipelines.assistant.retrieval import Retrieval, embed_question, load_vocabulary, retrieve
from tileshop_pipelines.assistant.tool_inputs import MAX_COMPARE, MAX_LIMIT, MAX_TEXT
from tileshop_pipelines.assistant.turns import TOOL_NOTICE, Turn, turn_from_outcome
from tileshop_pipelines.store.product_lookup import products_by_key, products_of_type
from tileshop_pipelines.store.search import PRODUCT_TYPES, fulltext_search

_LENGTH = r"(ft|feet|foot|'|m|meters?|metres?|in|inch(?:es)?|\")"
_DIMS = re.compile(rf"(\d+(?:\.\d+)?)\s*{_LENGTH}?\s*(?:x|by|×)\s*(\d+(?:\.\d+)?)\s*{_LENGTH}?", re.IGNORECASE)
_AREA = re.compile(
    r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(sq\.?\s*(?:ft|feet|foot|m|in)\b\.?|square\s+(?:feet|foot|ft|meters?|metres?"
    r"|m|inch(?:es)?|in)\b|sqft\b|sqm\b|sf\b|ft2\b|m2\b|ft²|m²)",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\b(how\s+(?:many|much)|enough|quantity|estimate|calculate|boxes\s+(?:do|for|of|to))\b", re.IGNORECASE
)
_ROOM_WORDS = re.compile(
    r"\b(room|floor|wall|bath|bathroom|kitchen|shower|backsplash|hall|hallway|area|space|"
    r"foyer|entry|laundry|patio|deck|basement|bedroom|closet)\b",
    re.IGNORECASE,
)
_JOINT = re.compile(
    r"(\d+/\d+|\d*\.\d+)\s*(?:-\s*)?(?:in(?:ch(?:es)?)?\b\.?|\")?\s*(?:wide\s+)?(?:grout\s+)?"
    r"(?:joints?|grout\s+lines?|spacing|gaps?)\b",
    re.IGNORECASE,
)
_NOTCH = re.compile(
    r"(\d+/\d+(?:\s*(?:in(?:ch)?\b\.?|\")?\s*x\s*\d+/\d+)?)\s*(?:in(?:ch(?:es)?)?\b\.?|\")?\s*"
    r"(square|u|v|loop)?[-\s]*(?:notch(?:ed)?|trowel)",
    re.IGNORECASE,
)
_HOW_OR_WHEN = re.compile(r"\s*(how|when)\b", re.IGNORECASE)
_WASTE = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*(?:waste|extra|overage|more|for\s+(?:cuts|waste))", re.IGNORECASE)
_NO_WASTE = re.compile(r"\b(no|zero|without)\s+(waste|extra|overage)\b", re.IGNORECASE)
_CHEAP = re.compile(
    r"\b(cheapest|least\s+expensive|lowest[-\s]+pric(?:e|ed)|most\s+affordable|lowest\s+cost)\b", re.IGNORECASE
)
_DEAR = re.compile(r"\b(most\s+expensive|priciest|highest[-\s]+pric(?:e|ed)|most\s+costly)\b", re.IGNORECASE)
_TOP_K = re.compile(
    r"\b(?:the\s+)?(\d{1,2})\s+(?:cheapest|least|most|priciest|lowest|highest)|"
    r"\b(?:cheapest|priciest|most\s+expensive|least\s+expensive)\s+(\d{1,2})\b",
    re.IGNORECASE,
)
_COMPARE = re.compile(
    r"\b(compare|comparison|vs\.?|versus|difference\s+between|differences\s+between)\b", re.IGNORECASE
)
_COMPARE_SIDES = re.compile(r"\s+(?:vs\.?|versus|and|or|with|to)\s+", re.IGNORECASE)
_DESCRIBING = {
    "tile",
    "tiles",
    "a",
    "an",
    "the",
    "my",
    "our",
    "for",
    "floor",
    "wall",
    "floors",
    "walls",
    "large",
    "format",
    "large-format",
    "lft",
    "big",
    "some",
    "new",
    "in",
    "x",
    "shower",
    "bathroom",
    "kitchen",
    "backsplash",
    "mosaic",
    "mosaics",
    "plank",
    "planks",
}
_WORDS = re.compile(r"[a-z0-9-]+")
UNIT_NAMES = {
    "ft": "ft",
    "feet": "ft",
    "foot": "ft",
    "'": "ft",
    "m": "m",
    "meter": "m",
    "meters": "m",
    "metre": "m",
    "metres": "m",
    "in": "in",
    "inch": "in",
    "inches": "in",
    '"': "in",
}


@dataclasses.dataclass(frozen=True)
class Plan:
    """The tool a question calls and its input; `anchor` is a named product to look up first."""

    tool: str
    input: dict
    anchor: str | None = None


def _unit(raw: str | None) -> str | None:
    return UNIT_NAMES.get(raw.lower()) if raw else None


def _area_input(text: str) -> dict | None:
    """{length, width, unit} or {area, unit} read from the question, if it states a room."""
    if m := _AREA.search(text):
        unit_text = m.group(2).lower()
        unit = (
            "m"
            if re.search(r"\bm\b|meter|metre|sqm|m2|m²", unit_text)
            else ("in" if re.search(r"\bin\b|inch", unit_text) else "ft")
        )
        return {"area": float(m.group(1).replace(",", "")), "unit": unit}
    for m in _DIMS.finditer(text):
        first, second = _unit(m.group(2)), _unit(m.group(4))
        stated = second or first
        after = text[m.end() : m.end() + 40]
        if stated in ("ft", "m") or (stated is None and _ROOM_WORDS.search(after)):
            return {"length": float(m.group(1)), "width": float(m.group(3)), "unit": stated or "ft"}
    return None


def _job_input(text: str, area: dict) -> dict:
    """The tile size, grout joint and trowel notch a quantity question states ("60 sq ft of 4 x 12
    subway with 1/8 in joints"): what a grout's or a mortar's data sheet coverage depends on."""
    job = {}
    for m in _DIMS.finditer(text):
        first, second = _unit(m.group(2)), _unit(m.group(4))
        room = (float(m.group(1)), float(m.group(3))) == (area.get("length"), area.get("width"))
        if not room and (second or first) in (None, "in"):
            job["tile_size"] = f"{m.group(1)} x {m.group(3)}"
            break
    if joint := _JOINT.search(text):
        job["joint_width"] = joint.group(1)
    if notch := _NOTCH.search(text):
        job["trowel_notch"] = " ".join(x for x in (notch.group(1), notch.group(2)) if x)
    return job


def _top_k(text: str, default: int = 5) -> int:
    m = _TOP_K.search(text)
    value = int(m.group(1) or m.group(2)) if m else default
    return min(max(value, 1), MAX_LIMIT)


def _described(purpose: str, vocabulary: Vocabulary) -> dict | None:
    """Companion input for a tile described only in the catalog's own words ("large format
    porcelain", "glass tile"), or None when the purpose names a product."""
    text = purpose.lower()
    material = vocabulary.finders["materials"].find(text)
    known = {w for value in (material,) if value for w in value.lower().split()}
    for finder in ("colors", "finishes", "applications"):
        found = vocabulary.finders[finder].find(text)
        known |= set((found or "").lower().split())
    size = _DIMS.search(text)
    leftover = [
        w for w in _WORDS.findall(_DIMS.sub(" ", text)) if w not in _DESCRIBING and w not in known and not w.isdigit()
    ]
    if leftover:
        return None
    large = bool(re.search(r"large[-\s]?format|\blft\b|\bbig\b", text))
    if not (material or large or size):
        return None
    return {
        "tile_material": material,
        "large_format": large,
        "tile_size": f"{size.group(1)} x {size.group(3)} in" if size else None,
    }


def plan(question: str, parsed: ParsedQuestion, vocabulary: Vocabulary) -> Plan | None:
    """The tool the question asks for, or None for a plain search."""
    text = question.strip()
    kind = parsed.filters.product_type
    if _QUANTITY.search(text) and (area := _area_input(text)):
        waste = None
        if m := _WASTE.search(text):
            waste = float(m.group(1))
        elif _NO_WASTE.search(text):
            waste = 0.0
        data = {**area, **({"waste_pct": waste} if waste is not None else {}), **_job_input(text, area)}
        if parsed.skus:
            return Plan("estimate_materials", {"sku": parsed.skus[0], **data})
        return Plan("estimate_materials", data, anchor=kind if kind in ("grout", "setting") else "area")
    if _CHEAP.search(text) or _DEAR.search(text):
        return Plan(
            "search_products",
            {
                "query": text[:MAX_TEXT],
                "limit": _top_k(text),
                "sort": "price_desc" if _DEAR.search(text) else "price_asc",
            },
        )
    if kind in ("grout", "trim", "setting", "underlayment") and (parsed.purpose or parsed.skus):
        if parsed.skus:
            return Plan("companion_products", {"sku": parsed.skus[0], "kind": kind})
        described = _described(parsed.purpose, vocabulary) if parsed.purpose else None
        if described is not None:
            return Plan("companion_products", {**{k: v for k, v in described.items() if v}, "kind": kind})
        return Plan("companion_products", {"kind": kind}, anchor=parsed.purpose)
    if m := _COMPARE.search(text):
        if len(parsed.skus) >= 2:
            return Plan("compare_products", {"skus": list(parsed.skus[:MAX_COMPARE])})
        rest = re.sub(r"^(?:the\s+)?", "", text[m.end() :].strip(" ?.!:"), flags=re.IGNORECASE)
        sides = [s for s in _COMPARE_SIDES.split(rest) if s.strip()]
        if len(sides) >= 2:
            return Plan("compare_products", {"skus": []}, anchor="|".join(sides[:MAX_COMPARE]))
    return None


def find_named(conn, words: str, exclude_type: str | None = None) -> dict | None:
    """The product whose name best matches `words` (full-text search over names and SKUs), skipping
    products of the type being asked for (the trim is not what the trim goes with)."""
    from tileshop_pipelines.store.search import PRODUCT_TYPES

    excluded = set(PRODUCT_TYPES[exclude_type][0]) if exclude_type else set()
    keys = list(dict.fromkeys(row["product_key"] for row in fulltext_search(conn, words[:MAX_TEXT], 20)))
    products = products_by_key(conn, keys)
    for key in keys:
        product = products.get(key)
        if product and product["record"].get("category") not in excluded:
            return product
    return None


def _resolve(ctx: tools.ToolContext, step: Plan, found: Retrieval | None) -> tuple[dict, str | None]:
    """The plan's input with its anchor looked up; or an explanation of what could not be found."""
    if step.anchor is None:
        return step.input, None
    if step.tool == "estimate_materials" and step.anchor in ("grout", "setting"):
        return _material_with_coverage(ctx, step, found)
    if step.tool == "estimate_materials":
        for hit in found.hits if found else []:
            if hit.sku and (hit.record.get("coverage_sqft_per_box") or hit.price_unit == "sqft"):
                return {"sku": hit.sku, **step.input}, None
        return step.input, "Which product? Name it or give its SKU, and I will work out the quantity."
    if step.tool == "compare_products":
        skus = []
        for side in step.anchor.split("|"):
            product = find_named(ctx.conn, side)
            if product and product["sku"] and product["sku"] not in skus:
                skus.append(product["sku"])
        if len(skus) < 2:
            return step.input, "I could not find two products to compare; give their SKUs."
        return {"skus": skus}, None
    product = find_named(ctx.conn, step.anchor, exclude_type=step.input.get("kind"))
    if product is None or not product["sku"]:
        return step.input, f"No product in the catalog matches {one_line(step.anchor, 80)!r}."
    return {"sku": product["sku"], **step.input}, None


def _material_with_coverage(ctx: tools.ToolContext, step: Plan, found: Retrieval | None) -> tuple[dict, str | None]:
    """The grout or mortar a quantity question that names none is answered for: the first of the
    retrieved products, then of the catalog's products of that type (by SKU), whose data sheet
    states coverage for the job; else the first one's reason why not."""
    assert step.anchor is not None  # a quantity plan's: grout or setting
    categories = set(PRODUCT_TYPES[step.anchor][0])
    retrieved = [h.sku for h in (found.hits if found else []) if h.record.get("category") in categories]
    problem = None
    for sku in dict.fromkeys([*retrieved, *(p["sku"] for p in products_of_type(ctx.conn, step.anchor))]):
        if not sku:
            continue
        outcome = tools.run_tool(ctx, "estimate_materials", {"sku": sku, **step.input})
        if outcome.ok:
            return {"sku": sku, **step.input}, None
        problem = problem or f"For SKU {sku}: {outcome.error}."
    return step.input, problem or f"The catalog has no {step.anchor} product."


def offline_turn(ctx: tools.ToolContext, question: str, found: Retrieval) -> Turn:
    """The offline answer to a question whose products `found` were retrieved already."""
    vocabulary = ctx.vocabulary
    parsed = found.parsed if vocabulary is None else parse_question(question, vocabulary)
    step = plan(question, parsed, vocabulary) if vocabulary is not None else None
    search_turn = Turn(
        text=offline_answer(found.hits, found.filters, found.relaxed), products=[hit.card() for hit in found.hits]
    )
    if step is not None and step.tool == "companion_products" and found.passages and _HOW_OR_WHEN.match(question):
        step = None  # "how long before I grout tile set with X" asks how, not which grout
    if step is None:
        if found.passages:  # retrieval found them because the documents answer the question
            search_turn.text = passage_answer(question, found.passages, found.hits)
            search_turn.passages = [p.public(quoted=True) for p in found.passages[:PASSAGES_QUOTED]]
        return search_turn
    data, problem = _resolve(ctx, step, found)
    if problem:
        search_turn.text = f"{TOOL_NOTICE}\n{problem}\n" + search_turn.text.split("\n", 1)[1]
        return search_turn
    outcome = tools.run_tool(ctx, step.tool, data)
    turn = turn_from_outcome(outcome)
    if turn is None:  # the tool refused: say why, then the closest products
        search_turn.text = (
            f"{TOOL_NOTICE}\nI could not answer that exactly: {outcome.error}.\n" + search_turn.text.split("\n", 1)[1]
        )
        search_turn.tool_calls = [outcome.call()]
        return search_turn
    if found.passages and step.tool == "companion_products":  # both: what goes with it, and how it goes
        # after a blank line: not a line of the companions' list, and a list of its own
        turn.text = "\n".join(
            [turn.text, "", "From the store's documents:", *passage_lines(found.passages[0], question, 1)]
        )
        turn.passages = [found.passages[0].public(quoted=True)]
    return turn


def answer_question(conn, question: str, limit: int = 5) -> dict:
    """`tileshop ask`: retrieval in this process, then the offline answer (a tool when the question
    asks for a quantity, a price order, a companion or a comparison)."""
    question = question.strip()
    if not question:
        raise ValueError("the question is empty")
    vocabulary = load_vocabulary(conn)
    found = retrieve(conn, question, embed_question(question), limit=limit, vocabulary=vocabulary, embed=embed_question)
    turn = offline_turn(tools.ToolContext(conn, embed=embed_question, vocabulary=vocabulary), question, found)
    return {
        "answer": turn.text,
        "mode": "offline",
        "products": turn.products,
        "passages": turn.passages,
        "estimate": turn.estimate,
        "sort": turn.sort,
        "companions": turn.companions,
        "tool_calls": turn.tool_calls,
    }
