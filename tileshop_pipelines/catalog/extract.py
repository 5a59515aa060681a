"""Product page HTML -> product record (the page contract is docs/product-page.md).

Where each value comes from:
- JSON-LD ``Product`` (parsed with json.loads; a dict, a list, or an ``@graph``): sku, name, brand,
  description, price, currency, availability, images; a JSON-LD ``BreadcrumbList``: breadcrumbs.
- ``__NEXT_DATA__`` productData (json.loads): every specification (only from its Key/Value pairs)
  and the documents.
- The visible text (body text without scripts and styles), ONLY for: the unit written next to the
  offer price (``$77.11/box``), the ``/Sq. Ft.`` (and ``/box``) price shown in the same price block,
  and coverage (``10.76 sq. ft. per Box``). The price block is found by matching the JSON-LD offer
  price, searching from the product's <h1> on, so a promo or a related product elsewhere on the
  page cannot supply these values.

A value the page does not state is None (lists: empty; specifications: empty dict). Nothing is
derived: price_per_sqft is never computed from price / coverage. ``provenance`` names the source
of every field that has a value.

The URL decides the SKU: a page whose JSON-LD claims another SKU does not take that product over
(the claim is kept as a ``sku_conflict`` warning). Values are made storable before they leave
(``catalog.sanitize``); ``warnings`` (present only when there are any) says what was refused,
replaced or removed, one "kind: detail" line each: ``sku_conflict``, ``invalid_price`` (not an
amount from 0 to MAX_PRICE), ``invalid_coverage``,
``json_too_deep``, ``markup_removed``, ``nul_removed``, ``surrogate_replaced``,
``number_out_of_range``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import unquote, urlsplit

import orjson
from selectolax.lexbor import LexborHTMLParser

from tileshop_pipelines.catalog.sanitize import storable_value
from tileshop_pipelines.catalog.urls import sku_from_slug

HOME_PAGE_TITLE = "The Tile Shop - High Quality Floor & Wall Tile"
HOME_PAGE_SECTION = "Signature Collection"

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
_SPEC_KEY_PREFIX = "PDPInfo_"
_HEADING_MARKER = "\ufdd0"  # a Unicode noncharacter: never part of a page's own text
_NEXT_DATA_PRODUCT_PATH = ("props", "pageProps", "layoutData", "sitecore", "context", "productData")

AMOUNT_PATTERN = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# "$77.11/box", "$ 12.99 / Sq. Ft.", "$35.99 per each"; the amount and unit may sit in separate spans.
# Both run on lowercased visible text; patterns led by a literal keep the scan fast.
_UNIT_PRICE = re.compile(rf"\$\s*({AMOUNT_PATTERN})\s*(?:/|\bper\b)\s*(sq\.?\s*ft\b\.?|square\s+f(?:oo|ee)t\b|[a-z]+)")
_DOLLAR_AMOUNT = re.compile(rf"\$\s*({AMOUNT_PATTERN})")
# "10.76 sq. ft. per box": the unit phrase is found first, then the amount right before it.
_COVERAGE_UNIT = re.compile(r"s(?:q\.?\s*ft\b\.?|quare\s+f(?:oo|ee)t\b)\s*(?:/|\bper\b)\s*box\b")
_AMOUNT_BEFORE = re.compile(rf"(?<![\d,.])({AMOUNT_PATTERN})\s*$")
# A JSON-LD price given as text: "77.11", "$77.11", "1,077.11", "USD 77.11", "77.11 USD".
_PRICE_TEXT = re.compile(rf"(?:[A-Z]{{3}}\s*)?\$?\s*({AMOUNT_PATTERN})(?:\s*[A-Z]{{3}})?")
_BOX_QUANTITY = re.compile(r"(\d+)(?:\s*(?:pcs?|pieces?|tiles?|sheets?|planks?|ea|each|ct|count)\.?)?", re.IGNORECASE)
_BOX_WEIGHT_LBS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:lbs?\.?|pounds?)?", re.IGNORECASE)
_UNIT_NAMES = {"ea": "each", "each": "each", "pc": "each", "pcs": "each", "piece": "each", "box": "box", "bag": "bag"}
# How far (in characters of visible text) from the offer price a /Sq. Ft. price or a coverage
# figure may sit and still count as the same price block.
_PRICE_BLOCK_REACH = 200
# JSON-LD is a few levels deep; a script nested deeper is refused as malformed (json.loads of one
# nested 100,000 deep raised RecursionError and stopped every run at that page).
MAX_JSONLD_DEPTH = 32
# A price or a coverage past these is not a tile shop's: refused as invalid (the fuzz pass found
# 1e300 from JSON-LD, and 300-digit amounts in the visible text, stored as prices).
MAX_PRICE = 100_000.0
MAX_COVERAGE_SQFT = 10_000.0


class JsonTooDeep(ValueError):
    """A script's JSON is nested deeper than the reader follows."""


