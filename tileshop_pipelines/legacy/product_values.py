"""Whether one value of a product_data row may be imported, and as what (legacy/product_data.py
assembles the record from them).

Scraper garbage is not imported: markup fragments, specification labels stored as values, page
prose. The specifications column is read by the page's own keys; a column contradicting them
gives way; prices are checked against the box price and coverage they may have been computed
from; images are kept where they are http(s) URLs. Every value not imported is counted by field
and reason in a ``Rejections``, every value repaired (decoded, re-capitalised) in its ``repaired``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from decimal import Decimal

from tileshop_pipelines.catalog.record import (
    AMOUNT_PATTERN,
    PER_BOX_PATTERN,
    SQFT_PATTERN,
    collapse_whitespace,
    image_urls,
    parse_amount,
    parse_price,
    text_value,
)

# The page's specification keys (PDPInfo_<Name>, docs/product-page.md) by their spellings in
# product_data: lowercase letters and digits only ("box quantity", "boxweight", "box_weight").
_SPEC_KEYS = {
    name.lower(): name
    for name in (
        "MaterialType",
        "EdgeType",
        "Color",
        "Finish",
        "Applications",
        "DirectionalLayout",
        "BoxQuantity",
        "BoxWeight",
        "Thickness",
        "ApproximateSize",
        "CountryOfOrigin",
        "RecommendedGrout",
        "ShadeVariation",
        "SurfaceAbrasion",
        "FrostResistance",
    )
}
_SPEC_KEYS.update(
    {
        "material": "MaterialType",
        "dimensions": "ApproximateSize",
        "surfaceabrasions": "SurfaceAbrasion",
        "colour": "Color",
    }
)
# A specification label stored as a value ("Material", "Piece Count", "Frost Resistance").
_LABELS = {re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower() for name in _SPEC_KEYS.values()} | {
    "material",
    "piece count",
    "installation guidelines",
    "number of faces",
    "product code",
    "coverage per box",
    "size",
    "dimensions",
    "box weight",
    "box quantity",
    "specifications",
    "n/a",
    "none",
    "null",
    "undefined",
}
# Markup the regexes cut out of the page ('/>', '_Detail:Asset_Grid_All_V2"}', '-care/installation/tools">').
_MARKUP = re.compile(r"[<>{}\\]|^[/_\-=]")
_NEEDS_NUMBER = {"size", "thickness", "ApproximateSize", "Thickness", "BoxQuantity", "BoxWeight"}
_COVERAGE = re.compile(rf"({AMOUNT_PATTERN})\s*(?:{SQFT_PATTERN}(?:{PER_BOX_PATTERN})?)?")
_TEXT_LIMIT = 200  # a spec value longer than this is page prose the regexes swept up


class Rejections:
    """Counts the values not imported (`counts[field][reason]`, by calling it) and, in
    `repaired`, the values imported after undoing a predecessor change."""

    def __init__(self, counts: dict[str, Counter], repaired: Counter):
        self.counts, self.repaired = counts, repaired

    def __call__(self, name: str, reason: str) -> None:
        self.counts[name][reason] += 1


def is_stated(value) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return False
    if isinstance(value, str):
        return value.strip() not in ("", "[]", "{}", "null")
    return True


def garbage(value: str, name: str) -> str | None:
    """Why a text value is scraper garbage, or None when it may be the page's value."""
    if _MARKUP.search(value):
        return "markup_fragment"
    if value.casefold().strip(" :.") in _LABELS:
        return "specification_label"
    if name in _NEEDS_NUMBER and not any(character.isdigit() for character in value):
        return "no_number"
    if len(value) > _TEXT_LIMIT and name != "name":
        return "too_long"
    return None


def clean_text(name: str, value, reject: Rejections) -> str | None:
    if not is_stated(value):
        return None
    text = text_value(value) if not isinstance(value, (dict, list)) else None
    if text is None:
        reject(name, "not_text")
        return None
    text = collapse_whitespace(text)
    reason = garbage(text, name)
    if reason:
        reject(name, reason)
        return None
    return text


