"""SQL for the pipeline's chunk and embedding tables, and the rows they publish to a vector store.

The embedding steps (`chunks_to_embed`, `save_embeddings`, `delete_orphan_embeddings`) serve the
products' tables and the documents' (`DOCUMENT_TABLES`, migration 022) alike, and so do
`published_source_hashes` / `published_rows` (what each publishes to its vector table); chunking the
documents is store/document_chunks.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import psycopg
from psycopg import sql

from tileshop_pipelines.store import db
from tileshop_pipelines.store.tables import row_count
from tileshop_pipelines.text.chunks import Chunk

# What a vector row carries besides its text: the product facts an answer cites or a filter uses.
_PRODUCT_ROWS = """
    SELECT c.chunk_id, c.product_key, c.chunk_kind, c.content, c.text_hash, e.embedding,
           jsonb_strip_nulls(jsonb_build_object(
               'sku', p.sku, 'name', p.name, 'url', p.url, 'price', p.price, 'price_unit', p.price_unit,
               'price_per_sqft', p.record->'price_per_sqft', 'category', p.record->'category',
               'material', p.record->'material', 'color', p.record->'color', 'finish', p.record->'finish',
               'size', p.record->'size', 'chunk_kind', c.chunk_kind)) AS metadata,
           e.model, e.dim
    FROM product_chunks c
    JOIN product_embeddings e ON e.chunk_id = c.chunk_id AND e.text_hash = c.text_hash AND e.model = %(model)s
    JOIN products p ON p.product_key = c.product_key
"""

# What a passage's vector row carries besides its text: the document it is from and where.
_DOCUMENT_ROWS = """
    SELECT c.chunk_id, c.document_id, c.page_number, c.content, c.text_hash, e.embedding,
           jsonb_strip_nulls(jsonb_build_object(
               'document_id', c.document_id, 'title', c.title, 'name', d.name, 'url', d.url,
               'page', c.page_number, 'page_count', d.page_count, 'section', nullif(c.section, ''))) AS metadata,
           e.model, e.dim
    FROM document_chunks c
    JOIN document_embeddings e ON e.chunk_id = c.chunk_id AND e.text_hash = c.text_hash AND e.model = %(model)s
    JOIN documents d ON d.document_id = c.document_id
