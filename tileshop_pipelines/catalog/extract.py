"""Product page HTML -> product record (the page contract is docs/product-page.md).

Where each value comes from:
- JSON-LD ``Product`` (parsed with json.loads; a dict, a list, or an ``@graph``): sku, name, brand,
  description, price, currency, availability, images; a JSON-LD ``BreadcrumbList``: breadcrumbs.
- ``__NEXT_DATA__`` productData (json.loads): every specification (only from its Key/Value pairs)
  and the documents.
- The product's own price element in the body (price_block.py), ONLY for: the unit written next
  to the offer price (``$77.11/box``), the ``/Sq. Ft.`` (and ``/box``) price shown in that element,
  and coverage (``10.76 sq. ft. per Box``). The element is found by the page's structure (the
  innermost element showing the JSON-LD offer price after the product's <h1>, widened only over
  ancestors that hold price content alone), so a promo, a recommendation or a recently viewed
  item cannot supply these values however close to the price it sits.

A value the page does not state is None (lists: empty; specifications: empty dict). Nothing is
derived: price_per_sqft is never computed from price / coverage. ``provenance`` names the source
of every field that has a value.

The URL decides the SKU: a page whose JSON-LD claims another SKU does not take that product over
(the claim is kept as a ``sku_conflict`` warning). Values are made storable before they leave
(``catalog.sanitize``); ``warnings`` (present only when there are any) says what was refused,
replaced or removed, one "kind: detail" line each: ``sku_conflict``, ``invalid_price`` (not an
amount from 0 to MAX_PRICE), ``invalid_coverage``, ``invalid_number`` (a BoxQuantity or
BoxWeight past its bound in record.py),
``json_too_deep``, ``markup_removed``, ``nul_removed``, ``surrogate_replaced``,
``number_out_of_range``.

Each source has its module: page.py reads the page once, jsonld.py, next_data.py, price_block.py
and breadcrumbs.py read their values from it; record.py holds the record's fields and the value
parsers (which the legacy import uses too).
"""

from __future__ import annotations

from tileshop_pipelines.catalog import jsonld, next_data
from tileshop_pipelines.catalog.breadcrumbs import category, nav_breadcrumbs
from tileshop_pipelines.catalog.jsonld import MAX_JSONLD_DEPTH
from tileshop_pipelines.catalog.page import Page, read_page, why_not_a_product
from tileshop_pipelines.catalog.price_block import price_block
from tileshop_pipelines.catalog.record import (
    MAX_BOX_QUANTITY,
    MAX_BOX_WEIGHT_LBS,
    MAX_PRICE,
    PRODUCT_FIELDS,
    TEXT_SPEC_FIELDS,
    box_quantity_out_of_range,
    box_weight_out_of_range,
    description_text,
    image_urls,
    parse_applications,
    parse_box_quantity,
    parse_box_weight_lbs,
    parse_price,
    parse_yes_no,
    text_value,
)
from tileshop_pipelines.catalog.sanitize import storable_text, storable_value


class NotAProductPage(ValueError):
    """The page is not a product page; ``reason`` says why ("blocked: ..." for the home page)."""

    def __init__(self, reason: str, url: str | None = None):
        self.reason = reason
        self.url = url
        super().__init__(f"{url}: {reason}" if url else reason)


def extract_product(html: str | bytes, url: str | None = None) -> dict:
    """The product record of a product page; raises NotAProductPage for any other page."""
    page = read_page(html)
    if not page.products:
        raise NotAProductPage(why_not_a_product(page), url)
    product = jsonld.choose_product(page.products, url)
    offer = jsonld.choose_offer(product.get("offers"))
    product_data = page.product_data or {}

    out = _Record(page)
    _put_identity(out, product, offer, product_data, url)
    price = _put_offer(out, offer)
    _put_price_block(out, page, price)
    _put_specifications(out, product_data)
    _put_breadcrumbs(out, page, url)
    return out.finish()


