"""Questions -> products: embed the question, search product_vectors, fold chunks into products."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import psycopg

from tileshop_pipelines.embedding.model import DEFAULT_MODEL, embed_texts, load_model
from tileshop_pipelines.store.vectors import vector_search

CHUNKS_PER_PRODUCT_WANTED = 4  # search this many chunks per product asked for, then fold


@dataclass(frozen=True)
class ProductHit:
    sku: str | None
    name: str | None
    url: str | None
    price: float | None
    price_unit: str | None
    score: float
    product_key: str
    evidence: str  # the best-matching chunk's text

    def public(self) -> dict:
        data = asdict(self)
        data.pop("evidence")
        data.pop("product_key")
        return data


def embed_question(question: str, model_name: str = DEFAULT_MODEL):
    return embed_texts(load_model(model_name), [question])[0]


def fold_chunks(chunks: list[dict], limit: int) -> list[ProductHit]:
    """Best chunk per product, products ordered by that chunk's score."""
    best: dict[str, dict] = {}
    for chunk in chunks:
        key = chunk["product_key"]
        if key not in best or chunk["score"] > best[key]["score"]:
            best[key] = chunk
    hits = []
    for chunk in sorted(best.values(), key=lambda c: c["score"], reverse=True)[:limit]:
        meta = chunk["metadata"] or {}
        price = meta.get("price")
        hits.append(ProductHit(
            sku=meta.get("sku"), name=meta.get("name"), url=meta.get("url"),
            price=float(price) if price is not None else None, price_unit=meta.get("price_unit"),
            score=round(float(chunk["score"]), 4), product_key=chunk["product_key"],
            evidence=chunk["content"],
        ))
    return hits


def search_products(conn: psycopg.Connection, question: str, limit: int = 5) -> list[ProductHit]:
    question = question.strip()
    if not question:
        raise ValueError("the question is empty")
    chunks = vector_search(conn, embed_question(question), limit=limit * CHUNKS_PER_PRODUCT_WANTED)
    return fold_chunks(chunks, limit)
