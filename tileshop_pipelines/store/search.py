"""Retrieval over product_vectors through the SQL functions of migrations 003 and 006 (the same
functions a Supabase project exposes over rpc): vector, full-text and hybrid (reciprocal rank fusion).
Full-text ranking is per product (product_search_text: each product's whole text in one row).

Every function returns chunks as dicts: id, product_key, chunk_kind, content, metadata, score.
"""

from __future__ import annotations

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

ROW_KEYS = ("id", "product_key", "chunk_kind", "content", "metadata", "score")
# hybrid_search's defaults, as in the SQL function (migration 006 says how they were chosen).
FULL_TEXT_WEIGHT = 1.5
SEMANTIC_WEIGHT = 1.0
RRF_K = 10


def _rows(cur: psycopg.Cursor) -> list[dict]:
    return [dict(zip(ROW_KEYS, row)) for row in cur.fetchall()]


def _check_count(match_count: int) -> None:
    if match_count < 1:
        raise ValueError(f"match_count must be >= 1, got {match_count}")


def match_products(conn: psycopg.Connection, query_embedding: np.ndarray, match_count: int,
                   filter: dict | None = None) -> list[dict]:
    """Nearest chunks by cosine similarity; `filter` is a jsonb containment test on metadata."""
    _check_count(match_count)
    return _rows(conn.execute(
        "SELECT * FROM match_products(%s::vector, %s, %s)",
        (np.asarray(query_embedding, dtype=np.float32), match_count, Jsonb(filter or {})),
    ))


def fulltext_search(conn: psycopg.Connection, query_text: str, match_count: int,
                    filter: dict | None = None) -> list[dict]:
    """Chunks matching any stemmed word of the query, of the products whose whole text ranks best by
    ts_rank (name and SKU weigh most); each chunk carries its product's score."""
    _check_count(match_count)
    return _rows(conn.execute("SELECT * FROM fulltext_search(%s, %s, %s)",
                              (query_text, match_count, Jsonb(filter or {}))))


def hybrid_search(conn: psycopg.Connection, query_text: str, query_embedding: np.ndarray, match_count: int,
                  filter: dict | None = None, full_text_weight: float = FULL_TEXT_WEIGHT,
                  semantic_weight: float = SEMANTIC_WEIGHT, rrf_k: int = RRF_K) -> list[dict]:
    """Full-text and vector rankings fused by reciprocal rank: score = sum of weight / (rrf_k + rank)."""
    _check_count(match_count)
    return _rows(conn.execute(
        "SELECT * FROM hybrid_search(%s, %s::vector, %s, %s, %s, %s, %s)",
        (query_text, np.asarray(query_embedding, dtype=np.float32), match_count, full_text_weight,
         semantic_weight, rrf_k, Jsonb(filter or {})),
    ))
