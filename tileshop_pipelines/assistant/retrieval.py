"""Questions -> products, and the passages of the store's documents that answer them.

1. A SKU in the question is looked up exactly first.
2. Filters (given, or parsed from the question) restrict the search in SQL.
3. `store.search.search_chunks` finds the nearest chunks (hybrid search, or vector search within
   the filters), chunks are folded into products, and the products' records are read for the
   facts shown and sent to the model.
4. For a question the documents answer (passages.documents_answer: it asks how, or a passage is
   nearer to it than any product), the passages of the store's documents (passages.py): of the
   named products' documents first, then hybrid search over every document's passages, those of
   the documents it names ranked by what it asks of them (given the query encoder). A question is
   answered by products, passages or both.

The SQL is the store's (store.search, store.product_lookup); this module only calls it.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable

import numpy as np
import psycopg

from tileshop_pipelines.assistant.filters import ParsedQuestion, Vocabulary, parse_question
from tileshop_pipelines.assistant.passages import PassageHit, documents_answer, retrieve_passages
from tileshop_pipelines.embedding.model import DEFAULT_MODEL, embed_texts, load_model
from tileshop_pipelines.store.product_lookup import products_by_key, products_by_sku
from tileshop_pipelines.store.search import ProductFilters, filter_vocabulary, search_chunks

CHUNKS_PER_PRODUCT_WANTED = 4  # search this many chunks per product asked for, then fold
VOCABULARY_TTL_S = 300.0


@dataclasses.dataclass(frozen=True)
class ProductHit:
    sku: str | None
    name: str | None
    url: str | None
    price: float | None
    price_unit: str | None
    score: float
    product_key: str
    record: dict = dataclasses.field(default_factory=dict, repr=False)

    @property
    def image(self) -> str | None:
        images = self.record.get("images") or []
        return images[0] if images else None

    def public(self) -> dict:
        """The fields `tileshop ask` prints."""
        return {
            "sku": self.sku,
            "name": self.name,
            "url": self.url,
            "price": self.price,
            "price_unit": self.price_unit,
            "score": self.score,
        }

    def card(self) -> dict:
        """The fields the app's API and chat page show (the facts the record states)."""
        record = self.record or {}
        per_sqft = record.get("price_per_sqft")
        if per_sqft is None and self.price_unit == "sqft":
            per_sqft = self.price
        return {
            **self.public(),
            "image": self.image,
            "size": record.get("size"),
            "color": record.get("color"),
            "finish": record.get("finish"),
            "coverage_sqft_per_unit": record.get("coverage_sqft_per_box"),
            "price_per_sqft": per_sqft,
        }


@dataclasses.dataclass(frozen=True)
class Retrieval:
    hits: list[ProductHit]
    parsed: ParsedQuestion
    filters: ProductFilters  # the filters applied to the search
    relaxed: bool  # True when filters read from the question matched nothing and were dropped
    seconds: float
    passages: list[PassageHit] = dataclasses.field(default_factory=list)


def embed_question(question: str, model_name: str = DEFAULT_MODEL) -> np.ndarray:
    return embed_texts(load_model(model_name), [question])[0]


# --- vocabulary -----------------------------------------------------------------------------
def load_vocabulary(conn: psycopg.Connection) -> Vocabulary:
    """Colors, finishes, materials and applications in the catalog."""
    found = filter_vocabulary(conn)
    return Vocabulary(
        colors=found["color"], finishes=found["finish"], materials=found["material"], applications=found["application"]
    )


class VocabularyCache:
    """The catalog vocabulary, re-read at most every `ttl_s` seconds."""

    def __init__(self, ttl_s: float = VOCABULARY_TTL_S):
        self.ttl_s = ttl_s
        self._value: Vocabulary | None = None
        self._loaded_at = 0.0

    def get(self, conn: psycopg.Connection) -> Vocabulary:
        now = time.monotonic()
        if self._value is None or now - self._loaded_at > self.ttl_s:
            self._value = load_vocabulary(conn)
            self._loaded_at = now
        return self._value


# --- folding --------------------------------------------------------------------------------
def fold_chunks(chunks: list[dict], limit: int) -> list[dict]:
    """Best chunk per product, products ordered by that chunk's score."""
    best: dict[str, dict] = {}
    for chunk in chunks:
        key = chunk["product_key"]
        if key not in best or chunk["score"] > best[key]["score"]:
            best[key] = chunk
    return sorted(best.values(), key=lambda c: c["score"], reverse=True)[:limit]


def hit_from_product(product: dict, score: float) -> ProductHit:
    return ProductHit(
        sku=product["sku"],
        name=product["name"],
        url=product["url"],
        price=product["price"],
        price_unit=product["price_unit"],
        score=round(float(score), 4),
        product_key=product["product_key"],
        record=product["record"],
    )


def retrieve(
    conn: psycopg.Connection,
    question: str,
    query_embedding: np.ndarray,
    *,
    limit: int = 5,
    filters: ProductFilters | None = None,
    vocabulary: Vocabulary | None = None,
    embed: Callable[[str], np.ndarray] | None = None,
) -> Retrieval:
    """SKU matches first, then the nearest products under the filters.

    Explicit `filters` win over those read from the question. When only question-derived filters
    are in play and nothing matches them, the search runs again without them (`relaxed`). `embed`
    (the query encoder) ranks the passages of the documents a question names by what it asks
    (passages.retrieve_passages); without it they keep the hybrid search's order.
    """
    started = time.perf_counter()
    question = question.strip()
    if not question:
        raise ValueError("the question is empty")
    parsed = parse_question(question, vocabulary or load_vocabulary(conn))
    explicit = filters or ProductFilters()
    applied = parsed.filters.merged(explicit)
    hits: list[ProductHit] = []
    for product in products_by_sku(conn, list(parsed.skus)):
        hits.append(hit_from_product(product, 1.0))
    embed = functools.lru_cache(maxsize=2)(embed) if embed is not None else None  # the asked part, once
    passages = (
        retrieve_passages(conn, question, query_embedding, product_keys=[h.product_key for h in hits], embed=embed)
        if documents_answer(conn, question, query_embedding, embed)
        else []
    )
    relaxed = False
    wanted = limit - len(hits)
    if wanted > 0:
        folded = fold_chunks(
            search_chunks(conn, question, query_embedding, limit * CHUNKS_PER_PRODUCT_WANTED, applied), limit
        )
        if not folded and applied != explicit:
            relaxed = True
            applied = explicit
            folded = fold_chunks(
                search_chunks(conn, question, query_embedding, limit * CHUNKS_PER_PRODUCT_WANTED, applied), limit
            )
        seen = {h.product_key for h in hits}
        folded = [c for c in folded if c["product_key"] not in seen][:wanted]
        records = products_by_key(conn, [c["product_key"] for c in folded])
        hits += [hit_from_product(records[c["product_key"]], c["score"]) for c in folded if c["product_key"] in records]
    return Retrieval(
        hits=hits,
        parsed=parsed,
        filters=applied,
        relaxed=relaxed,
        seconds=time.perf_counter() - started,
        passages=passages,
    )
