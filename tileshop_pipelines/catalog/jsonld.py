"""JSON-LD on a product page: its objects (a dict, a list, or an ``@graph``), the Product and the
offer to read, and the values of either that need more than ``text_value``."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from tileshop_pipelines.catalog.record import parse_price, text_value
from tileshop_pipelines.catalog.urls import sku_from_slug

# JSON-LD is a few levels deep; a script nested deeper is refused as malformed (json.loads of one
# nested 100,000 deep raised RecursionError and stopped every run at that page).
MAX_JSONLD_DEPTH = 32
_VOCABULARY_SEPARATOR = re.compile(r"[/:#]")


class JsonTooDeep(ValueError):
    """A script's JSON is nested deeper than the reader follows."""


def jsonld_nodes(value, depth: int = 0):
    """Every JSON-LD object in a script: a single object, a list of them, or an @graph."""
    if depth > MAX_JSONLD_DEPTH:
        raise JsonTooDeep(f"JSON-LD nested deeper than {MAX_JSONLD_DEPTH} levels")
    if isinstance(value, list):
        for item in value:
            yield from jsonld_nodes(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from jsonld_nodes(value["@graph"], depth + 1)


def node_types(node: dict) -> set[str]:
    """The node's @type names without a vocabulary prefix ("schema:Product", "https://schema.org/Product")."""
    value = node.get("@type")
    names = value if isinstance(value, list) else [value]
    return {_VOCABULARY_SEPARATOR.split(name)[-1] for name in names if isinstance(name, str)}


def choose_product(products: list[dict], url: str | None) -> dict:
    """The Product the URL names when a page holds several (its SKU ends the URL), else the first."""
    sku = url_sku(url) if len(products) > 1 else None
    if sku:
        for product in products:
            if text_value(product.get("sku")) == sku:
                return product
    return products[0]


def choose_offer(offers) -> dict:
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


def url_sku(url: str | None) -> str | None:
    if not url:
        return None
    return sku_from_slug(unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]))


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def first_dict(value) -> dict:
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, dict)), None)
    return value if isinstance(value, dict) else {}


def brand_name(brand) -> str | None:
    if isinstance(brand, list):
        brand = brand[0] if brand else None
    if isinstance(brand, dict):
        return text_value(brand.get("name"))
    return text_value(brand)


def schema_enum(value) -> str | None:
    """ "https://schema.org/InStock" -> "InStock"."""
    text = text_value(value)
    if text is None:
        return None
    return _VOCABULARY_SEPARATOR.split(text)[-1] or None