class _Record:
    """The record being filled: each stated value with its source, and the warnings so far."""

    def __init__(self, page: Page):
        self.values: dict = dict.fromkeys(PRODUCT_FIELDS)
        self.provenance: dict[str, str] = {}
        self.warnings: list[str] = [
            f"json_too_deep: {n} script(s) nested deeper than {MAX_JSONLD_DEPTH} levels skipped"
            for n in [page.too_deep]
            if n
        ]

    def put(self, field_name: str, value, source: str) -> None:
        if value is None or not value and isinstance(value, (list, dict)):
            return
        self.values[field_name] = value
        self.provenance[field_name] = source

    def finish(self) -> dict:
        """Lists and specifications default to empty, then the values are made storable."""
        record, warnings, provenance = self.values, self.warnings, self.provenance
        for field_name in ("images", "documents", "breadcrumbs"):
            if record[field_name] is None:
                record[field_name] = []
        if record["specifications"] is None:
            record["specifications"] = {}
        record["provenance"] = {name: provenance[name] for name in PRODUCT_FIELDS if name in provenance}
        stored = storable_value(record, "record", warnings)
        if stored is not record:  # a refused number leaves the field unstated, as the page did not state it
            record = stored
            for name in PRODUCT_FIELDS:
                if record[name] is None:
                    record["provenance"].pop(name, None)
        if warnings:
            # A warning quotes what the page stated (a refused price, a conflicting SKU), which can
            # hold what Postgres cannot store: made storable as the record's values are.
            record["warnings"] = [storable_text(warning, "warning")[0] for warning in warnings]
        return record


def _put_identity(out: _Record, product: dict, offer: dict, product_data: dict, url: str | None) -> None:
    """SKU, URL, name, brand, description and images (JSON-LD; __NEXT_DATA__ for a missing SKU or name)."""
    # The URL decides. A SKU written as a JSON number has lost its leading zeros (the URL keeps
    # them); one that differs otherwise is another product's claim, kept as a conflict only.
    url_sku = jsonld.url_sku(url)
    sku, sku_source = text_value(product.get("sku")), "jsonld"
    if sku is None:
        sku, sku_source = text_value(product_data.get("ProductId")), "next_data"
    if url_sku and (sku is None or sku.casefold() != url_sku.casefold()):
        if sku is not None and not (
            jsonld.is_number(product.get("sku")) and url_sku.isdigit() and _same_number(url_sku, product["sku"])
        ):
            out.warnings.append(
                f"sku_conflict: the page states SKU {sku[:40]!r} ({sku_source}), the URL {url_sku[:40]!r}; "
                "the URL's is kept"
            )
        sku, sku_source = url_sku, "url"
    out.put("sku", sku, sku_source)
    if url:
        out.put("url", url, "url")
    else:
        out.put("url", text_value(product.get("url")) or text_value(offer.get("url")), "jsonld")
    out.put("name", text_value(product.get("name")), "jsonld")
    if out.values["name"] is None:
        out.put("name", text_value(product_data.get("Name")), "next_data")
    out.put("brand", jsonld.brand_name(product.get("brand")), "jsonld")
    description, live_markup = description_text(product.get("description"))
    if live_markup:
        out.warnings.append("markup_removed: the description's entities decoded into tags; they were removed")
    out.put("description", description, "jsonld")
    out.put("images", image_urls(product.get("image")), "jsonld")


def _same_number(digits: str, number: int | float) -> bool:
    """Whether the URL's digits and a JSON number are the same number; compared as text, since
    int() of a 5,000-digit URL SKU raises Python's integer-string limit."""
    if isinstance(number, float):
        return number.is_integer() and len(digits.lstrip("0")) <= 17 and int(digits) == number
    return (digits.lstrip("0") or "0") == str(number)


