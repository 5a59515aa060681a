"""The product's own price element: the unit written next to the offer price (``$77.11/box``),
the ``/Sq. Ft.`` (and ``/box``) price shown in the same element, and coverage (``10.76 sq. ft.
per Box``). Nothing else is read from the page's visible text.

The element is found by the page's structure, never by nearness in its flattened text: product
pages also show recommendations, recently viewed items and promos with their own "$x/Sq. Ft.",
and a short description puts them a few words from the product's price (a held-out page of a
product sold each got a recommendation's per-sq-ft price that way).

1. The offer price's element: the innermost element whose text shows the JSON-LD offer price
   (``$77.11``), the first one after the product's <h1> (else the first anywhere) that is not
   inside another product's card or the page's chrome (a link, a list item, a heading, an aside,
   a nav, a header or a footer).
2. Widened to its ancestors for as long as an ancestor holds price content only: no headings,
   links, images, lists, tables, forms, buttons or sections; no more than a short note besides
   its amounts ("Sold by the square foot"); no unit shown at two different amounts. The first
   ancestor that holds anything else (the product's heading, its description, a recommendation)
   is where the price element ends.
3. Only what that element contains is read.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborNode

from tileshop_pipelines.catalog.record import (
    AMOUNT_PATTERN,
    MAX_COVERAGE_SQFT,
    MAX_PRICE,
    PER_BOX_PATTERN,
    SQFT_PATTERN,
    parse_amount,
)

# "$77.11/box", "$ 12.99 / Sq. Ft.", "$35.99 per each"; the amount and unit may sit in separate spans.
# Both run on lowercased element text; patterns led by a literal keep the scan fast.
_UNIT_PRICE = re.compile(rf"\$\s*({AMOUNT_PATTERN})\s*(?:/|\bper\b)\s*({SQFT_PATTERN}|[a-z]+)")
_DOLLAR_AMOUNT = re.compile(rf"\$\s*({AMOUNT_PATTERN})")
# "10.76 sq. ft. per box"
_COVERAGE = re.compile(rf"(?<![\d,.])({AMOUNT_PATTERN})\s*{SQFT_PATTERN}{PER_BOX_PATTERN}")
_WORD = re.compile(r"[^\W_]+")
_UNIT_NAMES = {"ea": "each", "each": "each", "pc": "each", "pcs": "each", "piece": "each", "box": "box", "bag": "bag"}

# Elements a price element never contains: another product's card, the product's heading or
# description, navigation, media, forms. An ancestor holding one of them is past the price element.
_NOT_PRICE_CONTENT = frozenset(
    {
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "a",
        "img",
        "picture",
        "svg",
        "video",
        "iframe",
        "button",
        "input",
        "select",
        "textarea",
        "form",
        "section",
        "article",
        "aside",
        "nav",
        "header",
        "footer",
        "main",
        "ul",
        "ol",
        "li",
        "dl",
        "table",
    }
)
_NOT_PRICE_TAGS = _NOT_PRICE_CONTENT | {"body", "html"}
# A shown price inside one of these is another product's (a card, a carousel) or the page's chrome.
_OTHERS = frozenset({"a", "li", "h1", "h2", "h3", "h4", "h5", "h6", "aside", "nav", "header", "footer"})
# Words a price element may hold besides its amounts and units: a note ("Sold by the square foot",
# "Price per box"). A description, a product name with its size or a promo's pitch is longer.
_NOTE_WORDS = 8
# How many elements up from a "$" text the offer price's amount may be (`<span>$</span><span>77.11</span>`).
_AMOUNT_SPLIT_DEPTH = 3


@dataclass
class PriceBlock:
    unit: str | None = None  # the unit written next to the offer price
    unit_prices: dict[str, float] = field(default_factory=dict)  # unit -> amount shown in the price element
    coverage: float | None = None
    refused: list[str] = field(default_factory=list)  # shown amounts out of range, as warnings


def price_block(body: LexborNode | None, price: float | None) -> PriceBlock:
    """The unit of the offer price, plus the unit prices and coverage the product's own price
    element shows. Without the offer price shown on the page there is no price element and none
    of these values is stated."""
    if price is None or body is None:
        return PriceBlock()
    element = _offer_price_element(body, price)
    if element is None:
        return PriceBlock()
    read = None  # what the widest price element so far shows: its text, unit prices and coverage
    clean_child = None  # the element's subtree, once an ancestor check has found no non-price content in it
    while (parent := element.parent) is not None:
        parent_read = _price_content(parent, clean_child)
        if parent_read is None:
            break
        element, read, clean_child = parent, parent_read, parent
    if read is None:
        text = element.text(separator=" ", strip=True).lower()
        read = text, _unit_prices(text), _coverages(text)
    _, shown, coverages = read

    unit = next((unit for amount, unit in shown if _same_amount(amount, price)), None)
    unit_prices: dict[str, float] = {}
    for amount, item_unit in shown:
        unit_prices.setdefault(item_unit, amount)
    coverage = parse_amount(coverages[0]) if coverages else None

    refused = [
        f"invalid_price: the {unit} price shown, {amount:.6g}, is over {MAX_PRICE:,.0f}; refused"
        for unit, amount in unit_prices.items()
        if not amount <= MAX_PRICE
    ]
    if coverage is not None and not coverage <= MAX_COVERAGE_SQFT:
        refused.append(f"invalid_coverage: {coverage:.6g} sq. ft. per box is over {MAX_COVERAGE_SQFT:,.0f}; refused")
        coverage = None
    unit_prices = {unit: amount for unit, amount in unit_prices.items() if amount <= MAX_PRICE}
    return PriceBlock(unit=unit, unit_prices=unit_prices, coverage=coverage, refused=refused)


def _offer_price_element(body: LexborNode, price: float) -> LexborNode | None:
    """The innermost element showing the offer price: the first after the first <h1>, else the
    first anywhere; never one inside another product's card or the page's chrome.

    A text under one of _OTHERS can give no element (the walk up from it stops at that tag, or
    _inside_others finds it), so the walks skip those subtrees (the menus are most of a page). The
    <h1> is one of them: the walk starts after the outermost of them holding it (its fence), and
    goes over what comes before only when nothing after it shows the price."""
    if _inside_others(body):  # every candidate would be inside it
        return None
    root_id = body.mem_id
    fence = _heading_fence(body)
    if fence is not None:
        element = _first_price_element(_next_in_preorder(fence, root_id, descend=False), root_id, price, None)
        if element is not None:
            return element
    return _first_price_element(body, root_id, price, fence.mem_id if fence is not None else None)


def _first_price_element(node: LexborNode | None, root_id: int, price: float, stop_id: int | None) -> LexborNode | None:
    """The first element showing the price from `node` on in document order (within the root's
    subtree, skipping the subtrees of _OTHERS), until the one whose mem_id is `stop_id`."""
    while node is not None:
        tag = node.tag
        descend = True
        if tag in _OTHERS:
            if node.mem_id == stop_id:
                return None
            descend = False
        elif tag == "-text" and "$" in (node.text_content or ""):
            element = _shown_price_element(node, price)
            if element is not None and not _inside_others(element):
                return element
        node = _next_in_preorder(node, root_id, descend)
    return None


def _shown_price_element(text: LexborNode, price: float) -> LexborNode | None:
    """The element (the text's parent, or up to _AMOUNT_SPLIT_DEPTH - 1 above it) whose text shows
    the offer price as a dollar amount; None past a tag a price element never is."""
    element = text.parent
    for _ in range(_AMOUNT_SPLIT_DEPTH):
        if element is None or element.tag in _NOT_PRICE_TAGS:
            return None
        if any(
            _same_amount(parse_amount(m.group(1)), price)
            for m in _DOLLAR_AMOUNT.finditer(element.text(separator=" ", strip=True))
        ):
            return element
        element = element.parent
    return None


def _heading_fence(root: LexborNode) -> LexborNode | None:
    """The outermost of _OTHERS holding (or being) the first <h1> under `root` in document order:
    where a walk of the root's subtree that skips _OTHERS' subtrees passes that heading. None
    without an <h1> under `root`."""
    for heading in root.parser.tags("h1"):
        fence: LexborNode | None = None
        node: LexborNode | None = heading
        while node is not None:
            if node.mem_id == root.mem_id:
                return fence
            if node.tag in _OTHERS:
                fence = node
            node = node.parent
    return None


def _next_in_preorder(node: LexborNode, root_id: int, descend: bool) -> LexborNode | None:
    """The node after `node` in document order within the root's subtree (its first child unless
    not `descend`); None at the end."""
    if descend and (child := node.first_child) is not None:
        return child
    while node.mem_id != root_id:
        if (sibling := node.next) is not None:
            return sibling
        parent = node.parent
        if parent is None:
            return None
        node = parent
    return None


def _inside_others(element: LexborNode) -> bool:
    node: LexborNode | None = element
    while node is not None and node.tag not in ("body", "html"):
        if node.tag in _OTHERS:
            return True
        node = node.parent
    return False


def _price_content(
    element: LexborNode, clean_child: LexborNode | None
) -> tuple[str, list[tuple[float, str]], list[str]] | None:
    """When the element holds price content only: its lowercased text, the unit prices it shows
    (_unit_prices) and its coverage amounts (_coverages); else None. `clean_child`, a child already
    found to hold no non-price element, is not searched again."""
    if element.tag in _NOT_PRICE_TAGS or _holds_non_price_element(element, clean_child):
        return None
    text = element.text(separator=" ", strip=True).lower()
    shown = _unit_prices(text)
    amounts: dict[str, set[float]] = {}
    for amount, unit in shown:
        amounts.setdefault(unit, set()).add(amount)
    if any(len(amounts_shown) > 1 for amounts_shown in amounts.values()):
        return None  # two prices for one unit: two products' prices, or a promo's beside this one
    coverages = _coverages(text)
    if len(set(coverages)) > 1:
        return None
    words = _DOLLAR_AMOUNT.sub(" ", _UNIT_PRICE.sub(" ", text))
    if "sq" in words:  # _COVERAGE matches none without it (lowercased text)
        words = _COVERAGE.sub(" ", words)
    # A text of 2 * _NOTE_WORDS characters or fewer cannot hold more words (each needs a character
    # and one between): the common case, whose amounts and units were all the text there was.
    short = len(words) <= 2 * _NOTE_WORDS
    return (text, shown, coverages) if short or len(_WORD.findall(words)) <= _NOTE_WORDS else None


def _coverages(text: str) -> list[str]:
    """The amounts of every "N sq. ft. per box" in the (lowercased) text, in order; the scan,
    tried at every position, only where "sq" (of "sq. ft." or "square") is in it."""
    return [match.group(1) for match in _COVERAGE.finditer(text)] if "sq" in text else []


def _holds_non_price_element(element: LexborNode, clean_child: LexborNode | None) -> bool:
    """Whether an element below `element` (outside `clean_child`) is one of _NOT_PRICE_CONTENT.
    A walk of the tags, stopping at the first: a CSS query parsed its 30 selectors at every call,
    and each node is walked once however far the price element widens."""
    clean = clean_child.mem_id if clean_child is not None else None  # LexborNode's == compares HTML
    for child in element.iter():
        if child.mem_id != clean and any(node.tag in _NOT_PRICE_CONTENT for node in child.traverse()):
            return True
    return False


def _unit_prices(text: str) -> list[tuple[float, str]]:
    """(amount, unit) of every "$amount/unit" in the text, in order."""
    return [(parse_amount(match.group(1)), _unit_name(match.group(2))) for match in _UNIT_PRICE.finditer(text)]


def _same_amount(amount: float, price: float) -> bool:
    return abs(amount - price) < 0.005


@functools.lru_cache(maxsize=1024)
def _unit_name(text: str) -> str:
    word = "".join(text.split()).replace(".", "")
    if word in ("sqft", "squarefoot", "squarefeet"):
        return "sqft"
    return _UNIT_NAMES.get(word, word)
