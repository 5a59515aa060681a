"""Offline answers: no language model, the retrieved products speak for themselves.

Used when no Anthropic key is configured and whenever Claude fails after its retries. Only
structured fields (name, SKU, price, URL) are written: product descriptions never reach the
answer text, so text planted in a description cannot steer it. The answer is plain text, not
HTML: the chat page inserts it with textContent (escaping it here would show "&amp;"). A name is
written on one line, its control characters dropped, so it cannot forge lines of the answer.
"""

from __future__ import annotations

import re

from tileshop_pipelines.assistant.retrieval import ProductHit
from tileshop_pipelines.store.search import ProductFilters
from tileshop_pipelines.text.chunks import format_price

OFFLINE_NOTICE = "Offline answer (no language model was used): the closest products in the catalog are listed below."
_FILTER_LABELS = {"min_price": "price at least", "max_price": "price at most", "price_unit": "sold per",
                  "color": "color", "finish": "finish", "material": "material", "application": "application",
                  "size": "size"}
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


def offline_answer(hits: list[ProductHit], filters: ProductFilters | None = None,
                   relaxed: bool = False, reason: str | None = None) -> str:
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

