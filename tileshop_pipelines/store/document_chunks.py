"""SQL for the documents' chunks (migration 022); the rows they publish to document_vectors are
store/chunks.py's (DOCUMENT_TABLES).

A document is indexed while a listed product links it (a current document_links row: unlinked_at
NULL, the product in listed_product_urls) and its text is parsed (document_pages of parsed_hash).
It is chunked again only when its text, its name (the title the passages carry) or the chunker
changed since (`documents.chunked_as`). A document no listed product links any more leaves the
index (its chunks, embeddings and vectors); the document, its pages, links and history stay
(store/documents.py owns them).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from tileshop_pipelines.store import db
from tileshop_pipelines.store.tables import row_count
from tileshop_pipelines.text.document_chunks import DocumentChunk

# Linked: a current link from a product still in the sitemap (migration 009's view).
_LINKED = """EXISTS (SELECT 1 FROM document_links l
                     WHERE l.document_id = d.document_id AND l.unlinked_at IS NULL
                       AND EXISTS (SELECT 1 FROM listed_product_urls s WHERE s.product_key = l.product_key))"""
_PARSED = "d.parsed_hash IS NOT NULL AND EXISTS (SELECT 1 FROM document_pages g WHERE g.document_id = d.document_id)"
# What a document's chunks are made of besides the chunker: its parsed text and its name.
_MADE_OF = "md5(concat_ws('|', d.parsed_hash, d.name))"


def document_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Documents stored, with parsed text, and of those linked by a listed product."""
    total, parsed, indexed = db.one(
        conn.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {_PARSED}), count(*) FILTER (WHERE {_PARSED} AND {_LINKED})"
            " FROM documents d"
        )
    )
    return {"documents": total, "parsed_documents": parsed, "indexed_documents": indexed}


def indexed_documents_without_chunks(conn: psycopg.Connection) -> list[str]:
    """URLs of documents that should be in the index and have text, but no chunk."""
    return [
        row[0]
        for row in conn.execute(
            f"""SELECT d.url FROM documents d
             WHERE {_PARSED} AND {_LINKED}
               AND EXISTS (SELECT 1 FROM document_pages g WHERE g.document_id = d.document_id AND g.text ~ '\\w')
               AND NOT EXISTS (SELECT 1 FROM document_chunks c WHERE c.document_id = d.document_id)
             ORDER BY d.url"""
        )
    ]


def documents_to_chunk(conn: psycopg.Connection, signature: str) -> list[tuple[int, str, list[tuple[int, str]]]]:
    """(document_id, name, [(page_number, text)]) of linked, parsed documents whose chunks were not
    made from their current text and name with this chunker `signature`, in id order."""
    rows = conn.execute(
        f"""
        SELECT d.document_id, d.name,
               (SELECT array_agg(ARRAY[g.page_number::text, g.text] ORDER BY g.page_number)
                  FROM document_pages g WHERE g.document_id = d.document_id)
          FROM documents d
         WHERE {_PARSED} AND {_LINKED}
           AND d.chunked_as IS DISTINCT FROM {_MADE_OF} || ':' || %s
         ORDER BY d.document_id
        """,
        (signature,),
    ).fetchall()
    return [(document_id, name, [(int(n), text) for n, text in pages]) for document_id, name, pages in rows]


def sync_document_chunks(
    conn: psycopg.Connection, chunks: list[DocumentChunk], document_ids: list[int], signature: str
) -> dict[str, int]:
    """Make the chunks of `document_ids` equal to `chunks` (insert new, update changed, delete
    vanished), and mark those documents as chunked from their current text and name; one transaction."""
    outside = {c.document_id for c in chunks} - set(document_ids)
    if outside:
        raise ValueError(f"chunks of documents not being synced: {sorted(outside)[:5]}")
    wanted = {c.chunk_id: c for c in chunks}
    if len(wanted) != len(chunks):
        raise ValueError("duplicate chunk ids in the document chunk set")
    current: dict[str, str] = dict(
        conn.execute(
            "SELECT chunk_id, text_hash FROM document_chunks WHERE document_id = ANY(%s)", (document_ids,)
        ).fetchall()
    )
    changed = [c for c in chunks if current.get(c.chunk_id) != c.text_hash]
    vanished = sorted(set(current) - set(wanted))
    with conn.transaction(), conn.cursor() as cur:
        if changed:
            db.stage(
                cur,
                "document_chunks_load",
                {
                    "chunk_id": "text",
                    "document_id": "int8",
                    "page_number": "int4",
                    "section": "text",
                    "ordinal": "int4",
                    "title": "text",
                    "content": "text",
                    "text_hash": "text",
                },
                (
                    (c.chunk_id, c.document_id, c.page_number, c.section, c.ordinal, c.title, c.content, c.text_hash)
                    for c in changed
                ),
            )
            cur.execute(
                """
                INSERT INTO document_chunks (chunk_id, document_id, page_number, section, ordinal, title, content,
                                             text_hash)
                SELECT chunk_id, document_id, page_number, section, ordinal, title, content, text_hash
                  FROM document_chunks_load
                ON CONFLICT (chunk_id) DO UPDATE SET
                    page_number = EXCLUDED.page_number, section = EXCLUDED.section, ordinal = EXCLUDED.ordinal,
                    title = EXCLUDED.title, content = EXCLUDED.content, text_hash = EXCLUDED.text_hash,
                    updated_at = now()
                """
            )
        if vanished:
            cur.execute("DELETE FROM document_chunks WHERE chunk_id = ANY(%s)", (vanished,))
        if document_ids:
            cur.execute(
                f"UPDATE documents d SET chunked_as = {_MADE_OF} || ':' || %s WHERE d.document_id = ANY(%s)",
                (signature, document_ids),
            )
    return {"written": len(changed), "deleted": len(vanished), "unchanged": len(wanted) - len(changed)}


def drop_unindexed_document_chunks(conn: psycopg.Connection) -> int:
    """Delete the chunks of documents no listed product links any more (or whose text is gone);
    such documents are marked unchunked, so a document linked again is chunked again. Returns
    chunks deleted."""
    with conn.transaction():
        deleted = conn.execute(
            f"""DELETE FROM document_chunks c WHERE NOT EXISTS
                    (SELECT 1 FROM documents d WHERE d.document_id = c.document_id AND {_PARSED} AND {_LINKED})"""
        ).rowcount
        conn.execute(
            f"UPDATE documents d SET chunked_as = NULL WHERE chunked_as IS NOT NULL AND NOT ({_PARSED} AND {_LINKED})"
        )
    return deleted


def rechunk_changed_documents(
    conn: psycopg.Connection, signature: str, chunk: Callable[[int, str, list[tuple[int, str]]], list[DocumentChunk]]
) -> dict[str, int]:
    """Chunk the documents whose text, name or chunker changed (`documents_to_chunk`) with
    `chunk(document_id, name, pages)`, write their chunks, drop unlinked documents' chunks."""
    pending = documents_to_chunk(conn, signature)
    chunks = [c for document_id, name, pages in pending for c in chunk(document_id, name, pages)]
    written = sync_document_chunks(conn, chunks, [document_id for document_id, _, _ in pending], signature)
    dropped = drop_unindexed_document_chunks(conn)
    return {
        "chunks": row_count(conn, "document_chunks"),
        "written": written["written"],
        "deleted": written["deleted"] + dropped,
        "rechunked_documents": len(pending),
    }