class NotAProductPage(ValueError):
    """The page is not a product page; ``reason`` says why ("blocked: ..." for the home page)."""

    def __init__(self, reason: str, url: str | None = None):
        self.reason = reason
        self.url = url
        super().__init__(f"{url}: {reason}" if url else reason)


def extract_product(html: str | bytes, url: str | None = None) -> dict:
    """The product record of a product page; raises NotAProductPage for any other page."""
    page = _read_page(html)
    if not page.products:
        raise NotAProductPage(_why_not_a_product(page), url)
    product = _choose_product(page.products, url)
    offer = _choose_offer(product.get("offers"))
    product_data = page.product_data or {}

    record: dict = dict.fromkeys(PRODUCT_FIELDS)
    provenance: dict[str, str] = {}
    warnings: list[str] = [f"json_too_deep: {n} script(s) nested deeper than {MAX_JSONLD_DEPTH} levels skipped"
                           for n in [page.too_deep] if n]

    def put(field_name: str, value, source: str) -> None:
        if value is None or value == [] or value == {}:
            return
        record[field_name] = value
        provenance[field_name] = source

    # Identity: the URL decides. A SKU written as a JSON number has lost its leading zeros (the URL
    # keeps them); one that differs otherwise is another product's claim, kept as a conflict only.
    url_sku = _url_sku(url)
    sku, sku_source = text_value(product.get("sku")), "jsonld"
    if sku is None:
        sku, sku_source = text_value(product_data.get("ProductId")), "next_data"
    if url_sku and (sku is None or sku.casefold() != url_sku.casefold()):
        if sku is not None and not (_is_number(product.get("sku")) and url_sku.isdigit()
                                    and int(url_sku) == product["sku"]):
            warnings.append(f"sku_conflict: the page states SKU {sku[:40]!r} ({sku_source}), the URL {url_sku!r}; "
                            "the URL's is kept")
        sku, sku_source = url_sku, "url"
    put("sku", sku, sku_source)
    if url:
        put("url", url, "url")
    else:
        put("url", text_value(product.get("url")) or text_value(offer.get("url")), "jsonld")
    put("name", text_value(product.get("name")), "jsonld")
    if record["name"] is None:
        put("name", text_value(product_data.get("Name")), "next_data")
    put("brand", _brand_name(product.get("brand")), "jsonld")
    description, live_markup = description_text(product.get("description"))
    if live_markup:
        warnings.append("markup_removed: the description's entities decoded into tags; they were removed")
    put("description", description, "jsonld")
    put("images", image_urls(product.get("image")), "jsonld")

    # Offer.
    price = parse_price(offer.get("price"))
    if price is None:
        specification = _first_dict(offer.get("priceSpecification"))
        price = parse_price(specification.get("price"))
    stated_price = offer.get("price", _first_dict(offer.get("priceSpecification")).get("price"))
    if price is None and stated_price is not None:
        shown = stated_price if isinstance(stated_price, str) else repr(stated_price)
        warnings.append(f"invalid_price: {shown[:40]}{'...' if len(shown) > 40 else ''} is not an amount "
                        f"from 0 to {MAX_PRICE:,.0f}; refused")
    put("price", price, "jsonld")
    put("currency", text_value(offer.get("priceCurrency")), "jsonld")
    put("availability", _schema_enum(offer.get("availability")), "jsonld")

    # Visible price block: unit of the offer price, the per-sq-ft price, coverage.
    block = _price_block(page.visible_text, price, page.heading_position)
    put("price_unit", block.unit, "visible_text")
    for field_name, unit in (("price_per_box", "box"), ("price_per_sqft", "sqft"), ("price_per_piece", "each")):
        if block.unit == unit:
            put(field_name, price, "jsonld")
        elif unit != "each":
            put(field_name, block.unit_prices.get(unit), "visible_text")
    put("coverage_sqft_per_box", block.coverage, "visible_text")
    warnings += block.refused

    # Specifications and documents (__NEXT_DATA__ only).
    specifications = _specifications(product_data.get("Specifications"))
    put("specifications", specifications, "next_data")
    for field_name, key in TEXT_SPEC_FIELDS.items():
        put(field_name, specifications.get(key), "next_data")
    put("box_quantity", parse_box_quantity(specifications.get("BoxQuantity")), "next_data")
    put("box_weight_lbs", parse_box_weight_lbs(specifications.get("BoxWeight")), "next_data")
    put("applications", parse_applications(specifications.get("Applications")), "next_data")
    put("directional_layout", parse_yes_no(specifications.get("DirectionalLayout")), "next_data")
    put("documents", _documents(product_data.get("Documents")), "next_data")

    # Breadcrumbs and category.
    crumbs, crumbs_source = page.jsonld_breadcrumbs, "jsonld"
    if not crumbs:
        crumbs, crumbs_source = _nav_breadcrumbs(page.tree), "visible_text"
    put("breadcrumbs", [crumb.name for crumb in crumbs], crumbs_source)
    put("category", _category(crumbs, record["name"], url), crumbs_source)

    for field_name in ("images", "documents", "breadcrumbs"):
        if record[field_name] is None:
            record[field_name] = []
    if record["specifications"] is None:
        record["specifications"] = {}
    record["provenance"] = {name: provenance[name] for name in PRODUCT_FIELDS if name in provenance}
    record = storable_value(record, "record", warnings)
    for name in PRODUCT_FIELDS:  # a refused number leaves the field unstated, as the page did not state it
        if record[name] is None:
            record["provenance"].pop(name, None)
    if warnings:
        record["warnings"] = warnings
    return record