def _put_offer(out: _Record, offer: dict) -> float | None:
    """Price, currency and availability of the JSON-LD offer; returns the price."""
    price = parse_price(offer.get("price"))
    if price is None:
        specification = jsonld.first_dict(offer.get("priceSpecification"))
        price = parse_price(specification.get("price"))
    stated_price = offer.get("price", jsonld.first_dict(offer.get("priceSpecification")).get("price"))
    if price is None and stated_price is not None:
        shown = stated_price if isinstance(stated_price, str) else repr(stated_price)
        out.warnings.append(
            f"invalid_price: {shown[:40]}{'...' if len(shown) > 40 else ''} is not an amount "
            f"from 0 to {MAX_PRICE:,.0f}; refused"
        )
    out.put("price", price, "jsonld")
    out.put("currency", text_value(offer.get("priceCurrency")), "jsonld")
    out.put("availability", jsonld.schema_enum(offer.get("availability")), "jsonld")
    return price


def _put_price_block(out: _Record, page: Page, price: float | None) -> None:
    """The product's price element: unit of the offer price, the per-sq-ft price, coverage."""
    block = price_block(page.body, price)
    out.put("price_unit", block.unit, "visible_text")
    for field_name, unit in (("price_per_box", "box"), ("price_per_sqft", "sqft"), ("price_per_piece", "each")):
        if block.unit == unit:
            out.put(field_name, price, "jsonld")
        elif unit != "each":
            out.put(field_name, block.unit_prices.get(unit), "visible_text")
    out.put("coverage_sqft_per_box", block.coverage, "visible_text")
    out.warnings += block.refused


# The specifications read as numbers: record field, key, parser, whether a stated value is a number
# past its bound, and the bound as a warning states it.
_NUMBER_SPECS = (
    ("box_quantity", "BoxQuantity", parse_box_quantity, box_quantity_out_of_range, f"0 to {MAX_BOX_QUANTITY:,}"),
    (
        "box_weight_lbs",
        "BoxWeight",
        parse_box_weight_lbs,
        box_weight_out_of_range,
        f"0 to {MAX_BOX_WEIGHT_LBS:,.0f} lbs",
    ),
)


def _put_specifications(out: _Record, product_data: dict) -> None:
    """Specifications and documents (__NEXT_DATA__ only)."""
    specifications = next_data.specifications(product_data.get("Specifications"))
    out.put("specifications", specifications, "next_data")
    values, provenance = out.values, out.provenance
    for field_name, key in TEXT_SPEC_FIELDS.items():  # out.put inlined: a specification is non-empty text
        if (text := specifications.get(key)) is not None:
            values[field_name], provenance[field_name] = text, "next_data"
    for field_name, key, parse, out_of_range, bound in _NUMBER_SPECS:
        stated = specifications.get(key)
        number = parse(stated)
        out.put(field_name, number, "next_data")
        # only a number that did not parse can be out of range
        if number is None and stated is not None and out_of_range(stated):
            shown = f"{stated[:20]}... ({len(stated):,} characters)" if len(stated) > 40 else stated
            out.warnings.append(f"invalid_number: {key} {shown!r} is not from {bound}; refused")
    out.put("applications", parse_applications(specifications.get("Applications")), "next_data")
    out.put("directional_layout", parse_yes_no(specifications.get("DirectionalLayout")), "next_data")
    out.put("documents", next_data.documents(product_data.get("Documents")), "next_data")


def _put_breadcrumbs(out: _Record, page: Page, url: str | None) -> None:
    """Breadcrumbs and category: the JSON-LD BreadcrumbList, else the breadcrumb nav."""
    crumbs, crumbs_source = page.jsonld_breadcrumbs, "jsonld"
    if not crumbs:
        crumbs, crumbs_source = nav_breadcrumbs(page.tree), "visible_text"
    out.put("breadcrumbs", [crumb.name for crumb in crumbs], crumbs_source)
    out.put("category", category(crumbs, out.values["name"], url), crumbs_source)