"""


@dataclasses.dataclass(frozen=True)
class ChunkTables:
    """A chunk table, the embedding table keyed by its chunk ids, and the rows they publish to a
    vector table: `published` selects them (chunk_id, `keys`, content, text_hash, embedding,
    metadata, model, dim) for a model, `keys` are the two columns that place a row (its product and
    kind; its document and page)."""

    chunks: str
    embeddings: str
    published: str
    keys: tuple[str, str]


PRODUCT_TABLES = ChunkTables("product_chunks", "product_embeddings", _PRODUCT_ROWS, ("product_key", "chunk_kind"))
DOCUMENT_TABLES = ChunkTables("document_chunks", "document_embeddings", _DOCUMENT_ROWS, ("document_id", "page_number"))

# Listed: migration 009's view, the one definition of a product still in the sitemap.
_LISTED = "EXISTS (SELECT 1 FROM listed_product_urls s WHERE s.product_key = p.product_key)"


def product_counts(conn: psycopg.Connection) -> dict[str, int]:
    total, listed = db.one(conn.execute(f"SELECT count(*), count(*) FILTER (WHERE {_LISTED}) FROM products p"))
    return {"products": total, "listed": listed}


def existing_chunk_hashes(conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT chunk_id, text_hash FROM product_chunks").fetchall())


def records_to_chunk(conn: psycopg.Connection, signature: str) -> list[tuple[str, dict]]:
    """(product_key, record) of listed products whose chunks were not made from their current
    record with this chunker `signature` (new, changed, re-listed, or a new chunker), in key order."""
    return [
        tuple(row)
        for row in conn.execute(
            f"""
        SELECT p.product_key, p.record FROM products p
         WHERE {_LISTED} AND p.chunked_as IS DISTINCT FROM p.record_hash || ':' || %s
         ORDER BY p.product_key
        """,
            (signature,),
        )
    ]


def sync_chunks(
    conn: psycopg.Connection, chunks: list[Chunk], product_keys: list[str] | None = None, signature: str | None = None
) -> dict[str, int]:
    """Make product_chunks equal to `chunks`: insert new, update changed, delete vanished.

    With `product_keys`, only those products' chunks are compared and replaced (the others stay)
    and, given the chunker `signature`, the products are marked as chunked from their current record.
    """
    if product_keys is None:
        current = existing_chunk_hashes(conn)
    else:
        current = dict(
            conn.execute(
                "SELECT chunk_id, text_hash FROM product_chunks WHERE product_key = ANY(%s)", (product_keys,)
            ).fetchall()
        )
        outside = {c.product_key for c in chunks} - set(product_keys)
        if outside:
            raise ValueError(f"chunks of products not being synced: {sorted(outside)[:5]}")
    wanted = {c.chunk_id: c for c in chunks}
    if len(wanted) != len(chunks):
        raise ValueError("duplicate chunk ids in the chunk set")
    changed = [c for c in chunks if current.get(c.chunk_id) != c.text_hash]
    vanished = sorted(set(current) - set(wanted))
    with conn.transaction(), conn.cursor() as cur:
        if changed:
            db.stage(
                cur,
                "chunks_load",
                {
                    "chunk_id": "text",
                    "product_key": "text",
                    "chunk_kind": "text",
                    "ordinal": "int4",
                    "content": "text",
                    "text_hash": "text",
                },
                ((c.chunk_id, c.product_key, c.kind, c.ordinal, c.content, c.text_hash) for c in changed),
            )
            cur.execute(
                """
                INSERT INTO product_chunks (chunk_id, product_key, chunk_kind, ordinal, content, text_hash)
                SELECT chunk_id, product_key, chunk_kind, ordinal, content, text_hash FROM chunks_load
                ON CONFLICT (chunk_id) DO UPDATE SET
                    content = EXCLUDED.content, text_hash = EXCLUDED.text_hash, updated_at = now()
                """
            )
        if vanished:
            cur.execute("DELETE FROM product_chunks WHERE chunk_id = ANY(%s)", (vanished,))
        if product_keys and signature is not None:
            cur.execute(
                "UPDATE products SET chunked_as = record_hash || ':' || %s WHERE product_key = ANY(%s)",
                (signature, product_keys),
            )
    return {
        "chunks": len(wanted),
        "written": len(changed),
        "deleted": len(vanished),
        "unchanged": len(wanted) - len(changed),
    }


def rechunk_changed_products(
    conn: psycopg.Connection, signature: str, chunk: Callable[[str, dict], list[Chunk]]
) -> dict[str, int]:
    """Chunk the listed products whose record or chunker changed (`records_to_chunk`) with
    `chunk(product_key, record)`, write their chunks, drop delisted products' chunks."""
    pending = records_to_chunk(conn, signature)
    chunks = [c for key, record in pending for c in chunk(key, record)]
    written = sync_chunks(conn, chunks, [key for key, _ in pending], signature)
    delisted = drop_delisted_chunks(conn)
    return {
        "chunks": row_count(conn, "product_chunks"),
        "written": written["written"],
        "deleted": written["deleted"] + delisted,
        "rechunked_products": len(pending),
    }


def drop_delisted_chunks(conn: psycopg.Connection) -> int:
    """Delete the chunks of products no longer listed (or no longer stored); such products are
    marked unchunked, so a product listed again is chunked again. Returns chunks deleted."""
    with conn.transaction():
        deleted = conn.execute(
            f"""
            DELETE FROM product_chunks c WHERE NOT EXISTS
                (SELECT 1 FROM products p WHERE p.product_key = c.product_key AND {_LISTED})
            """
        ).rowcount
        conn.execute(f"UPDATE products p SET chunked_as = NULL WHERE chunked_as IS NOT NULL AND NOT {_LISTED}")
    return deleted


