"""Task suites of the assistant: questions whose right answers are computed from the sample
catalog's own facts (never from an answer), scored on the structured answer.

- quantities: "How many boxes of SKU do I need for an L x W ft floor?" -> boxes and total
- cheapest: "cheapest 3 white porcelain floor tile" -> the order of the whole catalog's cheapest
- companions: grout for a tile -> grout products of the type its page recommends; trim -> trim
- setting: thinset for a tile -> setting materials, large-format mortar first for a side >= 15 in
- comparisons: "compare A and B" -> both products, their prices side by side

Each task also carries the tool call that answers it (`tool_call`), so the Claude-mode plumbing can be
scored through a Messages-API stand-in scripted to make that call.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
from collections.abc import Callable
from decimal import Decimal

from tileshop_pipelines.sample_catalog import Catalog, SampleProduct

PER_SUITE = 20
SUITES = ("quantities", "cheapest", "companions", "setting", "comparisons")
LARGE_FORMAT_MIN_SIDE_IN = 15.0


@dataclasses.dataclass(frozen=True)
class Task:
    suite: str
    question: str
    tool_call: dict  # {"name", "input"}: the call that answers it
    check: Callable[[dict], str | None]  # the answer -> None when right, else what is wrong


def _sku_counts(catalog: Catalog) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in catalog.products:
        counts[p.page_sku] = counts.get(p.page_sku, 0) + 1
    return counts


def _per_sqft(p: SampleProduct) -> float | None:
    if p.price_unit == "sqft":
        return p.price
    if p.price_per_sqft is not None:
        return p.price_per_sqft
    if p.price_unit == "box" and p.coverage_sqft_per_box:
        return round(p.price / p.coverage_sqft_per_box, 2)
    return None


def _parts(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _largest_side(size: str | None) -> float | None:
    if not size or not size.strip().endswith("in"):
        return None
    sides = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", size)]
    return max(sides) if sides else None


def quantity_tasks(catalog: Catalog, rng: random.Random, n: int) -> list[Task]:
    unique = _sku_counts(catalog)
    boxed = [
        p
        for p in catalog.products
        if p.price_unit == "box" and p.coverage_sqft_per_box and p.sku and unique[p.page_sku] == 1
    ]
    tasks = []
    for p in rng.sample(boxed, min(n, len(boxed))):
        length, width = rng.randint(4, 20), rng.randint(4, 20)
        assert p.coverage_sqft_per_box is not None  # boxed
        boxes = math.ceil(round(length * width * 1.10 / p.coverage_sqft_per_box, 6))
        total = float(boxes * Decimal(str(p.price)))

        def check(answer: dict, boxes=boxes, total=total) -> str | None:
            e = answer.get("estimate")
            if not e:
                return "no estimate"
            return (
                None
                if (e["units"], e["total"]) == (boxes, total)
                else f"{e['units']}, {e['total']} != {boxes}, {total}"
            )

        tasks.append(
            Task(
                "quantities",
                f"How many boxes of {p.page_sku} do I need for a {length} x {width} ft floor?",
                {
                    "name": "estimate_materials",
                    "input": {"sku": p.page_sku, "length": length, "width": width, "unit": "ft"},
                },
                check,
            )
        )
    return tasks


def cheapest_tasks(catalog: Catalog, rng: random.Random, n: int, k: int = 3) -> list[Task]:
    surfaces = [p for p in catalog.products if p.kind in ("tile", "stone")]
    combos: dict[tuple[str, str, str], list[SampleProduct]] = {}  # (color, material, application)
    for p in surfaces:
        if (material := p.specs.get("MaterialType")) is None:  # no task names it (keys need all three)
            continue
        for color in _parts(p.specs.get("Color")):
            for application in ("Floor", "Wall"):
                if application in _parts(p.specs.get("Applications")):
                    combos.setdefault((color, material, application), []).append(p)
    keys = sorted(
        key for key, products in combos.items() if sum(_per_sqft(p) is not None for p in products) >= k and all(key)
    )
    tasks = []
    for color, material, application in rng.sample(keys, min(n, len(keys))):
        ranked = sorted(
            (price, p.page_sku) for p in combos[(color, material, application)] if (price := _per_sqft(p)) is not None
        )
        want = [price for price, _ in ranked[:k]]
        direction = rng.choice(("cheapest", "most expensive"))
        if direction == "most expensive":
            want = [price for price, _ in sorted(ranked, key=lambda x: -x[0])[:k]]

        def check(answer: dict, want=want) -> str | None:
            got = [
                p.get("price_per_sqft")
                if p.get("price_per_sqft") is not None
                else round(p["price"] / p["coverage_sqft_per_unit"], 2)
                for p in answer.get("products", [])
            ]
            return None if got[: len(want)] == want and answer.get("sort") else f"{got} != {want}"

        sort = "price_asc" if direction == "cheapest" else "price_desc"
        tasks.append(
            Task(
                "cheapest",
                f"{direction} {k} {color.lower()} {material.lower()} {application.lower()} tile",
                {
                    "name": "search_products",
                    "input": {
                        "sort": sort,
                        "limit": k,
                        "filters": {
                            "color": color,
                            "material": material,
                            "application": application,
                            "product_type": "tile",
                        },
                    },
                },
                check,
            )
        )
    return tasks


def _products_of(answer: dict, kind: str) -> list[dict]:
    return [c for c in answer.get("companions", []) if c["kind"] == kind]


def companion_tasks(catalog: Catalog, rng: random.Random, n: int) -> list[Task]:
    unique = _sku_counts(catalog)
    by_sku = {p.page_sku: p for p in catalog.products}
    grout_types = {
        p.page_sku: p.specs.get("MaterialType", "").split(" ")[0]
        for p in catalog.products
        if p.kind == "grout" and "Grout" in p.specs.get("MaterialType", "")
    }
    tiles = [p for p in catalog.products if p.kind in ("tile", "stone") and p.sku and unique[p.page_sku] == 1]
    tasks = []
    for p in rng.sample(tiles, min(n, len(tiles))):
        kind = rng.choice(("grout", "trim"))
        recommended = p.specs.get("RecommendedGrout")
        available = recommended in grout_types.values()

        def check(answer: dict, kind=kind, recommended=recommended, available=available) -> str | None:
            items = _products_of(answer, kind)
            if kind == "grout":
                if not available:  # the catalog sells none of the recommended type: the answer must say so
                    said = f"no {(recommended or '').lower()} grout" in (answer.get("answer") or "").lower()
                    return None if said else f"did not say the catalog has no {recommended} grout"
                wrong = [c["product"]["sku"] for c in items if grout_types.get(c["product"]["sku"]) != recommended]
                return None if items and not wrong else f"grout not {recommended}: {wrong or 'none'}"
            wrong = [
                c["product"]["sku"]
                for c in items
                if by_sku.get(c["product"]["sku"]) is None or by_sku[c["product"]["sku"]].kind != "trim"
            ]
            return None if items and not wrong else f"not trim: {wrong or 'none'}"

        word = "grout" if kind == "grout" else "trim"
        tasks.append(
            Task(
                "companions",
                f"what {word} goes with {p.page_sku}?",
                {"name": "companion_products", "input": {"sku": p.page_sku, "kind": kind}},
                check,
            )
        )
    return tasks


def setting_tasks(catalog: Catalog, rng: random.Random, n: int) -> list[Task]:
    unique = _sku_counts(catalog)
    setting = {p.page_sku: p for p in catalog.products if p.kind == "setting"}
    large = {sku for sku, p in setting.items() if p.specs.get("MaterialType") == "Large Format Tile Mortar"}
    tiles = [p for p in catalog.products if p.kind in ("tile", "stone") and p.sku and unique[p.page_sku] == 1]
    tasks = []
    for p in rng.sample(tiles, min(n, len(tiles))):
        side = _largest_side(p.specs.get("ApproximateSize"))
        is_large = side is not None and side >= LARGE_FORMAT_MIN_SIDE_IN

        def check(answer: dict, is_large=is_large) -> str | None:
            items = _products_of(answer, "setting")
            if not items:
                return "no setting material"
            if any(c["product"]["sku"] not in setting for c in items):
                return "not a setting material"
            first_large = items[0]["product"]["sku"] in large
            return None if first_large == (is_large and bool(large)) else f"large-format first: {first_large}"

        tasks.append(
            Task(
                "setting",
                f"what thinset should I use for {p.page_sku}?",
                {"name": "companion_products", "input": {"sku": p.page_sku, "kind": "setting"}},
                check,
            )
        )
    return tasks


def comparison_tasks(catalog: Catalog, rng: random.Random, n: int) -> list[Task]:
    unique = _sku_counts(catalog)
    pool = [p for p in catalog.products if p.sku and unique[p.page_sku] == 1]
    tasks = []
    for _ in range(n):
        a, b = rng.sample(pool, 2)

        def check(answer: dict, a=a, b=b) -> str | None:
            got = [(p["sku"], p["price"]) for p in answer.get("products", [])]
            want = [(a.page_sku, a.price), (b.page_sku, b.price)]
            return None if got == want else f"{got} != {want}"

        tasks.append(
            Task(
                "comparisons",
                f"compare {a.page_sku} and {b.page_sku}",
                {"name": "compare_products", "input": {"skus": [a.page_sku, b.page_sku]}},
                check,
            )
        )
    return tasks


def build_tasks(catalog: Catalog, seed: int = 7, per_suite: int = PER_SUITE) -> list[Task]:
    rng = random.Random(f"tasks-{seed}")
    return [
        *quantity_tasks(catalog, rng, per_suite),
        *cheapest_tasks(catalog, rng, per_suite),
        *companion_tasks(catalog, rng, per_suite),
        *setting_tasks(catalog, rng, per_suite),
        *comparison_tasks(catalog, rng, per_suite),
    ]


def score_tasks(tasks: list[Task], answer: Callable[[Task], dict]) -> dict:
    """{suite: {"tasks", "right", "score", "failures": [first few]}} over `answer`'s answers."""
    report: dict[str, dict] = {}
    for task in tasks:
        row = report.setdefault(task.suite, {"tasks": 0, "right": 0, "failures": []})
        row["tasks"] += 1
        problem = task.check(answer(task))
        if problem is None:
            row["right"] += 1
        elif len(row["failures"]) < 3:
            row["failures"].append({"question": task.question, "problem": problem})
    for row in report.values():
        row["score"] = round(row["right"] / row["tasks"], 4)
    return report