# --- reading the page ------------------------------------------------------------------------


@dataclass
class _Breadcrumb:
    name: str
    item: str | None  # the crumb's URL, None when it has none (usually the current page)


@dataclass
class _Page:
    tree: LexborHTMLParser
    products: list[dict]
    malformed_jsonld: int
    too_deep: int  # scripts refused for their nesting (counted in malformed_jsonld too)
    jsonld_breadcrumbs: list[_Breadcrumb]
    product_data: dict | None
    visible_text: str  # lowercased body text without scripts and styles
    heading_position: int  # where the first <h1> starts in visible_text (0 without one)


def _read_page(html: str | bytes) -> _Page:
    tree = LexborHTMLParser(html)  # bytes are read as UTF-8, what the site serves

    # One pass over the <script> elements (lexbor's tag index; a CSS query walks the whole tree).
    nodes: list[dict] = []
    malformed = too_deep = 0
    next_data_script = None
    for script in tree.tags("script"):
        attributes = script.attributes
        if (attributes.get("type") or "").strip().lower() == "application/ld+json":
            try:
                nodes.extend(list(_jsonld_nodes(_load_json(script.text()))))
            except JsonTooDeep:
                malformed, too_deep = malformed + 1, too_deep + 1
            except ValueError:
                malformed += 1
        elif next_data_script is None and attributes.get("id") == "__NEXT_DATA__":
            next_data_script = script
    products = [node for node in nodes if "Product" in _types(node)]
    breadcrumb_lists = [node for node in nodes if "BreadcrumbList" in _types(node)]

    product_data = None
    if next_data_script is not None:
        try:
            product_data = _dig(_load_json(next_data_script.text()), _NEXT_DATA_PRODUCT_PATH)
        except ValueError:
            product_data = None

    # Everything structured has been read; drop non-visible text before taking the body's text.
    tree.strip_tags(["script", "style", "noscript", "template"])
    # A marker before the first <h1> tells where the product heading starts in the text.
    headings = tree.tags("h1")
    if headings:
        headings[0].insert_before(_HEADING_MARKER)
    body = tree.body
    visible_text = body.text(separator=" ", strip=True).lower() if body is not None else ""
    heading_position = max(visible_text.find(_HEADING_MARKER), 0)
    visible_text = visible_text.replace(_HEADING_MARKER, "")

    return _Page(
        tree=tree,
        products=products,
        malformed_jsonld=malformed,
        too_deep=too_deep,
        jsonld_breadcrumbs=_jsonld_breadcrumbs(breadcrumb_lists[0]) if breadcrumb_lists else [],
        product_data=product_data if isinstance(product_data, dict) else None,
        visible_text=visible_text,
        heading_position=heading_position,
    )


