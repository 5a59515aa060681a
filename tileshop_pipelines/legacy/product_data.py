"""The predecessor's ``product_data`` rows -> legacy versions of our product records.

Each value passes the extractor's own parsers (catalog/record.py) plus the checks its data
needs (PRODUCT_DATA.md lists the traps): scraper garbage (markup fragments, specification labels
stored as values), invented image variants, guessed document URLs and the predecessor's own
labels are not imported (legacy/product_values.py: the checks of one value). Every value not
imported is counted by field and reason. Provenance of every stated field is ``legacy``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tileshop_pipelines.catalog.page import HOME_PAGE_TITLE
from tileshop_pipelines.catalog.record import (
    PRODUCT_FIELDS,
    TEXT_SPEC_FIELDS,
    description_text,
    parse_applications,
    parse_box_quantity,
    parse_box_weight_lbs,
    parse_yes_no,
    text_value,
)
from tileshop_pipelines.catalog.urls import classify_url
from tileshop_pipelines.legacy.product_values import (
    Rejections,
    add_prices,
    clean_text,
    garbage,
    is_stated,
    parse_clean_text,
    parse_coverage,
    positive_int,
    prefer_specification,
    read_images,
    read_specifications,
)

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
_SKU = re.compile(r"\d{5,}[A-Za-z]*")


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

    reject = Rejections(rejected, Counter() if repaired is None else repaired)
    record: dict = dict.fromkeys(PRODUCT_FIELDS)
    record.update(url=info.url, sku=_sku(info.sku, row.get("sku"), reject))
    record["name"] = _name(title, reject)
    record["brand"] = clean_text("brand", row.get("brand"), reject)
    record["description"], live_markup = description_text(row.get("description"))
    if live_markup:  # tags that only appeared after entity decoding: removed, as the extractor does
        reject("description", "markup_removed")

    specifications = read_specifications(row.get("specifications"), reject)
    record["specifications"] = specifications
    for name, key in TEXT_SPEC_FIELDS.items():
        column = _TEXT_COLUMNS[name]
        stated = clean_text(column, row.get(column), reject)
        if name == "material" and stated and stated == stated.lower():
            stated = stated.title()  # the predecessor lowercased it ("porcelain"); the page writes "Porcelain"
            reject.repaired["material_type_recapitalised"] += 1
        record[name] = prefer_specification(column, specifications.get(key), stated, reject)
    record["box_quantity"] = prefer_specification(
        "box_quantity",
        parse_box_quantity(specifications.get("BoxQuantity")),
        positive_int("box_quantity", row.get("box_quantity"), reject),
        reject,
    )
    record["box_weight_lbs"] = prefer_specification(
        "box_weight",
        parse_box_weight_lbs(specifications.get("BoxWeight")),
        parse_clean_text("box_weight", row.get("box_weight"), parse_box_weight_lbs, reject),
        reject,
    )
    record["directional_layout"] = prefer_specification(
        "directional_layout",
        parse_yes_no(specifications.get("DirectionalLayout")),
        row.get("directional_layout") if isinstance(row.get("directional_layout"), bool) else None,
        reject,
    )
    record["applications"] = parse_applications(specifications.get("Applications"))
    record["coverage_sqft_per_box"] = parse_clean_text("coverage", row.get("coverage"), parse_coverage, reject)
    add_prices(row, record, reject)
    record["images"] = read_images(row.get("images"), row.get("primary_image"), reject)
    record["documents"] = []
    record["breadcrumbs"] = []
    for column, reason in _NOT_IMPORTED.items():
        if is_stated(row.get(column)):
            reject(column, reason)

    if not any(is_stated(record[name]) for name in PRODUCT_FIELDS if name not in ("url", "sku")):
        return None, "nothing_stated"
    record["provenance"] = {name: PROVENANCE for name in PRODUCT_FIELDS if is_stated(record[name])}
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


def _timestamp(value) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # the predecessor wrote naive times


def _sku(url_sku: str | None, stored, reject: Rejections) -> str | None:
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


def _name(title: str | None, reject: Rejections) -> str | None:
    if title is None:
        return None
    name = title.removesuffix(TITLE_SUFFIX).strip()
    reason = garbage(name, "name")
    if reason:
        reject("title", reason)
        return None
    return name
