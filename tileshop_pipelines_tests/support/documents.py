"""Documents written straight into migration 020's tables (documents, document_links,
document_pages), as the documents step stores them after a fetch and parse: for the tests of what
reads them (the document index, search, the assistant) without the documents step."""

from __future__ import annotations

import hashlib
import io

import psycopg

from tileshop_pipelines.store.documents import document_host


def store_document(
    conn: psycopg.Connection, url: str, name: str, pages: list[str], products: list[str] = (), state: str = "ok"
) -> int:
    """A parsed document with these pages' text, linked to `products` (product keys); returns its id.
    Storing the same URL again replaces its text and name, as a new version would."""
    content_hash = hashlib.sha256("\f".join(pages).encode()).hexdigest()
    document_id = conn.execute(
        """
        INSERT INTO documents (url, host, name, state, content_hash, parsed_hash, page_count, byte_size,
                               content_type, fetched_at, parsed_at, checked_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'application/pdf', now(), now(), now())
        ON CONFLICT (url) DO UPDATE SET name = EXCLUDED.name, state = EXCLUDED.state,
            content_hash = EXCLUDED.content_hash, parsed_hash = EXCLUDED.parsed_hash,
            page_count = EXCLUDED.page_count, parsed_at = now()
        RETURNING document_id
        """,
        (url, document_host(url), name, state, content_hash, content_hash, len(pages), sum(map(len, pages))),
    ).fetchone()[0]
    conn.execute("DELETE FROM document_pages WHERE document_id = %s", (document_id,))
    for number, text in enumerate(pages, 1):
        conn.execute(
            "INSERT INTO document_pages (document_id, page_number, content_hash, text) VALUES (%s, %s, %s, %s)",
            (document_id, number, hashlib.sha256(text.encode()).hexdigest(), text),
        )
    conn.execute(
        "INSERT INTO document_history (document_id, content_hash, page_count) VALUES (%s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (document_id, content_hash, len(pages)),
    )
    for key in products:
        link(conn, document_id, key, name)
    return document_id


def link(conn: psycopg.Connection, document_id: int, product_key: str, name: str = "Document") -> None:
    conn.execute(
        """INSERT INTO document_links (document_id, product_key, name) VALUES (%s, %s, %s)
                    ON CONFLICT (document_id, product_key) DO UPDATE SET unlinked_at = NULL""",
        (document_id, product_key, name),
    )


def unlink(conn: psycopg.Connection, document_id: int, product_key: str) -> None:
    conn.execute(
        "UPDATE document_links SET unlinked_at = now() WHERE document_id = %s AND product_key = %s",
        (document_id, product_key),
    )


def load_sample_documents(
    conn: psycopg.Connection, catalog, cdn_url: str, base_url: str = "http://127.0.0.1:8765"
) -> dict[str, int]:
    """Every document the catalog's products name, as the documents step would store it: fetched
    from the CDN stand-in at `cdn_url` (sample_catalog/cdn.py), where the products' pages name it
    (bench.sample_index.load_records with the same `cdn_url`), and stored at the URL it was fetched
    from; read page by page by pypdf, linked to each product naming it under the name that product
    gives it. Returns {url: document_id}."""
    import httpx
    from pypdf import PdfReader

    from tileshop_pipelines.catalog.urls import classify_url
    from tileshop_pipelines.sample_catalog.documents import on_cdn

    named: dict[str, tuple[str, list[str]]] = {}
    for product in catalog.products:
        info = classify_url(base_url + product.path)
        # Listed, as the sitemap step leaves a crawled product: a document is indexed while a listed
        # product links it.
        conn.execute(
            "INSERT INTO sitemap_urls (url, kind, product_key, sku) VALUES (%s, 'product', %s, %s)"
            " ON CONFLICT DO NOTHING",
            (info.url, info.product_key, info.sku),
        )
        for document in product.documents:
            named.setdefault(on_cdn(document["Url"], cdn_url), (document["Name"], []))[1].append(info.product_key)
    ids = {}
    with httpx.Client(timeout=30) as client:
        for url, (name, keys) in sorted(named.items()):
            response = client.get(url)
            response.raise_for_status()
            pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
            ids[url] = store_document(conn, url, name, pages, keys)
    return ids


def index_documents(conn: psycopg.Connection, model_name: str | None = None) -> dict[str, int]:
    """The stored documents chunked, embedded with the model and synced into document_vectors, by the
    functions the document assets call."""
    from tileshop_pipelines.embedding.model import (
        DEFAULT_MODEL,
        embed_texts,
        load_model,
        model_dimension,
        model_id,
        word_piece_spans,
    )
    from tileshop_pipelines.store import chunks as chunks_sql
    from tileshop_pipelines.store import document_chunks as document_chunks_sql
    from tileshop_pipelines.store.product_vectors import PostgresVectorStore, sync_vector_store
    from tileshop_pipelines.store.vector_tables import DOCUMENT_VECTORS
    from tileshop_pipelines.text.document_chunks import chunk_document, document_chunker_signature

    model_name = model_name or DEFAULT_MODEL
    spans = word_piece_spans(model_name)
    document_chunks_sql.rechunk_changed_documents(
        conn, document_chunker_signature(model_name), lambda i, name, pages: chunk_document(i, name, pages, spans)
    )
    tables, key = chunks_sql.DOCUMENT_TABLES, model_id(model_name)
    pending = chunks_sql.chunks_to_embed(conn, key, model_dimension(model_name), tables)
    if pending:
        vectors = embed_texts(load_model(model_name), [content for _, content, _ in pending], batch_size=64)
        chunks_sql.save_embeddings(conn, [(c, h) for c, _, h in pending], vectors, key, tables)
    sync_vector_store(conn, PostgresVectorStore(conn, DOCUMENT_VECTORS), key)
    return {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("documents", "document_chunks", "document_vectors")
    }
