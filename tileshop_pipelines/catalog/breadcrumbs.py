"""A product page's breadcrumbs (the JSON-LD BreadcrumbList, else the breadcrumb nav) and the
category they name."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from tileshop_pipelines.catalog.record import collapse_whitespace, text_value


@dataclass
class Breadcrumb:
    name: str
    item: str | None  # the crumb's URL, None when it has none (usually the current page)


def jsonld_breadcrumbs(breadcrumb_list: dict) -> list[Breadcrumb]:
    elements = [item for item in breadcrumb_list.get("itemListElement") or [] if isinstance(item, dict)]

    def position(element: dict) -> float:
        try:
            return float(element["position"])
        except (KeyError, TypeError, ValueError, OverflowError):
            return math.inf

    crumbs = []
    for element in sorted(elements, key=position):  # stable: unnumbered crumbs keep their order
        item = element.get("item")
        name = text_value(element.get("name"))
        if isinstance(item, dict):
            name = name or text_value(item.get("name"))
            item = item.get("@id") or item.get("url")
        if name:
            crumbs.append(Breadcrumb(name=name, item=text_value(item)))
    return crumbs


def nav_breadcrumbs(tree: LexborHTMLParser) -> list[Breadcrumb]:
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
            crumbs.append(Breadcrumb(name=collapse_whitespace(name), item=href or None))
    return crumbs


def category(crumbs: list[Breadcrumb], product_name: str | None, url: str | None) -> str | None:
    """The deepest breadcrumb that is neither the product itself nor the home page."""
    candidates = list(crumbs)
    if candidates and _is_product_crumb(candidates[-1], product_name, url):
        candidates.pop()
    for crumb in reversed(candidates):
        path = _path(crumb.item) if crumb.item else None
        if crumb.name.casefold() != "home" and path not in ("", "/"):
            return crumb.name
    return None


def _is_product_crumb(crumb: Breadcrumb, product_name: str | None, url: str | None) -> bool:
    if crumb.item is None:  # the current page is the crumb without a link
        return True
    if product_name and collapse_whitespace(crumb.name).casefold() == collapse_whitespace(product_name).casefold():
        return True
    path = _path(crumb.item)
    return path.startswith("/products/") or (url is not None and path == _path(url))


@functools.lru_cache(maxsize=1024)  # a catalog's crumbs name a few hundred category pages
def _path(url: str) -> str:
    return urlsplit(url).path
