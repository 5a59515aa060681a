"""The predecessor's ``product_data`` rows -> legacy versions of our product records.

Each value passes the extractor's own parsers (catalog/record.py) plus the checks its data
needs (PRODUCT_DATA.md lists the traps): scraper garbage (markup fragments, specification labels
stored as values), invented image variants, guessed document URLs and the predecessor's own
labels are not imported. Every value not imported is counted by field and reason. Provenance of
every stated field is ``legacy``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from tileshop_pipelines.catalog.page import HOME_PAGE_TITLE
from tileshop_pipelines.catalog.record import (
    AMOUNT_PATTERN,
    PER_BOX_PATTERN,
    PRODUCT_FIELDS,
    SQFT_PATTERN,
    TEXT_SPEC_FIELDS,
    collapse_whitespace,
    description_text,
    image_urls,
    parse_amount,
    parse_applications,
    parse_box_quantity,
    parse_box_weight_lbs,
    parse_price,
    parse_yes_no,
    text_value,
)
from tileshop_pipelines.catalog.urls import classify_url

PROVENANCE = "legacy"
TITLE_SUFFIX = " - The Tile Shop"

# The predecessor's columns this import reads (PRODUCT_DATA.md).
COLUMNS = (
    "id",
    "url",
    "sku",
    "title",
    "price_per_box",
    "price_per_sqft",
    "price_per_piece",
    "coverage",
    "finish",
    "color",
    "size_shape",
    "description",
    "specifications",
    "resources",
    "raw_html",
    "raw_markdown",
    "images",
    "primary_image",
    "image_variants",
    "collection_links",
    "color_variations",
    "color_images",
    "related_products",
    "rag_keywords",
    "typical_use_cases",
    "application_areas",
    "brand",
    "thickness",
    "box_weight",
    "recommended_grout",
    "box_quantity",
    "number_of_faces",
    "edge_type",
    "country_of_origin",
    "material_type",
    "shade_variation",
    "directional_layout",
    "category",
    "subcategory",
    "product_type",
    "product_category",
    "installation_complexity",
    "scraped_at",
    "updated_at",
)
REQUIRED_COLUMNS = ("id", "url", "scraped_at")

# Columns that are never facts of the page, with the reason they are not imported.
_NOT_IMPORTED = {
    "image_variants": "invented_urls",
    "resources": "guessed_document_urls",
    "collection_links": "predecessor_label",
    "color_variations": "predecessor_label",
    "color_images": "predecessor_label",
    "related_products": "predecessor_label",
    "rag_keywords": "predecessor_label",
    "typical_use_cases": "predecessor_label",
    "application_areas": "predecessor_label",
    "category": "predecessor_label",
    "subcategory": "predecessor_label",
    "product_type": "predecessor_label",
    "product_category": "predecessor_label",
    "installation_complexity": "predecessor_label",
    "number_of_faces": "no_record_field",
    "raw_html": "no_record_field",
    "raw_markdown": "no_record_field",
}

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
# Record field <- product_data column, used when the specifications do not state the field.
_TEXT_COLUMNS = {
    "size": "size_shape",
    "thickness": "thickness",
    "material": "material_type",
    "color": "color",
    "finish": "finish",
    "edge_type": "edge_type",
    "shade_variation": "shade_variation",
    "country_of_origin": "country_of_origin",
    "recommended_grout": "recommended_grout",
}
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
_SKU = re.compile(r"\d{5,}[A-Za-z]*")
_TEXT_LIMIT = 200  # a spec value longer than this is page prose the regexes swept up


class LegacyInputError(ValueError):
    """The predecessor's database cannot be read as product_data: nothing is imported."""


@dataclass(frozen=True)
class LegacyVersion:
    """One product_data row as a version of our product record."""

    legacy_id: int
    product_key: str
    sku: str | None
    url: str
    name: str | None
    price: float | None
    price_unit: str | None
    record: dict
    valid_from: dt.datetime


