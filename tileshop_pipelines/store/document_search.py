"""Retrieval over document_vectors (migration 022), and the documents' links to products.

- The SQL functions of migration 022 (the same a Supabase project exposes over rpc): vector,
  full-text and hybrid (reciprocal rank fusion) search, per passage.
- `linked_products`: the products that link each document now (current links, listed products),
  read at query time, so a hit names the products of today without its vector being rewritten.
- The documents and pages a given product links (`product_documents`, `product_document_pages`):
  what a question about one product, or its quantities, reads.
- `document_passages`: every passage of given documents, by the hybrid search's score over them
  alone (the named products' documents; the documents a question names, ranked by what it asks of
  them: assistant/passages.py).

Rows are dicts: id, document_id, page_number, content, metadata, score. Bound parameters only.
"""

from __future__ import annotations

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from tileshop_pipelines.store.search import RRF_K, SEMANTIC_WEIGHT

# hybrid_search_documents' defaults, as in the SQL function (migration 022 says how they were chosen).
FULL_TEXT_WEIGHT = 0.5
ROW_KEYS = ("id", "document_id", "page_number", "content", "metadata", "score")
# Products named per passage: a data sheet shared by 200 grouts names the first few by SKU and
# counts the rest.
MAX_LINKED_PRODUCTS = 5
# The products' link condition (store/document_chunks.py's _LINKED, per link).
_CURRENT_LINK = (
    "l.unlinked_at IS NULL AND EXISTS (SELECT 1 FROM listed_product_urls s WHERE s.product_key = l.product_key)"
)


def _rows(cur: psycopg.Cursor) -> list[dict]:
    return [dict(zip(ROW_KEYS, row, strict=True)) for row in cur.fetchall()]


def _check_count(match_count: int) -> None:
    if match_count < 1:
        raise ValueError(f"match_count must be >= 1, got {match_count}")


def match_documents(
    conn: psycopg.Connection, query_embedding: np.ndarray, match_count: int, filter: dict | None = None
) -> list[dict]:
    _check_count(match_count)
    return _rows(
        conn.execute(
            "SELECT * FROM match_documents(%s::vector, %s, %s)",
            (np.asarray(query_embedding, dtype=np.float32), match_count, Jsonb(filter or {})),
        )
    )


def fulltext_documents(
    conn: psycopg.Connection, query_text: str, match_count: int, filter: dict | None = None
) -> list[dict]:
    _check_count(match_count)
    return _rows(
        conn.execute("SELECT * FROM fulltext_documents(%s, %s, %s)", (query_text, match_count, Jsonb(filter or {})))
    )


def hybrid_search_documents(
    conn: psycopg.Connection,
    query_text: str,
    query_embedding: np.ndarray,
    match_count: int,
    filter: dict | None = None,
    full_text_weight: float = FULL_TEXT_WEIGHT,
    semantic_weight: float = SEMANTIC_WEIGHT,
    rrf_k: int = RRF_K,
) -> list[dict]:
    """Passages by the reciprocal rank fusion of their full-text and vector ranks."""
    _check_count(match_count)
    return _rows(
        conn.execute(
            "SELECT * FROM hybrid_search_documents(%s, %s::vector, %s, %s, %s, %s, %s)",
            (
                query_text,
                np.asarray(query_embedding, dtype=np.float32),
                match_count,
                full_text_weight,
                semantic_weight,
                rrf_k,
                Jsonb(filter or {}),
            ),
        )
    )


