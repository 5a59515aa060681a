"""Reading a product page once: its JSON-LD objects, its ``__NEXT_DATA__`` productData and its
body without scripts and styles (where price_block.py finds the product's price element), and
telling a page that is not a product page (the home page served instead of one, malformed
JSON-LD) by its reason."""

from __future__ import annotations

import json
from dataclasses import dataclass

import orjson
from selectolax.lexbor import LexborHTMLParser, LexborNode

from tileshop_pipelines.catalog.breadcrumbs import Breadcrumb, jsonld_breadcrumbs
from tileshop_pipelines.catalog.jsonld import MAX_JSONLD_DEPTH, JsonTooDeep, jsonld_nodes, node_types
from tileshop_pipelines.catalog.next_data import product_data as next_data_product
from tileshop_pipelines.catalog.record import collapse_whitespace

HOME_PAGE_TITLE = "The Tile Shop - High Quality Floor & Wall Tile"
HOME_PAGE_SECTION = "Signature Collection"


@dataclass
class Page:
    tree: LexborHTMLParser
    products: list[dict]
    malformed_jsonld: int
    too_deep: int  # scripts refused for their nesting (counted in malformed_jsonld too)
    jsonld_breadcrumbs: list[Breadcrumb]
    product_data: dict | None
    body: LexborNode | None  # the body without scripts, styles, noscript and templates


def read_page(html: str | bytes) -> Page:
    tree = LexborHTMLParser(html)  # bytes are read as UTF-8, what the site serves

    # One pass over the <script> elements (lexbor's tag index; a CSS query walks the whole tree).
    nodes: list[dict] = []
    malformed = too_deep = 0
    next_data_script = None
    for script in tree.tags("script"):
        attributes = script.attributes
        if (attributes.get("type") or "").strip().lower() == "application/ld+json":
            try:
                nodes.extend(list(jsonld_nodes(_load_json(script.text()))))
            except JsonTooDeep:
                malformed, too_deep = malformed + 1, too_deep + 1
            except ValueError:
                malformed += 1
        elif next_data_script is None and attributes.get("id") == "__NEXT_DATA__":
            next_data_script = script
    products = [node for node in nodes if "Product" in node_types(node)]
    breadcrumb_lists = [node for node in nodes if "BreadcrumbList" in node_types(node)]

    product_data = None
    if next_data_script is not None:
        try:
            product_data = next_data_product(_load_json(next_data_script.text()))
        except ValueError:
            product_data = None

    # Everything structured has been read; what is left in the body is what a shopper sees.
    tree.strip_tags(["script", "style", "noscript", "template"])

    return Page(
        tree=tree,
        products=products,
        malformed_jsonld=malformed,
        too_deep=too_deep,
        jsonld_breadcrumbs=jsonld_breadcrumbs(breadcrumb_lists[0]) if breadcrumb_lists else [],
        product_data=product_data,
        body=tree.body,
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


def why_not_a_product(page: Page) -> str:
    if _is_home_page(page.tree):
        return f"blocked: the home page ({HOME_PAGE_TITLE!r}) was returned instead of a product page"
    if page.too_deep:
        return (
            f"JSON-LD nested deeper than {MAX_JSONLD_DEPTH} levels ({page.too_deep} block(s) refused) and no "
            "valid Product JSON-LD"
        )
    if page.malformed_jsonld:
        return f"malformed JSON-LD ({page.malformed_jsonld} invalid block(s)) and no valid Product JSON-LD"
    return "no Product JSON-LD on the page"


def _is_home_page(tree: LexborHTMLParser) -> bool:
    title = tree.css_first("head title")
    if title is None:
        title = tree.css_first("title")
    title_text = collapse_whitespace(title.text()) if title is not None else ""
    if title_text:
        return title_text.casefold().startswith(HOME_PAGE_TITLE.casefold())
    # No title at all: fall back on the home page's "Signature Collection" section heading.
    return any(HOME_PAGE_SECTION.casefold() in heading.text().casefold() for heading in tree.css("h1, h2, h3"))
