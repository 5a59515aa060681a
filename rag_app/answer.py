"""Answers built from retrieved products. Offline mode: no LLM, the products speak for themselves."""

from __future__ import annotations

from rag_app.retrieval import ProductHit
from tileshop_pipelines.text.chunks import format_price

OFFLINE_NOTICE = "Offline answer (no language model was used): the closest products in the catalog are listed below."


def offline_answer(question: str, hits: list[ProductHit]) -> str:
    if not hits:
        return f"{OFFLINE_NOTICE}\nNo product in the catalog matches {question!r}."
    lines = [OFFLINE_NOTICE]
    for i, hit in enumerate(hits, 1):
        price = format_price(hit.price, hit.price_unit) or "price not stated"
        lines.append(f"{i}. {hit.name} (SKU {hit.sku}): {price}. {hit.url}")
    return "\n".join(lines)


def answer_question(conn, question: str, limit: int = 5) -> dict:
    from rag_app.retrieval import search_products

    hits = search_products(conn, question, limit=limit)
    return {
        "answer": offline_answer(question, hits),
        "mode": "offline",
        "products": [hit.public() for hit in hits],
    }
