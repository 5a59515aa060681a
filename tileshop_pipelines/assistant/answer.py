"""Offline answers: no language model, the retrieved products and passages speak for themselves.

Used when no Anthropic key is configured and whenever Claude fails after its retries. Of products
only structured fields (name, SKU, price, URL) are written: product descriptions never reach the
answer text, so text planted in a description cannot steer it. A document's passage is quoted, as
data: each of its lines on a line of its own behind "> " (a quotation in the Markdown the chat
page renders, with raw HTML off and links only to the store; inside the numbered item naming its
document), its control characters dropped, so it cannot forge a line of the answer; the document,
page and products around it are ours. A name is written on one line, its control characters
dropped, so it cannot forge lines of the answer.
"""

from __future__ import annotations

import re

from tileshop_pipelines.assistant.passages import PassageHit, linked_text, quote
from tileshop_pipelines.assistant.retrieval import ProductHit
from tileshop_pipelines.store.search import ProductFilters
from tileshop_pipelines.text.chunks import format_price

OFFLINE_NOTICE = "Offline answer (no language model was used): the closest products in the catalog are listed below."
PASSAGE_NOTICE = "Offline answer (no language model was used): from the store's own documents."
PASSAGES_QUOTED = 3  # the right passage is among the best 2 for 91% of the how-to suite, 3 for 96%
_FILTER_LABELS = {
    "min_price": "price at least",
    "max_price": "price at most",
    "price_unit": "sold per",
    "color": "color",
    "finish": "finish",
    "material": "material",
    "application": "application",
    "size": "size",
}
_BASIS_LABELS = {"box": " per box", "sqft": " per sq. ft.", "unit": ""}
MAX_NAME_CHARS = 200
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")  # controls, C1, Unicode line separators


def one_line(text: str | None, limit: int = MAX_NAME_CHARS) -> str:
    """Catalog text as one line of at most `limit` characters."""
    line = " ".join(_LINE_BREAKING.sub(" ", text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe_filters(filters: ProductFilters) -> str:
    active = filters.active()
    parts = []
    for name, label in _FILTER_LABELS.items():
        if name not in active:
            continue
        value = active[name]
        if name in ("min_price", "max_price"):
            value = f"${value:,.2f}{_BASIS_LABELS[filters.price_basis]}"
        parts.append(f"{label} {value}")
    return ", ".join(parts)


def offline_answer(
    hits: list[ProductHit], filters: ProductFilters | None = None, relaxed: bool = False, reason: str | None = None
) -> str:
    lines = [OFFLINE_NOTICE]
    if reason:
        lines.append(f"({reason})")
    if filters:
        lines.append(f"Filters applied: {describe_filters(filters)}.")
    if relaxed:
        lines.append("No product matched every detail of the question, so these are the closest overall.")
    if not hits:
        lines.append("No product in the catalog matches this question.")
        return "\n".join(lines)
    for i, hit in enumerate(hits, 1):
        price = format_price(hit.price, hit.price_unit) or "price not stated"
        lines.append(f"{i}. {one_line(hit.name)} (SKU {hit.sku}): {price}. {hit.url}")
    return "\n".join(lines)


def passage_lines(passage: PassageHit, question: str, number: int) -> list[str]:
    """'1. <document>, page <n> (<section>), for <product>:', then inside that item of the numbered
    list (indented to the item's text, so that Markdown keeps them in it and the next passage goes on
    as item 2, not as a list of its own or as a line of the quotation) the page's address and the
    quoted lines."""
    where = f"{one_line(passage.title)}, page {passage.page}"
    if passage.section:
        where += f" ({one_line(passage.section, 80)})"
    linked = linked_text(passage)
    head = f"{number}. {where}" + (f", for {one_line(linked, 300)}:" if linked else ":")
    indent = " " * len(f"{number}. ")
    return [head, indent + passage.source, *(f"{indent}> {one_line(line, 300)}" for line in quote(passage, question))]


def passage_answer(question: str, passages: list[PassageHit], hits: list[ProductHit], reason: str | None = None) -> str:
    """The offline answer to a question that asks how: the best passages quoted, each naming its
    document, page and the products that link it, then the closest products."""
    lines = [PASSAGE_NOTICE]
    if reason:
        lines.append(f"({reason})")
    for i, passage in enumerate(passages[:PASSAGES_QUOTED], 1):
        lines += passage_lines(passage, question, i)
    if hits:  # after a blank line: a list of its own, not more lines of the last quotation
        lines += ["", "Closest products in the catalog:"]
        for i, hit in enumerate(hits, 1):
            price = format_price(hit.price, hit.price_unit) or "price not stated"
            lines.append(f"{i}. {one_line(hit.name)} (SKU {hit.sku}): {price}. {hit.url}")
    return "\n".join(lines)