def _load_json(text: str):
    """json.loads of a script body; tolerates an HTML comment or CDATA wrapper and raw control
    characters inside strings (strict=False), nothing else."""
    text = text.strip()
    for opening, closing in (("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>")):
        if text.startswith(opening) and text.endswith(closing):
            text = text[len(opening) : -len(closing)].strip()
    try:
        return orjson.loads(text)  # the common case, several times faster than json; 1,024 levels at most
    except orjson.JSONDecodeError:
        try:
            return json.loads(text, strict=False)  # raw control characters, NaN, huge integers
        except RecursionError:
            raise JsonTooDeep(f"JSON nested deeper than Python's recursion limit ({len(text)} characters)") from None


def _jsonld_nodes(value, depth: int = 0):
    """Every JSON-LD object in a script: a single object, a list of them, or an @graph."""
    if depth > MAX_JSONLD_DEPTH:
        raise JsonTooDeep(f"JSON-LD nested deeper than {MAX_JSONLD_DEPTH} levels")
    if isinstance(value, list):
        for item in value:
            yield from _jsonld_nodes(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from _jsonld_nodes(value["@graph"], depth + 1)


def _types(node: dict) -> set[str]:
    """The node's @type names without a vocabulary prefix ("schema:Product", "https://schema.org/Product")."""
    value = node.get("@type")
    names = value if isinstance(value, list) else [value]
    return {re.split(r"[/:#]", name)[-1] for name in names if isinstance(name, str)}


def _dig(value, path: tuple[str, ...]):
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _is_home_page(tree: LexborHTMLParser) -> bool:
    title = tree.css_first("head title")
    if title is None:
        title = tree.css_first("title")
    title_text = _collapse(title.text()) if title is not None else ""
    if title_text:
        return title_text.casefold().startswith(HOME_PAGE_TITLE.casefold())
    # No title at all: fall back on the home page's "Signature Collection" section heading.
    return any(
        HOME_PAGE_SECTION.casefold() in heading.text().casefold() for heading in tree.css("h1, h2, h3")
    )


def _why_not_a_product(page: _Page) -> str:
    if _is_home_page(page.tree):
        return f"blocked: the home page ({HOME_PAGE_TITLE!r}) was returned instead of a product page"
    if page.too_deep:
        return (f"JSON-LD nested deeper than {MAX_JSONLD_DEPTH} levels ({page.too_deep} block(s) refused) and no "
                "valid Product JSON-LD")
    if page.malformed_jsonld:
        return f"malformed JSON-LD ({page.malformed_jsonld} invalid block(s)) and no valid Product JSON-LD"
    return "no Product JSON-LD on the page"


# --- JSON-LD values --------------------------------------------------------------------------


def _choose_product(products: list[dict], url: str | None) -> dict:
    """The Product the URL names when a page holds several (its SKU ends the URL), else the first."""
    url_sku = _url_sku(url)
    if len(products) > 1 and url_sku:
        for product in products:
            if text_value(product.get("sku")) == url_sku:
                return product
    return products[0]


def _choose_offer(offers) -> dict:
    """The first offer that states a price (offers may be one object, a list, or an AggregateOffer
    holding offers); an offer without a price still gives currency and availability."""
    candidates = []
    for offer in offers if isinstance(offers, list) else [offers]:
        if isinstance(offer, dict):
            candidates.append(offer)
            if isinstance(offer.get("offers"), list):
                candidates.extend(item for item in offer["offers"] if isinstance(item, dict))
    for offer in candidates:
        if parse_price(offer.get("price")) is not None:
            return offer
    return candidates[0] if candidates else {}


def _url_sku(url: str | None) -> str | None:
    if not url:
        return None
    return sku_from_slug(unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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


def _first_dict(value) -> dict:
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, dict)), None)
    return value if isinstance(value, dict) else {}


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


def _brand_name(brand) -> str | None:
    if isinstance(brand, list):
        brand = brand[0] if brand else None
    if isinstance(brand, dict):
        return text_value(brand.get("name"))
    return text_value(brand)


def _schema_enum(value) -> str | None:
    """"https://schema.org/InStock" -> "InStock"."""
    text = text_value(value)
    if text is None:
        return None
    return re.split(r"[/:#]", text)[-1] or None


def image_urls(image) -> list[str]:
    urls: list[str] = []
    for item in image if isinstance(image, list) else [image]:
        if isinstance(item, dict):
            item = item.get("url") or item.get("contentUrl")
        text = text_value(item)
        if text and text not in urls:
            urls.append(text)
    return urls


