"""Recall@k and MRR of the three retrieval modes on a question set, against a vector store.

Searches return chunks; a product's rank is the rank of its best chunk (chunks folded into
products, as the app shows them). recall@k = |relevant in the top k products| / min(|relevant|, k);
MRR = mean of 1 / rank of the first relevant product (0 when none is among the products found).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tileshop_pipelines.evaluation.questions import Question
from tileshop_pipelines.store.product_vectors import VectorStore

MODES = ("vector", "fulltext", "hybrid")
CHUNKS_PER_QUESTION = 40


class EvaluationError(RuntimeError):
    pass


def ranked_products(chunks: list[dict]) -> list[str]:
    """Product keys in the order of their first (best) chunk."""
    return list(dict.fromkeys(chunk["product_key"] for chunk in chunks))


def recall_at(ranked: list[str], relevant: frozenset[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / min(len(relevant), k)


def reciprocal_rank(ranked: list[str], relevant: frozenset[str]) -> float:
    return next((1.0 / rank for rank, key in enumerate(ranked, 1) if key in relevant), 0.0)


def search(store: VectorStore, mode: str, text: str, embedding: np.ndarray, count: int) -> list[dict]:
    if mode == "vector":
        return store.match_products(embedding, count)
    if mode == "fulltext":
        return store.fulltext_search(text, count)
    if mode == "hybrid":
        return store.hybrid_search(text, embedding, count)
    raise ValueError(f"unknown retrieval mode {mode!r}; expected one of {MODES}")


def stored_product_keys(store: VectorStore) -> set[str]:
    return {chunk_id.rsplit(":", 2)[0] for chunk_id in store.source_hashes()}


def evaluate(
    store: VectorStore, questions: list[Question], embed: Callable[[list[str]], np.ndarray], k: int = 5
) -> dict:
    """{"questions": N, "modes": {mode: {"recall@k", "mrr"}}, "by_kind": {kind: {mode: {...}}}}."""
    if not questions:
        raise EvaluationError("the question set is empty")
    stored = stored_product_keys(store)
    expected = set().union(*(q.relevant for q in questions))
    missing = expected - stored
    if missing:
        raise EvaluationError(
            f"the vector store lacks {len(missing)} of the {len(expected)} products the questions are about "
            f"(e.g. {sorted(missing)[:3]}); materialize the same sample catalog first"
        )
    embeddings = embed([q.text for q in questions])
    scores: dict[str, dict[str, list[tuple[float, float]]]] = {m: {} for m in MODES}
    for question, embedding in zip(questions, embeddings, strict=True):
        for mode in MODES:
            ranked = ranked_products(search(store, mode, question.text, embedding, CHUNKS_PER_QUESTION))
            scores[mode].setdefault(question.kind, []).append(
                (recall_at(ranked, question.relevant, k), reciprocal_rank(ranked, question.relevant))
            )

    def summary(pairs: list[tuple[float, float]]) -> dict:
        return {
            f"recall@{k}": round(float(np.mean([r for r, _ in pairs])), 4),
            "mrr": round(float(np.mean([m for _, m in pairs])), 4),
        }

    kinds = list(dict.fromkeys(q.kind for q in questions))
    return {
        "questions": len(questions),
        "modes": {m: summary([p for kind in kinds for p in scores[m][kind]]) for m in MODES},
        "by_kind": {
            kind: {"questions": len(scores[MODES[0]][kind]), **{m: summary(scores[m][kind]) for m in MODES}}
            for kind in kinds
        },
    }