def linked_products(
    conn: psycopg.Connection, document_ids: list[int], limit: int = MAX_LINKED_PRODUCTS
) -> dict[int, dict]:
    """document_id -> {"count": listed products linking it now, "products": the first `limit`
    of them by SKU, each {product_key, sku, name, url}}."""
    rows = conn.execute(
        f"""
        SELECT l.document_id, count(*) OVER (PARTITION BY l.document_id),
               p.product_key, p.sku, p.name, p.url
          FROM document_links l JOIN products p ON p.product_key = l.product_key
         WHERE l.document_id = ANY(%s) AND {_CURRENT_LINK}
         ORDER BY l.document_id, p.sku NULLS LAST, p.product_key
        """,
        (document_ids,),
    ).fetchall()
    found: dict[int, dict] = {}
    for document_id, count, key, sku, name, url in rows:
        entry = found.setdefault(document_id, {"count": count, "products": []})
        if len(entry["products"]) < limit:
            entry["products"].append({"product_key": key, "sku": sku, "name": name, "url": url})
    return found


def product_documents(conn: psycopg.Connection, product_keys: list[str]) -> list[int]:
    """The documents these products link now, by id."""
    rows = conn.execute(
        "SELECT DISTINCT document_id FROM document_links "
        "WHERE product_key = ANY(%s) AND unlinked_at IS NULL ORDER BY document_id",
        (product_keys,),
    )
    return [document_id for (document_id,) in rows.fetchall()]


def document_passages(
    conn: psycopg.Connection,
    document_ids: list[int],
    query_text: str,
    query_embedding: np.ndarray,
    full_text_weight: float = FULL_TEXT_WEIGHT,
    semantic_weight: float = SEMANTIC_WEIGHT,
    rrf_k: int = RRF_K,
) -> list[dict]:
    """Every passage of these documents, best first by the hybrid search's score over them alone
    (hybrid_search_documents' reciprocal rank fusion and weights; every passage ranked, by exact
    distances: a few documents have a few dozen passages)."""
    if not document_ids:
        return []
    return _rows(
        conn.execute(
            """
        WITH these AS (
            SELECT v.id, v.embedding <=> %(q)s AS distance,
                   CASE WHEN v.fts @@ t.query THEN ts_rank(v.fts, t.query) END AS text_rank
              FROM document_vectors v, fulltext_query(%(text)s) AS t(query)
             WHERE v.document_id = ANY(%(ids)s)
        ), ranked AS (
            SELECT id, row_number() OVER (ORDER BY distance, id) AS semantic_ix,
                   CASE WHEN text_rank IS NOT NULL
                        THEN row_number() OVER (ORDER BY text_rank DESC NULLS LAST, id) END AS text_ix
              FROM these
        )
        SELECT v.id, v.document_id, v.page_number, v.content, v.metadata,
               (%(sw)s / (%(k)s + r.semantic_ix) + coalesce(%(fw)s / (%(k)s + r.text_ix), 0.0))::float8 AS score
          FROM ranked r JOIN document_vectors v ON v.id = r.id
         ORDER BY score DESC, v.id
        """,
            {
                "q": np.asarray(query_embedding, dtype=np.float32),
                "text": query_text,
                "ids": list(document_ids),
                "sw": semantic_weight,
                "fw": full_text_weight,
                "k": rrf_k,
            },
        )
    )


def product_document_pages(conn: psycopg.Connection, product_keys: list[str]) -> list[dict]:
    """Every page of the indexed documents these products link now: {document_id, title, url,
    page_number, text, product_key}, by product (in the given order), document and page."""
    rows = conn.execute(
        """
        SELECT l.product_key, d.document_id, c.title, d.url, g.page_number, g.text
          FROM document_links l
          JOIN documents d ON d.document_id = l.document_id
          JOIN LATERAL (SELECT title FROM document_chunks c WHERE c.document_id = d.document_id
                         ORDER BY c.chunk_id LIMIT 1) c ON TRUE
          JOIN document_pages g ON g.document_id = d.document_id
         WHERE l.product_key = ANY(%s) AND l.unlinked_at IS NULL
         ORDER BY array_position(%s, l.product_key), d.document_id, g.page_number
        """,
        (product_keys, product_keys),
    ).fetchall()
    keys = ("product_key", "document_id", "title", "url", "page_number", "text")
    return [dict(zip(keys, row, strict=True)) for row in rows]
