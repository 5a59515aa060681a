"""Plausibility bounds of a product record, per kind of product, each with its reason.

A page can state a value faithfully and still be wrong: a laminate "96 x 7886 in" at $10,148.22
per box, 10,006.3 lb and 5,099.61 sq. ft. per box was read exactly as its page said. A record
with a value outside these bounds is held as suspect (store/products.py, like one that lost its
fields): the last good record stays current and the check `no_suspect_records` names the reason.
The extractor's own limits (record.py: MAX_PRICE, MAX_COVERAGE_SQFT, ...) are the wider "is this a
number at all" bounds; these are "could a tile shop sell this".

The kind comes from the record's category (its breadcrumb), else its material, else its name;
a record none of them places is judged by the widest bounds (OTHER).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TypeGuard


@dataclass(frozen=True)
class Bound:
    low: float
    high: float
    reason: str  # why a real product stays inside

    def judge(self, what: str, value: float, unit: str, kind: str) -> str | None:
        if self.low <= value <= self.high:
            return None
        side = f"under {self.low:,g}" if value < self.low else f"over {self.high:,g}"
        return f"implausible {what}: {value:,.6g} {unit} is {side} for {kind} ({self.reason})"


@dataclass(frozen=True)
class Bounds:
    longest_side_in: Bound
    box_weight_lbs: Bound
    coverage_sqft: Bound
    price_per_sqft: Bound
    price_per_unit: Bound  # the selling unit's price: a box, a piece, a bag


_SIDE_SURFACE = Bound(0.25, 130, "the largest porcelain panels are 63 x 126 in; the smallest mosaic chips 1/4 in")
_SIDE_TRIM = Bound(0.25, 130, "the longest trims and stair noses are 94 to 96 in")
_SIDE_TOOL = Bound(
    1 / 32, 120, "tile spacers are as small as 1/16 in; the largest boards and shower bases are 4 x 8 ft"
)
_WEIGHT_BOX = Bound(0.1, 200, "a box is carried by one or two people: two 48 x 48 in slabs weigh about 150 lb")
_COVERAGE_BOX = Bound(0.1, 100, "boxes cover 1 to about 40 sq. ft.; two of the largest panels cover 80")
_PER_SQFT = Bound(0.1, 250, "the dearest onyx and metal mosaics sell for about $100/sq. ft.")

SURFACE = Bounds(
    _SIDE_SURFACE,
    _WEIGHT_BOX,
    _COVERAGE_BOX,
    _PER_SQFT,
    Bound(0.5, 5_000, "a box of the dearest stone is a few thousand dollars; a panel kit under $3,000"),
)
TRIM = Bounds(
    _SIDE_TRIM,
    _WEIGHT_BOX,
    _COVERAGE_BOX,
    _PER_SQFT,
    Bound(0.5, 1_000, "a piece of trim, a threshold or a stair nose costs $1 to a few hundred"),
)
GROUT = Bounds(
    _SIDE_TOOL,
    Bound(0.1, 100, "a bag of grout or mortar weighs at most 50 lb"),
    _COVERAGE_BOX,
    _PER_SQFT,
    Bound(0.5, 1_000, "a bag, a pail or a tube of grout or caulk costs $5 to about $200"),
)
SETTING = Bounds(
    _SIDE_TOOL,
    Bound(0.1, 100, "a bag of mortar or underlayment weighs at most 50 lb"),
    _COVERAGE_BOX,
    _PER_SQFT,
    Bound(0.5, 2_000, "a bag or a pail of mortar, a board or a membrane roll costs under $1,000"),
)
TOOL = Bounds(
    _SIDE_TOOL,
    _WEIGHT_BOX,
    _COVERAGE_BOX,
    _PER_SQFT,
    Bound(0.5, 5_000, "tools, shelves, drains and heating kits cost $1 to a few thousand"),
)
OTHER = Bounds(
    _SIDE_SURFACE,
    _WEIGHT_BOX,
    _COVERAGE_BOX,
    _PER_SQFT,
    Bound(0.5, 5_000, "nothing the shop sells costs more than a few thousand dollars a unit"),
)
BOUNDS = {"surface": SURFACE, "trim": TRIM, "grout": GROUT, "setting": SETTING, "tool": TOOL, "other": OTHER}

# Words of a category, material or name -> kind; the first kind whose words match wins (trim
# before surface: "Laminate Trim" is trim; grout before tool: "Grout Float" is ... a tool, so tools
# that name grout are listed first).
_KIND_WORDS = (
    (
        "tool",
        (
            "tool",
            "accessor",
            "shel",
            "drain",
            "trowel",
            "float",
            "sponge",
            "spacer",
            "level",
            "sealer",
            "cleaner",
            "niche",
            "heating",
            "thermostat",
            "backer",
            "board",
            "membrane",
            "waterproof",
            "kit",
        ),
    ),
    (
        "trim",
        (
            "trim",
            "molding",
            "moulding",
            "bullnose",
            "pencil",
            "liner",
            "listello",
            "chair rail",
            "stair",
            "nose",
            "quarter round",
            "reducer",
            "threshold",
            "sill",
            "curb",
            "edge",
            "profile",
            "t-molding",
        ),
    ),
    ("grout", ("grout", "caulk", "silicone", "colorant")),
    (
        "setting",
        (
            "mortar",
            "thinset",
            "thin-set",
            "installation",
            "underlayment",
            "self-leveling",
            "adhesive",
            "patch",
            "primer",
            "leveler",
        ),
    ),
    (
        "surface",
        (
            "tile",
            "stone",
            "marble",
            "travertine",
            "slate",
            "limestone",
            "granite",
            "quartzite",
            "onyx",
            "mosaic",
            "porcelain",
            "ceramic",
            "glass",
            "vinyl",
            "laminate",
            "wood",
            "floor",
            "plank",
            "lvt",
            "spc",
            "zellige",
            "terrazzo",
        ),
    ),
)
# One alternation per kind: a search is `any(marker in words)` in one C pass, not ~80 Python `in`s
# per record (this runs on every record a crawl stores).
_KIND_PATTERNS = tuple((kind, re.compile("|".join(map(re.escape, markers)))) for kind, markers in _KIND_WORDS)
_SIZE_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)|([\u00bc\u00bd\u00be])")
_SIZE_UNIT = re.compile(r"(?<![a-z])(in|inch|inches|ft|feet|foot|mm|cm|m)\b\.?|[\"\u2033']")
_TO_INCHES = {
    "in": 1,
    "inch": 1,
    "inches": 1,
    '"': 1,
    "\u2033": 1,
    "ft": 12,
    "feet": 12,
    "foot": 12,
    "'": 12,
    "mm": 1 / 25.4,
    "cm": 1 / 2.54,
    "m": 1 / 0.0254,
}
_FRACTIONS = {"\u00bc": 0.25, "\u00bd": 0.5, "\u00be": 0.75}


def kind_of(record: dict) -> str:
    for text in (record.get("category"), record.get("material"), record.get("name")):
        if isinstance(text, str) and text and (kind := _kind_named(text)) is not None:
            return kind
    return "other"


@functools.lru_cache(maxsize=4096)  # categories and materials are a few dozen texts; each crawl batch reads them
def _kind_named(text: str) -> str | None:
    words = text.casefold()
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(words):
            return kind
    return None


@functools.lru_cache(maxsize=4096)  # a catalog states a few hundred distinct sizes; each is read once
def longest_side_inches(size: str) -> float | None:
    """The longest side a size text states, in inches: "12 x 24 in", "4 ft x 8 ft", "3/4 in", "600 x
    1200 mm"; None without a number. Each number takes the unit written after it, else the last
    unit of the text, else inches."""
    units = [
        (match.start(), _TO_INCHES[match.group(1) or match.group(0)]) for match in _SIZE_UNIT.finditer(size.lower())
    ]
    longest = None
    for match in _SIZE_NUMBER.finditer(size):
        if match.group(1):
            value = float(match.group(1)) / (float(match.group(2)) or 1)
        elif match.group(3):
            value = float(match.group(3))  # a float: a 5,000-digit number is inf, never an int() error
        else:
            value = _FRACTIONS[match.group(4)]
        factor = next((factor for at, factor in units if at >= match.end()), units[-1][1] if units else 1)
        value *= factor
        longest = value if longest is None else max(longest, value)
    return longest


def implausible(record: dict) -> list[str]:
    """Why the record cannot be true, one reason per value outside its kind's bounds (empty: plausible)."""
    kind = kind_of(record)
    bounds = BOUNDS[kind]
    named = f"{kind}" if kind != "other" else "a product of unknown kind"
    reasons = []
    size = record.get("size")
    if isinstance(size, str):
        side = longest_side_inches(size)
        if side is not None:
            reasons.append(bounds.longest_side_in.judge(f"size {size!r}", side, "in", named))
    checks = (
        ("box weight", "box_weight_lbs", "lb", bounds.box_weight_lbs),
        ("coverage", "coverage_sqft_per_box", "sq. ft. per box", bounds.coverage_sqft),
        ("price per sq. ft.", "price_per_sqft", "$/sq. ft.", bounds.price_per_sqft),
    )
    for what, field_name, unit, bound in checks:
        value = record.get(field_name)
        if _is_number(value):
            reasons.append(bound.judge(what, value, unit, named))
    price, price_unit = record.get("price"), record.get("price_unit")
    if _is_number(price) and price_unit != "sqft":  # a sq. ft. price is judged above
        reasons.append(bounds.price_per_unit.judge(f"price per {price_unit or 'unit'}", price, "$", named))
    return [reason for reason in reasons if reason]


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