def _jsonld_breadcrumbs(breadcrumb_list: dict) -> list[_Breadcrumb]:
    elements = [item for item in breadcrumb_list.get("itemListElement") or [] if isinstance(item, dict)]

    def position(element: dict) -> float:
        try:
            return float(element.get("position"))
        except (TypeError, ValueError, OverflowError):
            return math.inf

    crumbs = []
    for element in sorted(elements, key=position):  # stable: unnumbered crumbs keep their order
        item = element.get("item")
        name = text_value(element.get("name"))
        if isinstance(item, dict):
            name = name or text_value(item.get("name"))
            item = item.get("@id") or item.get("url")
        if name:
            crumbs.append(_Breadcrumb(name=name, item=text_value(item)))
    return crumbs


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
_BLOCK_TAGS = frozenset(
    "p div br li ul ol dl dt dd h1 h2 h3 h4 h5 h6 tr table section article blockquote hr".split()
)


def description_text(description) -> tuple[str | None, bool]:
    """Plain text of the HTML description: tags removed, entities decoded, whitespace collapsed,
    one line per paragraph or list item; and whether decoding the entities made tags, which are
    removed too (``&lt;img onerror=...&gt;`` must not become live markup in "plain text")."""
    text = text_value(description)
    if text is None:
        return None, False
    if "<" not in text and "&lt;" in text:  # markup escaped twice: decode once to get the tags
        text = unescape(text)
    blocks, current, position = [], [], 0
    for token in _DESCRIPTION_TOKEN.finditer(text):
        current.append(text[position : token.start()])
        position = token.end()
        if (token.group(2) or "").lower() in _BLOCK_TAGS:
            blocks.append("".join(current))
            current = []
    current.append(text[position:])
    blocks.append("".join(current))
    lines, live_markup = [], False
    for block in blocks:
        line = unescape(block)
        for _ in range(3):  # entities can be escaped more than once; each pass decodes one level
            stripped = _DESCRIPTION_TOKEN.sub(" ", line)
            if stripped == line:
                break
            live_markup, line = True, unescape(stripped)
        if _TAG_START.search(line):  # an unclosed "<img ..." left after the passes: not markup any more
            live_markup, line = True, _TAG_START.sub("\u2039", line)
        lines.append(_collapse(line))
    return "\n".join(line for line in lines if line) or None, live_markup


def _collapse(text: str) -> str:
    return " ".join(text.split())


# --- __NEXT_DATA__ values --------------------------------------------------------------------


def _specifications(groups) -> dict[str, str]:
    """Every {"Key": "PDPInfo_<Name>", "Value": "<text>"} pair of every group, as Name -> Value.

    Values are taken only from these pairs, never from page text; a key stated twice keeps its
    first value.
    """
    if isinstance(groups, dict):
        items = [item for group in groups.values() if isinstance(group, list) for item in group]
    elif isinstance(groups, list):
        items = groups
    else:
        return {}
    specifications: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        key, value = text_value(item.get("Key")), text_value(item.get("Value"))
        if key is None or value is None:
            continue
        key = key.removeprefix(_SPEC_KEY_PREFIX)
        specifications.setdefault(key, value)
    return specifications


def parse_box_quantity(value: str | None) -> int | None:
    match = _BOX_QUANTITY.fullmatch(value) if value else None
    return int(match.group(1)) if match else None


def parse_box_weight_lbs(value: str | None) -> float | None:
    match = _BOX_WEIGHT_LBS.fullmatch(value) if value else None
    return float(match.group(1)) if match else None


def parse_applications(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()] or None


def parse_yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False, "true": True, "false": False}.get((value or "").strip().casefold())


def _documents(documents) -> list[dict]:
    result: list[dict] = []
    seen: set[str] = set()
    for document in documents if isinstance(documents, list) else []:
        if not isinstance(document, dict):
            continue
        url = text_value(document.get("Url"))
        if url and url not in seen:
            seen.add(url)
            result.append({"name": text_value(document.get("Name")), "url": url})
    return result


# --- visible text ----------------------------------------------------------------------------


@dataclass
class _PriceBlock:
    unit: str | None = None  # the unit written next to the offer price
    unit_prices: dict[str, float] = field(default_factory=dict)  # unit -> nearest amount in the block
    coverage: float | None = None
    refused: list[str] = field(default_factory=list)  # shown amounts out of range, as warnings