def chunks_to_embed(
    conn: psycopg.Connection, model: str, dim: int, tables: ChunkTables = PRODUCT_TABLES
) -> list[tuple[str, str, str]]:
    """(chunk_id, content, text_hash) of chunks with no embedding for their current text, model and
    dimension."""
    return [
        tuple(row)
        for row in conn.execute(
            sql.SQL(
                """
        SELECT c.chunk_id, c.content, c.text_hash
        FROM {chunks} c LEFT JOIN {embeddings} e USING (chunk_id)
        WHERE e.chunk_id IS NULL OR e.text_hash <> c.text_hash OR e.model <> %s OR e.dim <> %s
        ORDER BY c.chunk_id
        """
            ).format(chunks=sql.Identifier(tables.chunks), embeddings=sql.Identifier(tables.embeddings)),
            (model, dim),
        )
    ]


def save_embeddings(
    conn: psycopg.Connection,
    rows: list[tuple[str, str]],
    vectors: np.ndarray,
    model: str,
    tables: ChunkTables = PRODUCT_TABLES,
) -> None:
    """rows: (chunk_id, text_hash) aligned with `vectors`. One transaction: binary COPY into a
    staging table, then one upsert, so a failure leaves none of the batch behind."""
    if len(rows) != len(vectors):
        raise ValueError(f"{len(rows)} chunks but {len(vectors)} vectors")
    if not rows:
        return
    dim = int(vectors.shape[1])
    with conn.transaction(), conn.cursor() as cur:
        db.stage(
            cur,
            "embeddings_load",
            {"chunk_id": "text", "text_hash": "text", "model": "text", "dim": "int4", "embedding": "vector"},
            (
                (chunk_id, text_hash, model, dim, vector)
                for (chunk_id, text_hash), vector in zip(rows, vectors, strict=True)
            ),
        )
        cur.execute(
            sql.SQL(
                """
            INSERT INTO {embeddings} (chunk_id, text_hash, model, dim, embedding)
            SELECT chunk_id, text_hash, model, dim, embedding FROM embeddings_load
            ON CONFLICT (chunk_id) DO UPDATE SET
                text_hash = EXCLUDED.text_hash, model = EXCLUDED.model, dim = EXCLUDED.dim,
                embedding = EXCLUDED.embedding, embedded_at = now()
            """
            ).format(embeddings=sql.Identifier(tables.embeddings))
        )


def delete_orphan_embeddings(conn: psycopg.Connection, tables: ChunkTables = PRODUCT_TABLES) -> int:
    cur = conn.execute(
        sql.SQL(
            "DELETE FROM {embeddings} e WHERE NOT EXISTS (SELECT 1 FROM {chunks} c WHERE c.chunk_id = e.chunk_id)"
        ).format(chunks=sql.Identifier(tables.chunks), embeddings=sql.Identifier(tables.embeddings))
    )
    return cur.rowcount


def published_source_hashes(
    conn: psycopg.Connection, model: str, tables: ChunkTables = PRODUCT_TABLES
) -> dict[str, str]:
    """chunk id -> hash of everything its vector row is made of (text, model, metadata)."""
    return dict(
        conn.execute(
            f"SELECT chunk_id, md5(concat_ws('|', text_hash, model, dim, metadata::text)) FROM ({tables.published}) r",
            {"model": model},
        ).fetchall()
    )


def published_rows(
    conn: psycopg.Connection, model: str, ids: list[str], tables: ChunkTables = PRODUCT_TABLES
) -> list[dict]:
    """The vector rows (the vector table's columns) of the given chunk ids. Binary results: 384
    floats per row parse far faster than their text form."""
    first, second = tables.keys
    rows = (
        conn.cursor(binary=True)
        .execute(
            f"""SELECT chunk_id, {first}, {second}, content, metadata, embedding, text_hash,
                   md5(concat_ws('|', text_hash, model, dim, metadata::text))
            FROM ({tables.published} WHERE c.chunk_id = ANY(%(ids)s)) r ORDER BY chunk_id""",
            {"model": model, "ids": ids},
        )
        .fetchall()
    )
    keys = ("id", first, second, "content", "metadata", "embedding", "text_hash", "source_hash")
    return [dict(zip(keys, row, strict=True)) for row in rows]
