"""The product record's fields and the parsers of its values, shared by the page extractor
(catalog/extract.py) and the predecessor's import (legacy/product_data.py, legacy/product_values.py).

A parser returns None for a value it cannot read: nothing is guessed or derived.
"""

from __future__ import annotations

import re
from html import unescape
from itertools import chain

# Field order of a product record; the provenance dict follows the same names.
PRODUCT_FIELDS = (
    "sku",
    "url",
    "name",
    "brand",
    "category",
    "description",
    "price",
    "price_unit",
    "currency",
    "price_per_box",
    "price_per_sqft",
    "price_per_piece",
    "coverage_sqft_per_box",
    "box_quantity",
    "box_weight_lbs",
    "size",
    "thickness",
    "material",
    "color",
    "finish",
    "edge_type",
    "applications",
    "shade_variation",
    "country_of_origin",
    "directional_layout",
    "recommended_grout",
    "availability",
    "images",
    "documents",
    "breadcrumbs",
    "specifications",
)

# Record field -> specification key (without the "PDPInfo_" prefix), copied as stated.
TEXT_SPEC_FIELDS = {
    "size": "ApproximateSize",
    "thickness": "Thickness",
    "material": "MaterialType",
    "color": "Color",
    "finish": "Finish",
    "edge_type": "EdgeType",
    "shade_variation": "ShadeVariation",
    "country_of_origin": "CountryOfOrigin",
    "recommended_grout": "RecommendedGrout",
}

AMOUNT_PATTERN = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# "sq. ft.", "sqft", "square feet" (lowercased text), and the "/box" or "per box" that may follow.
SQFT_PATTERN = r"s(?:q\.?\s*ft\b\.?|quare\s+f(?:oo|ee)t\b)"
PER_BOX_PATTERN = r"\s*(?:/|\bper\b)\s*box\b"
# A price or a coverage past these is not a tile shop's: refused as invalid (the fuzz pass found
# 1e300 from JSON-LD, and 300-digit amounts in the visible text, stored as prices).
MAX_PRICE = 100_000.0
MAX_COVERAGE_SQFT = 10_000.0
# The same for the numbers of the specifications: past these a value is not a box's, and a
# 5,000-digit BoxQuantity made int() raise Python's integer-string limit (4,300 digits), which
# failed the whole parse. Refused as invalid, like a price; catalog/plausibility.py judges the rest.
MAX_BOX_QUANTITY = 100_000
MAX_BOX_WEIGHT_LBS = 100_000.0
_MAX_DIGITS = 15  # more digits than any bound here has: read no further

# A JSON-LD price given as text: "77.11", "$77.11", "1,077.11", "USD 77.11", "77.11 USD".
_PRICE_TEXT = re.compile(rf"(?:[A-Z]{{3}}\s*)?\$?\s*({AMOUNT_PATTERN})(?:\s*[A-Z]{{3}})?")
_BOX_QUANTITY = re.compile(r"(\d+)(?:\s*(?:pcs?|pieces?|tiles?|sheets?|planks?|ea|each|ct|count)\.?)?", re.IGNORECASE)
_BOX_WEIGHT_LBS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:lbs?\.?|pounds?)?", re.IGNORECASE)


