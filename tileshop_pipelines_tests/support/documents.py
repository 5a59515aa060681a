"""Documents written straight into migration 020's tables (documents, document_links,
document_pages), as the documents step stores them after a fetch and parse: for the tests of what
reads them (the document index, search, the assistant) without fetching PDFs."""

from __future__ import annotations

import hashlib

import psycopg


def store_document(conn: psycopg.Connection, url: str, name: str, pages: list[str],
                   products: list[str] = (), state: str = "ok") -> int:
    """A parsed document with these pages' text, linked to `products` (product keys); returns its id.
    Storing the same URL again replaces its text and name, as a new version would."""
    content_hash = hashlib.sha256("\f".join(pages).encode()).hexdigest()
    document_id = conn.execute(
        """
        INSERT INTO documents (url, host, name, state, content_hash, parsed_hash, page_count, byte_size,
                               content_type, fetched_at, parsed_at, checked_at)
        VALUES (%s, split_part(split_part(%s, '://', 2), '/', 1), %s, %s, %s, %s, %s, %s, 'application/pdf',
                now(), now(), now())
        ON CONFLICT (url) DO UPDATE SET name = EXCLUDED.name, state = EXCLUDED.state,
            content_hash = EXCLUDED.content_hash, parsed_hash = EXCLUDED.parsed_hash,
            page_count = EXCLUDED.page_count, parsed_at = now()
        RETURNING document_id
        """, (url, url, name, state, content_hash, content_hash, len(pages), sum(map(len, pages)))).fetchone()[0]
    conn.execute("DELETE FROM document_pages WHERE document_id = %s", (document_id,))
    for number, text in enumerate(pages, 1):
        conn.execute("INSERT INTO document_pages (document_id, page_number, content_hash, text) VALUES (%s, %s, %s, %s)",
                     (document_id, number, hashlib.sha256(text.encode()).hexdigest(), text))
    conn.execute("INSERT INTO document_history (document_id, content_hash, page_count) VALUES (%s, %s, %s)"
                 " ON CONFLICT DO NOTHING", (document_id, content_hash, len(pages)))
    for key in products:
        link(conn, document_id, key, name)
    return document_id


def link(conn: psycopg.Connection, document_id: int, product_key: str, name: str = "Document") -> None:
    conn.execute("""INSERT INTO document_links (document_id, product_key, name) VALUES (%s, %s, %s)
                    ON CONFLICT (document_id, product_key) DO UPDATE SET unlinked_at = NULL""",
                 (document_id, product_key, name))


def unlink(conn: psycopg.Connection, document_id: int, product_key: str) -> None:
    conn.execute("UPDATE document_links SET unlinked_at = now() WHERE document_id = %s AND product_key = %s",
                 (document_id, product_key))