def read_specifications(value, reject: Rejections) -> dict[str, str]:
    """The page's specification pairs among product_data.specifications, by the page's key names.
    A JSON string (double-encoded) is decoded; keys the page does not have and garbage values are
    not imported; one key stated twice with different values is not imported at all."""
    decoded, depth = value, 0
    while isinstance(decoded, str) and depth < 3:  # double-encoded, sometimes more than once
        try:
            decoded = json.loads(decoded)
        except ValueError:
            reject("specifications", "invalid_json")
            return {}
        depth += 1
    if decoded is None:
        return {}
    if not isinstance(decoded, dict):
        reject("specifications", "not_an_object")
        return {}
    if depth:
        reject.repaired["specifications_double_encoded_decoded"] += 1
    values: dict[str, set[str]] = defaultdict(set)
    for raw_key, raw_value in decoded.items():
        if not is_stated(raw_value):
            continue
        key = _SPEC_KEYS.get(re.sub(r"[^a-z0-9]", "", str(raw_key).lower()).removeprefix("pdpinfo"))
        if key is None:
            reject("specifications", "not_a_page_key")
            continue
        text = clean_text(f"specifications.{key}", raw_value, reject)
        if text is not None:
            values[key].add(text)
    specifications = {}
    for key, texts in values.items():
        if len(texts) > 1:
            reject(f"specifications.{key}", "conflicting_values")
        else:
            specifications[key] = texts.pop()
    return dict(sorted(specifications.items()))


def prefer_specification(name: str, from_specification, from_column, reject: Rejections):
    """The specification's value (the page's Key/Value pair) over the column the predecessor
    filled by its own rules; a column that contradicts it is not imported."""
    if from_specification is None:
        return from_column
    if from_column is not None and _comparable(from_column) != _comparable(from_specification):
        reject(name, "contradicts_specifications")
    return from_specification


def _comparable(value):
    return " ".join(value.casefold().split()) if isinstance(value, str) else value


def positive_int(name: str, value, reject: Rejections) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        reject(name, "not_a_positive_integer")
        return None
    return value


def parse_clean_text(name: str, value, parse, reject: Rejections):
    text = clean_text(name, value, reject)
    if text is None:
        return None
    parsed = parse(text)
    if parsed is None:
        reject(name, "unreadable")
    return parsed


def parse_coverage(text: str) -> float | None:
    match = _COVERAGE.fullmatch(text.lower())
    amount = parse_amount(match.group(1)) if match else None
    return amount if amount and amount > 0 else None


def _price(name: str, value, reject: Rejections) -> float | None:
    if value is None:
        return None
    price = parse_price(float(value) if isinstance(value, Decimal) else value)
    if price is None:
        reject(name, "not_a_price")
    return price


def add_prices(row: dict, record: dict, reject: Rejections) -> None:
    """price / price_unit from the box or piece price; the per-sq-ft price only when the row
    supports it as the page's (see `_unsupported_sqft_price`)."""
    box = _price("price_per_box", row.get("price_per_box"), reject)
    piece = _price("price_per_piece", row.get("price_per_piece"), reject)
    sqft = _price("price_per_sqft", row.get("price_per_sqft"), reject)
    if box is not None and piece is not None:
        if abs(box - piece) < 0.005:
            # Before 2025-07-08 per-piece products had the piece price copied into price_per_box.
            reject("price_per_box", "copy_of_piece_price")
            box = None
        else:
            reject("price_per_piece", "conflicts_with_box_price")
            piece = None
    if piece is not None:
        record.update(price=piece, price_unit="each", price_per_piece=piece)
    elif box is not None:
        record.update(price=box, price_unit="box", price_per_box=box)
    if sqft is not None:
        reason = _unsupported_sqft_price(sqft, box, record["coverage_sqft_per_box"])
        if reason:
            reject("price_per_sqft", reason)
        else:
            record["price_per_sqft"] = sqft


def _unsupported_sqft_price(sqft: float, box: float | None, coverage: float | None) -> str | None:
    """Why a stored per-sq-ft price cannot be stated as the page's, or None.

    The predecessor often computed it as box price / coverage (684287: stored 12.98 = 77.11 / 5.94,
    the page showed $12.99), and the extractor never derives it. A value equal to that quotient,
    rounded or truncated to the cent, cannot be told from a computed one; a value more than a cent
    away from it is not this product's price block. What remains is a shown, rounded figure.
    """
    if box is None or coverage is None:
        return "no_box_price_and_coverage_to_check"
    quotient = box / coverage
    if sqft in (round(quotient, 2), math.floor(quotient * 100) / 100):
        return "derived_from_box_price_and_coverage"
    if abs(quotient - sqft) > 0.011:
        return "inconsistent_with_box_price_and_coverage"
    return None


def read_images(images, primary, reject: Rejections) -> list[str]:
    """product_data.images (a JSON string) and primary_image, kept where they are http(s) URLs."""
    candidates = []
    if is_stated(primary):
        candidates.append(primary)
    if is_stated(images):
        decoded = images
        if isinstance(images, str):
            try:
                decoded = json.loads(images)
            except ValueError:
                decoded = None
                reject("images", "invalid_json")
        if decoded is not None:
            candidates.extend(decoded if isinstance(decoded, list) else [decoded])
    urls = []
    for url in image_urls(candidates):
        if re.match(r"https?://[^\s/]+/\S*$", url):
            if url not in urls:
                urls.append(url)
        else:
            reject("images", "not_a_url")
    return urls