def text_value(value) -> str | None:
    """A stated scalar as stripped text; None for missing, empty or structured values."""
    if type(value) is str:  # the common case first: this runs ~40 times per page
        return value.strip() or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def parse_price(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            amount = float(value)
        except OverflowError:  # a 400-digit integer
            return None
    elif isinstance(value, str):
        match = _PRICE_TEXT.fullmatch(value.strip())
        if not match:
            return None
        amount = float(match.group(1).replace(",", ""))
    else:
        return None
    return amount if 0 <= amount <= MAX_PRICE else None  # NaN compares false; inf is over


def parse_amount(text: str) -> float:
    return float(text.replace(",", ""))


def parse_box_quantity(value: str | None) -> int | None:
    """A count from 0 to MAX_BOX_QUANTITY; None for anything else (box_quantity_out_of_range says
    whether it was a number too large)."""
    match = _BOX_QUANTITY.fullmatch(value) if value else None
    if not match or len(match.group(1).lstrip("0")) > _MAX_DIGITS:
        return None
    count = int(match.group(1))
    return count if count <= MAX_BOX_QUANTITY else None


def parse_box_weight_lbs(value: str | None) -> float | None:
    """Pounds from 0 to MAX_BOX_WEIGHT_LBS; None for anything else."""
    match = _BOX_WEIGHT_LBS.fullmatch(value) if value else None
    if not match or len(match.group(1).split(".")[0].lstrip("0")) > _MAX_DIGITS:
        return None
    weight = float(match.group(1))
    return weight if weight <= MAX_BOX_WEIGHT_LBS else None


def box_quantity_out_of_range(value: str | None) -> bool:
    """The stated BoxQuantity is a count, but past MAX_BOX_QUANTITY."""
    return bool(value and _BOX_QUANTITY.fullmatch(value)) and parse_box_quantity(value) is None


def box_weight_out_of_range(value: str | None) -> bool:
    """The stated BoxWeight is a weight, but past MAX_BOX_WEIGHT_LBS."""
    return bool(value and _BOX_WEIGHT_LBS.fullmatch(value)) and parse_box_weight_lbs(value) is None


def parse_applications(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()] or None


_YES_NO = {"yes": True, "no": False, "true": True, "false": False}


def parse_yes_no(value: str | None) -> bool | None:
    return _YES_NO.get((value or "").strip().casefold())


def image_urls(image) -> list[str]:
    urls: list[str] = []
    for item in image if isinstance(image, list) else [image]:
        if isinstance(item, dict):
            item = item.get("url") or item.get("contentUrl")
        text = text_value(item)
        if text and text not in urls:
            urls.append(text)
    return urls


# --- description -----------------------------------------------------------------------------


# Tokens of the description's HTML (a JSON-LD string value, not the page): comments, script and
# style elements with their content, and tags (a quoted attribute value may hold ">"). A "<" that
# starts none of these is text.
_DESCRIPTION_TOKEN = re.compile(
    r"<!--.*?(?:-->|$)"
    r"|<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)"
    r"|</?([a-zA-Z][a-zA-Z0-9]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>",
    re.DOTALL | re.IGNORECASE,
)
_TAG_START = re.compile(r"<(?=[a-zA-Z/!?])")
# Tags that start a new line of text: paragraphs, list items, headings, line breaks, table rows.
_BLOCK_TAGS = frozenset("p div br li ul ol dl dt dd h1 h2 h3 h4 h5 h6 tr table section article blockquote hr".split())


# Marks where a block tag was, to join a description's blocks into one string: html.unescape never
# makes it (an invalid code point decodes to nothing) and no entity name holds it, so the joined
# blocks decode as each would alone. A description holding it is split block by block instead.
_BLOCK_SEPARATOR = "\x01"


class _Separators(dict):
    """tag name (None for a comment, script or style) -> _BLOCK_SEPARATOR for a block tag, else "";
    the names seen kept, a few hundred at most (a page's own tag names must not grow it forever)."""

    def __missing__(self, tag: str | None) -> str:
        separator = _BLOCK_SEPARATOR if tag and tag.lower() in _BLOCK_TAGS else ""
        if len(self) < 512:
            self[tag] = separator
        return separator


_SEPARATORS = _Separators()


def description_text(description) -> tuple[str | None, bool]:
    """Plain text of the HTML description: tags removed, entities decoded, whitespace collapsed,
    one line per paragraph or list item; and whether decoding the entities made tags, which are
    removed too (``&lt;img onerror=...&gt;`` must not become live markup in "plain text")."""
    text = text_value(description)
    if text is None:
        return None, False
    if "<" not in text and "&lt;" in text:  # markup escaped twice: decode once to get the tags
        text = unescape(text)
    # split() gives [text, script/style name, tag name, text, ...]: no match object per token.
    parts = _DESCRIPTION_TOKEN.split(text)
    if _BLOCK_SEPARATOR not in text:  # the common case, looped in C: blocks joined by the separator
        joined = parts[0] + "".join(
            chain.from_iterable(zip(map(_SEPARATORS.__getitem__, parts[2::3]), parts[3::3], strict=True))
        )
        decoded = unescape(joined) if "&" in joined else joined
        if "<" not in decoded:  # no tag to find in any block (each pattern starts with "<")
            collapsed = map(" ".join, map(str.split, decoded.split(_BLOCK_SEPARATOR)))  # collapse_whitespace
            return "\n".join(filter(None, collapsed)) or None, False
        blocks = joined.split(_BLOCK_SEPARATOR)
    else:
        blocks, current = [], [parts[0]]
        for tag, after in zip(parts[2::3], parts[3::3], strict=True):
            if _SEPARATORS[tag]:
                blocks.append("".join(current))
                current = [after]
            else:
                current.append(after)
        blocks.append("".join(current))
    lines, live_markup = [], False
    for block in blocks:
        line = unescape(block)
        if "<" not in line:
            lines.append(collapse_whitespace(line))
            continue
        for _ in range(3):  # entities can be escaped more than once; each pass decodes one level
            stripped = _DESCRIPTION_TOKEN.sub(" ", line)
            if stripped == line:
                break
            live_markup, line = True, unescape(stripped)
        if _TAG_START.search(line):  # an unclosed "<img ..." left after the passes: not markup any more
            live_markup, line = True, _TAG_START.sub("\u2039", line)
        lines.append(collapse_whitespace(line))
    return "\n".join(line for line in lines if line) or None, live_markup