@dataclass
class MappedRows:
    rows_read: int = 0
    versions: list[LegacyVersion] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    rejected: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    repaired: Counter = field(default_factory=Counter)  # values imported after undoing a predecessor change

    def summary(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_mapped": len(self.versions),
            "repaired": dict(sorted(self.repaired.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "rejected": {name: dict(sorted(reasons.items())) for name, reasons in sorted(self.rejected.items())},
        }


def map_rows(rows) -> MappedRows:
    """Map every row; of several rows for one product key (URLs that differ only in spelling),
    the most recently scraped is the legacy version and the others are skipped as superseded."""
    result = MappedRows()
    latest: dict[str, LegacyVersion] = {}
    for row in rows:
        result.rows_read += 1
        version, reason = map_row(row, result.rejected, result.repaired)
        if version is None:
            result.skipped[reason] += 1
            continue
        previous = latest.get(version.product_key)
        if previous is not None:
            result.skipped["superseded_by_a_later_row"] += 1
            if (version.valid_from, version.legacy_id) < (previous.valid_from, previous.legacy_id):
                continue
        latest[version.product_key] = version
    result.versions = sorted(latest.values(), key=lambda v: v.product_key)
    return result


def map_row(
    row: dict, rejected: dict[str, Counter], repaired: Counter | None = None
) -> tuple[LegacyVersion | None, str | None]:
    """(the legacy version, None) or (None, why the row is skipped). Values not imported are
    counted in `rejected[field][reason]`, values repaired (decoded, re-capitalised) in `repaired`."""
    try:
        info = classify_url(str(row.get("url") or ""))
    except ValueError:
        return None, "invalid_url"
    if info.kind != "product" or info.product_key is None:  # a product URL always has its key
        return None, "not_a_product_url"
    title = text_value(row.get("title"))
    if title and title.casefold().startswith(HOME_PAGE_TITLE.casefold()):
        return None, "blocked_home_page"
    valid_from = _timestamp(row.get("scraped_at")) or _timestamp(row.get("updated_at"))
    if valid_from is None:
        return None, "no_scrape_time"

    reject = _Rejections(rejected, Counter() if repaired is None else repaired)
    record: dict = dict.fromkeys(PRODUCT_FIELDS)
    record.update(url=info.url, sku=_sku(info.sku, row.get("sku"), reject))
    record["name"] = _name(title, reject)
    record["brand"] = _clean_text("brand", row.get("brand"), reject)
    record["description"], live_markup = description_text(row.get("description"))
    if live_markup:  # tags that only appeared after entity decoding: removed, as the extractor does
        reject("description", "markup_removed")

    specifications = _specifications(row.get("specifications"), reject)
    record["specifications"] = specifications
    for name, key in TEXT_SPEC_FIELDS.items():
        column = _TEXT_COLUMNS[name]
        stated = _clean_text(column, row.get(column), reject)
        if name == "material" and stated and stated == stated.lower():
            stated = stated.title()  # the predecessor lowercased it ("porcelain"); the page writes "Porcelain"
            reject.repaired["material_type_recapitalised"] += 1
        record[name] = _prefer_specification(column, specifications.get(key), stated, reject)
    record["box_quantity"] = _prefer_specification(
        "box_quantity",
        parse_box_quantity(specifications.get("BoxQuantity")),
        _positive_int("box_quantity", row.get("box_quantity"), reject),
        reject,
    )
    record["box_weight_lbs"] = _prefer_specification(
        "box_weight",
        parse_box_weight_lbs(specifications.get("BoxWeight")),
        _parsed("box_weight", row.get("box_weight"), parse_box_weight_lbs, reject),
        reject,
    )
    record["directional_layout"] = _prefer_specification(
        "directional_layout",
        parse_yes_no(specifications.get("DirectionalLayout")),
        row.get("directional_layout") if isinstance(row.get("directional_layout"), bool) else None,
        reject,
    )
    record["applications"] = parse_applications(specifications.get("Applications"))
    record["coverage_sqft_per_box"] = _parsed("coverage", row.get("coverage"), _coverage, reject)
    _prices(row, record, reject)
    record["images"] = _images(row.get("images"), row.get("primary_image"), reject)
    record["documents"] = []
    record["breadcrumbs"] = []
    for column, reason in _NOT_IMPORTED.items():
        if _stated(row.get(column)):
            reject(column, reason)

    if not any(_stated(record[name]) for name in PRODUCT_FIELDS if name not in ("url", "sku")):
        return None, "nothing_stated"
    record["provenance"] = {name: PROVENANCE for name in PRODUCT_FIELDS if _stated(record[name])}
    return LegacyVersion(
        legacy_id=int(row["id"]),
        product_key=info.product_key,
        sku=record["sku"],
        url=info.url,
        name=record["name"],
        price=record["price"],
        price_unit=record["price_unit"],
        record=record,
        valid_from=valid_from,
    ), None


class _Rejections:
    def __init__(self, counts: dict[str, Counter], repaired: Counter):
        self.counts, self.repaired = counts, repaired

    def __call__(self, name: str, reason: str) -> None:
        self.counts[name][reason] += 1


def _stated(value) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return False
    if isinstance(value, str):
        return value.strip() not in ("", "[]", "{}", "null")
    return True


def _timestamp(value) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # the predecessor wrote naive times


def _sku(url_sku: str | None, stored, reject: _Rejections) -> str | None:
    """The URL's SKU (a string, leading zeros and suffix as written); the stored one lost them
    when JSON-LD gave a number, so it only stands in when the URL has none."""
    stored_text = text_value(stored)
    if url_sku is None:
        if stored_text and _SKU.fullmatch(stored_text):
            return stored_text
        if stored_text:
            reject("sku", "not_a_sku")
        return None
    if stored_text and stored_text != url_sku:
        if stored_text.lstrip("0") == url_sku.lstrip("0"):
            reject("sku", "lost_leading_zeros")
        elif url_sku.lower().startswith(stored_text.lower()):
            reject("sku", "lost_suffix")
        else:
            reject("sku", "disagrees_with_url")
    return url_sku


def _name(title: str | None, reject: _Rejections) -> str | None:
    if title is None:
        return None
    name = title.removesuffix(TITLE_SUFFIX).strip()
    reason = _garbage(name, "name")
    if reason:
        reject("title", reason)
        return None
    return name


def _garbage(value: str, name: str) -> str | None:
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


def _clean_text(name: str, value, reject: _Rejections) -> str | None:
    if not _stated(value):
        return None
    text = text_value(value) if not isinstance(value, (dict, list)) else None
    if text is None:
        reject(name, "not_text")
        return None
    text = collapse_whitespace(text)
    reason = _garbage(text, name)
    if reason:
        reject(name, reason)
        return None
    return text


def _specifications(value, reject: _Rejections) -> dict[str, str]:
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
        if not _stated(raw_value):
            continue
        key = _SPEC_KEYS.get(re.sub(r"[^a-z0-9]", "", str(raw_key).lower()).removeprefix("pdpinfo"))
        if key is None:
            reject("specifications", "not_a_page_key")
            continue
        text = _clean_text(f"specifications.{key}", raw_value, reject)
        if text is not None:
            values[key].add(text)
    specifications = {}
    for key, texts in values.items():
        if len(texts) > 1:
            reject(f"specifications.{key}", "conflicting_values")
        else:
            specifications[key] = texts.pop()
    return dict(sorted(specifications.items()))


def _prefer_specification(name: str, from_specification, from_column, reject: _Rejections):
    """The specification's value (the page's Key/Value pair) over the column the predecessor
    filled by its own rules; a column that contradicts it is not imported."""
    if from_specification is None:
        return from_column
    if from_column is not None and _comparable(from_column) != _comparable(from_specification):
        reject(name, "contradicts_specifications")
    return from_specification


def _comparable(value):
    return " ".join(value.casefold().split()) if isinstance(value, str) else value


def _positive_int(name: str, value, reject: _Rejections) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        reject(name, "not_a_positive_integer")
        return None
    return value


def _parsed(name: str, value, parse, reject: _Rejections):
    text = _clean_text(name, value, reject)
    if text is None:
        return None
    parsed = parse(text)
    if parsed is None:
        reject(name, "unreadable")
    return parsed


def _coverage(text: str) -> float | None:
    match = _COVERAGE.fullmatch(text.lower())
    amount = parse_amount(match.group(1)) if match else None
    return amount if amount and amount > 0 else None


def _price(name: str, value, reject: _Rejections) -> float | None:
    if value is None:
        return None
    price = parse_price(float(value) if isinstance(value, Decimal) else value)
    if price is None:
        reject(name, "not_a_price")
    return price


def _prices(row: dict, record: dict, reject: _Rejections) -> None:
    """price / price_unit from the box or piece price; the per-sq-ft price only when the row
    supports it as the page's (see `_shown_sqft_price`)."""
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


def _images(images, primary, reject: _Rejections) -> list[str]:
    """product_data.images (a JSON string) and primary_image, kept where they are http(s) URLs."""
    candidates = []
    if _stated(primary):
        candidates.append(primary)
    if _stated(images):
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