def _price_block(visible_text: str, price: float | None, search_from: int) -> _PriceBlock:
    """The unit of the offer price, plus the unit prices and coverage shown within reach of it.

    The price block is where the visible text shows the JSON-LD offer price (with a unit if one
    is written, else the bare "$amount"), looked for from the product heading on, then anywhere:
    a promo banner's "$1.99/Sq. Ft." before the product cannot be taken. Without the offer price
    on the page there is no price block and none of these values is stated.
    """
    if price is None:
        return _PriceBlock()
    unit_prices = [
        (match.start(), parse_amount(match.group(1)), _unit_name(match.group(2)))
        for match in _UNIT_PRICE.finditer(visible_text)
    ]
    anchor = _first_offer_price(unit_prices, price, search_from)
    if anchor is None:
        bare_prices = [(match.start(), parse_amount(match.group(1)), None) for match in _DOLLAR_AMOUNT.finditer(visible_text)]
        anchor = _first_offer_price(bare_prices, price, search_from)
    if anchor is None:
        return _PriceBlock()

    position, _, unit = anchor
    nearby: dict[str, float] = {}
    for item_position, amount, item_unit in sorted(unit_prices, key=lambda item: abs(item[0] - position)):
        if abs(item_position - position) <= _PRICE_BLOCK_REACH:
            nearby.setdefault(item_unit, amount)
    coverages = []
    for match in _COVERAGE_UNIT.finditer(visible_text):
        amount = _AMOUNT_BEFORE.search(visible_text, max(match.start() - 24, 0), match.start())
        if amount and abs(amount.start() - position) <= _PRICE_BLOCK_REACH:
            coverages.append((abs(amount.start() - position), parse_amount(amount.group(1))))
    coverage = min(coverages)[1] if coverages else None
    refused = [f"invalid_price: the {unit} price shown, {amount:.6g}, is over {MAX_PRICE:,.0f}; refused"
               for unit, amount in nearby.items() if not amount <= MAX_PRICE]
    if coverage is not None and not coverage <= MAX_COVERAGE_SQFT:
        refused.append(f"invalid_coverage: {coverage:.6g} sq. ft. per box is over {MAX_COVERAGE_SQFT:,.0f}; refused")
        coverage = None
    nearby = {unit: amount for unit, amount in nearby.items() if amount <= MAX_PRICE}
    return _PriceBlock(unit=unit, unit_prices=nearby, coverage=coverage, refused=refused)


def _first_offer_price(shown: list[tuple], price: float, search_from: int) -> tuple | None:
    """The first shown (position, amount, unit) equal to the price: after the heading, else anywhere."""
    matches = [item for item in shown if abs(item[1] - price) < 0.005]
    after_heading = [item for item in matches if item[0] >= search_from]
    return (after_heading or matches or [None])[0]


def parse_amount(text: str) -> float:
    return float(text.replace(",", ""))


def _unit_name(text: str) -> str:
    word = "".join(text.split()).replace(".", "")
    if word in ("sqft", "squarefoot", "squarefeet"):
        return "sqft"
    return _UNIT_NAMES.get(word, word)


# --- breadcrumbs -----------------------------------------------------------------------------


def _nav_breadcrumbs(tree: LexborHTMLParser) -> list[_Breadcrumb]:
    """Breadcrumbs from the breadcrumb nav when there is no BreadcrumbList JSON-LD."""
    nav = tree.css_first('nav[aria-label="breadcrumb" i], .breadcrumb, .breadcrumbs')
    if nav is None:
        return []
    crumbs = []
    for entry in nav.css("li") or nav.css("a"):
        name = entry.text(separator=" ", strip=True)
        link = entry if entry.tag == "a" else entry.css_first("a")
        href = link.attributes.get("href") if link is not None else None
        if name and name not in ("/", ">", "›", "»"):
            crumbs.append(_Breadcrumb(name=_collapse(name), item=href or None))
    return crumbs


def _category(crumbs: list[_Breadcrumb], product_name: str | None, url: str | None) -> str | None:
    """The deepest breadcrumb that is neither the product itself nor the home page."""
    candidates = list(crumbs)
    if candidates and _is_product_crumb(candidates[-1], product_name, url):
        candidates.pop()
    for crumb in reversed(candidates):
        path = urlsplit(crumb.item).path if crumb.item else None
        if crumb.name.casefold() != "home" and path not in ("", "/"):
            return crumb.name
    return None


def _is_product_crumb(crumb: _Breadcrumb, product_name: str | None, url: str | None) -> bool:
    if crumb.item is None:  # the current page is the crumb without a link
        return True
    if product_name and _collapse(crumb.name).casefold() == _collapse(product_name).casefold():
        return True
    path = urlsplit(crumb.item).path
    return path.startswith("/products/") or (url is not None and path == urlsplit(url).path)
