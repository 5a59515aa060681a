"""SQL for chunks, embeddings and the pgvector serving table, and vector search."""

from __future__ import annotations

import numpy as np
import psycopg

from tileshop_pipelines.text.chunks import Chunk


def existing_chunk_hashes(conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT chunk_id, text_hash FROM product_chunks").fetchall())


def sync_chunks(conn: psycopg.Connection, chunks: list[Chunk]) -> dict[str, int]:
    """Make product_chunks equal to `chunks`: insert new, update changed, delete vanished."""
    current = existing_chunk_hashes(conn)
    wanted = {c.chunk_id: c for c in chunks}
    if len(wanted) != len(chunks):
        raise ValueError("duplicate chunk ids in the chunk set")
    changed = [c for c in chunks if current.get(c.chunk_id) != c.text_hash]
    vanished = sorted(set(current) - set(wanted))
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO product_chunks (chunk_id, product_key, chunk_kind, ordinal, content, text_hash)
            VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT (chunk_id) DO UPDATE SET
                content = EXCLUDED.content, text_hash = EXCLUDED.text_hash, updated_at = now()
            """,
            [(c.chunk_id, c.product_key, c.kind, c.ordinal, c.content, c.text_hash) for c in changed],
        )
        if vanished:
            cur.execute("DELETE FROM product_chunks WHERE chunk_id = ANY(%s)", (vanished,))
    return {
        "chunks": len(wanted),
        "written": len(changed),
        "deleted": len(vanished),
        "unchanged": len(wanted) - len(changed),
    }


def chunks_to_embed(conn: psycopg.Connection, model: str) -> list[tuple[str, str, str]]:
    """(chunk_id, content, text_hash) of chunks with no embedding for their current text and model."""
    return [tuple(row) for row in conn.execute(
        """
        SELECT c.chunk_id, c.content, c.text_hash
        FROM product_chunks c LEFT JOIN product_embeddings e USING (chunk_id)
        WHERE e.chunk_id IS NULL OR e.text_hash <> c.text_hash OR e.model <> %s
        ORDER BY c.chunk_id
        """,
        (model,),
    )]


def save_embeddings(conn: psycopg.Connection, rows: list[tuple[str, str]], vectors: np.ndarray,
                    model: str) -> None:
    """rows: (chunk_id, text_hash) aligned with `vectors`."""
    if len(rows) != len(vectors):
        raise ValueError(f"{len(rows)} chunks but {len(vectors)} vectors")
    dim = int(vectors.shape[1]) if len(vectors) else 0
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO product_embeddings (chunk_id, text_hash, model, dim, embedding)
            VALUES (%s, %s, %s, %s, %s)
            ON CONFLICT (chunk_id) DO UPDATE SET
                text_hash = EXCLUDED.text_hash, model = EXCLUDED.model, dim = EXCLUDED.dim,
                embedding = EXCLUDED.embedding, embedded_at = now()
            """,
            [(cid, th, model, dim, vec) for (cid, th), vec in zip(rows, vectors)],
        )


def delete_orphan_embeddings(conn: psycopg.Connection) -> int:
    cur = conn.execute(
        "DELETE FROM product_embeddings e WHERE NOT EXISTS "
        "(SELECT 1 FROM product_chunks c WHERE c.chunk_id = e.chunk_id)"
    )
    return cur.rowcount


def sync_vectors(conn: psycopg.Connection) -> dict[str, int]:
    """Make product_vectors mirror the embedded chunks (content, metadata, embedding)."""
    with conn.transaction():
        upserted = conn.execute(
            """
            INSERT INTO product_vectors (id, product_key, chunk_kind, content, metadata, embedding, text_hash)
            SELECT c.chunk_id, c.product_key, c.chunk_kind, c.content,
                   jsonb_build_object('sku', p.sku, 'name', p.name, 'url', p.url, 'price', p.price,
                                      'price_unit', p.price_unit, 'chunk_kind', c.chunk_kind),
                   e.embedding, c.text_hash
            FROM product_chunks c
            JOIN product_embeddings e ON e.chunk_id = c.chunk_id AND e.text_hash = c.text_hash
            JOIN products p ON p.product_key = c.product_key
            ON CONFLICT (id) DO UPDATE SET
                content = EXCLUDED.content, metadata = EXCLUDED.metadata,
                embedding = EXCLUDED.embedding, text_hash = EXCLUDED.text_hash
            WHERE product_vectors.text_hash IS DISTINCT FROM EXCLUDED.text_hash
               OR product_vectors.embedding IS DISTINCT FROM EXCLUDED.embedding
               OR product_vectors.metadata IS DISTINCT FROM EXCLUDED.metadata
            """
        ).rowcount
        deleted = conn.execute(
            "DELETE FROM product_vectors v WHERE NOT EXISTS "
            "(SELECT 1 FROM product_chunks c WHERE c.chunk_id = v.id)"
        ).rowcount
        total = conn.execute("SELECT count(*) FROM product_vectors").fetchone()[0]
    return {"vectors": total, "written": upserted, "deleted": deleted}


def vector_search(conn: psycopg.Connection, query_embedding: np.ndarray, limit: int = 20) -> list[dict]:
    """Nearest chunks by cosine distance; ORDER BY distance LIMIT k so the HNSW index is used."""
    rows = conn.execute(
        """
        SELECT id, product_key, chunk_kind, content, metadata, 1 - (embedding <=> %(q)s) AS score
        FROM product_vectors
        ORDER BY embedding <=> %(q)s
        LIMIT %(k)s
        """,
        {"q": query_embedding, "k": limit},
    ).fetchall()
    keys = ("id", "product_key", "chunk_kind", "content", "metadata", "score")
    return [dict(zip(keys, row)) for row in rows]
