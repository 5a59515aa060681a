"""The documents' chunks, embeddings and vectors (migration 022) on the real Postgres."""

import numpy as np
import pytest

from tileshop_pipelines.embedding.model import word_piece_spans
from tileshop_pipelines.store import chunks as chunks_sql
from tileshop_pipelines.store import document_chunks as document_chunks_sql
from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.product_vectors import PostgresVectorStore, sync_vector_store
from tileshop_pipelines.store.vector_tables import DOCUMENT_VECTORS
from tileshop_pipelines.text.document_chunks import chunk_document

from ..support.documents import link, store_document, unlink

SPANS = word_piece_spans()
SIGNATURE = "sig"
TDS = [
    "Superior Grout\nTechnical Data Sheet | Revised May 1, 2024\nCoverage\n"
    "4 x 12 in tile, 1/8 in joint: 110 sq. ft. per 25 lb bag.",
    "Cure Time\nLight foot traffic after 24 hours.",
]
GUIDE = [
    "Laminate Installation Instructions\nInstallation Instructions | Revised May 1, 2024\nAcclimation\n"
    "Acclimate the planks for 48 hours before installing."
]


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


def _chunk(document_id, name, pages):
    return chunk_document(document_id, name, pages, SPANS)


def _rechunk(conn):
    return document_chunks_sql.rechunk_changed_documents(conn, SIGNATURE, _chunk)


def _embed(conn, model="m"):
    tables = chunks_sql.DOCUMENT_TABLES
    pending = chunks_sql.chunks_to_embed(conn, model, 384, tables)
    vectors = np.stack([_unit(i) for i in range(len(pending))]) if pending else np.zeros((0, 384), np.float32)
    chunks_sql.save_embeddings(conn, [(c, h) for c, _, h in pending], vectors, model, tables)
    return len(pending)


@pytest.fixture
def documents(conn):
    products_sql.save_records(
        conn,
        [
            (
                key,
                f"h-{key}",
                {"sku": sku, "url": f"http://s/products/{key}", "name": name, "price": 20.0, "price_unit": "each"},
            )
            for key, sku, name in (
                ("grout-a", "101", "Superior Grout Bright White 25 lb"),
                ("grout-b", "102", "Superior Grout Dove Grey 25 lb"),
                ("lvt-c", "201", "Oak Plank LVT"),
            )
        ],
        [],
    )
    for key in ("grout-a", "grout-b", "lvt-c"):
        conn.execute(
            "INSERT INTO sitemap_urls (url, kind, product_key) VALUES (%s, 'product', %s)",
            (f"http://s/products/{key}", key),
        )
    tds = store_document(conn, "http://cdn.test/tds/grout.pdf", "Technical Data Sheet", TDS, ["grout-a", "grout-b"])
    guide = store_document(conn, "http://cdn.test/install/lvt.pdf", "Installation Instructions", GUIDE, ["lvt-c"])
    return conn, tds, guide


def test_linked_parsed_documents_are_chunked_once(documents):
    conn, tds, guide = documents
    assert _rechunk(conn) == {"chunks": 3, "written": 3, "deleted": 0, "rechunked_documents": 2}
    assert _rechunk(conn)["rechunked_documents"] == 0  # nothing changed: nothing chunked again
    rows = conn.execute("SELECT chunk_id, page_number, section, title FROM document_chunks ORDER BY 1").fetchall()
    assert rows == [
        (f"doc{tds}:p1:0", 1, "Coverage", "Superior Grout Technical Data Sheet"),
        (f"doc{tds}:p2:0", 2, "Cure Time", "Superior Grout Technical Data Sheet"),
        (f"doc{guide}:p1:0", 1, "Acclimation", "Laminate Installation Instructions"),
    ]
    assert document_chunks_sql.document_counts(conn) == {"documents": 2, "parsed_documents": 2, "indexed_documents": 2}


def test_a_changed_text_or_name_rechunks_that_document_only(documents):
    conn, tds, guide = documents
    _rechunk(conn)
    store_document(
        conn,
        "http://cdn.test/tds/grout.pdf",
        "Technical Data Sheet",
        [TDS[0], "Cure Time\nLight foot traffic after 12 hours."],
    )
    counts = _rechunk(conn)
    assert (counts["rechunked_documents"], counts["written"], counts["deleted"]) == (1, 1, 0)  # page 2 only
    conn.execute("UPDATE documents SET name = 'Data Sheet' WHERE document_id = %s", (guide,))
    assert _rechunk(conn)["rechunked_documents"] == 1


def test_a_document_no_listed_product_links_leaves_the_index_and_keeps_its_rows(documents):
    conn, tds, guide = documents
    _rechunk(conn)
    unlink(conn, guide, "lvt-c")
    assert _rechunk(conn)["deleted"] == 1
    assert conn.execute("SELECT count(*) FROM document_chunks WHERE document_id = %s", (guide,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM document_pages WHERE document_id = %s", (guide,)).fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
    # one of two linking products delisted: still indexed; both: out
    conn.execute("UPDATE sitemap_urls SET removed_at = now() WHERE product_key = 'grout-a'")
    assert _rechunk(conn)["deleted"] == 0
    conn.execute("UPDATE sitemap_urls SET removed_at = now() WHERE product_key = 'grout-b'")
    assert _rechunk(conn)["deleted"] == 2
    # linked again: chunked again
    link(conn, guide, "lvt-c")
    assert _rechunk(conn)["rechunked_documents"] == 1


def test_unparsed_and_failed_documents(documents):
    conn, tds, guide = documents
    conn.execute("INSERT INTO documents (url, host, name) VALUES ('http://cdn.test/never.pdf', 'cdn.test', 'SDS')")
    never = conn.execute("SELECT document_id FROM documents WHERE url = 'http://cdn.test/never.pdf'").fetchone()[0]
    link(conn, never, "grout-a")
    assert [d for d, _, _ in document_chunks_sql.documents_to_chunk(conn, SIGNATURE)] == [tds, guide]
    _rechunk(conn)
    # a failed refetch keeps the last good text (store/documents.py): still indexed
    conn.execute("UPDATE documents SET state = 'failed', reason = 'timeout' WHERE document_id = %s", (tds,))
    assert _rechunk(conn) == {"chunks": 3, "written": 0, "deleted": 0, "rechunked_documents": 0}


def test_embeddings_and_vectors_follow_the_chunks(documents):
    conn, tds, guide = documents
    _rechunk(conn)
    assert _embed(conn) == 3
    assert _embed(conn) == 0
    store = PostgresVectorStore(conn, DOCUMENT_VECTORS)
    counts = sync_vector_store(conn, store, "m")
    assert (counts["vectors"], counts["written"], counts["deleted"]) == (3, 3, 0)
    assert sync_vector_store(conn, store, "m")["written"] == 0
    row = conn.execute(
        "SELECT document_id, page_number, metadata FROM document_vectors WHERE id = %s", (f"doc{tds}:p2:0",)
    ).fetchone()
    assert row == (
        tds,
        2,
        {
            "document_id": tds,
            "title": "Superior Grout Technical Data Sheet",
            "name": "Technical Data Sheet",
            "url": "http://cdn.test/tds/grout.pdf",
            "page": 2,
            "page_count": 2,
            "section": "Cure Time",
        },
    )
    assert store.stats() | {} == {
        "vectors": 3,
        "documents": 2,
        "dimensions": [384],
        "embedding_type": "vector(384)",
        "hnsw_index": True,
        "fulltext_index": True,
    }
    assert conn.execute("SELECT count(*) FROM product_vectors").fetchone()[0] == 0  # the products' store untouched

    # a link change rewrites no vector; a text change re-embeds that passage only
    unlink(conn, tds, "grout-a")
    _rechunk(conn)
    assert sync_vector_store(conn, store, "m")["written"] == 0
    store_document(
        conn,
        "http://cdn.test/tds/grout.pdf",
        "Technical Data Sheet",
        [TDS[0], "Cure Time\nLight foot traffic after 12 hours."],
    )
    _rechunk(conn)
    assert chunks_sql.delete_orphan_embeddings(conn, chunks_sql.DOCUMENT_TABLES) == 0
    assert _embed(conn) == 1
    assert sync_vector_store(conn, store, "m")["written"] == 1
    # unlinked everywhere: its vectors leave, its embeddings are orphans
    unlink(conn, guide, "lvt-c")
    _rechunk(conn)
    assert chunks_sql.delete_orphan_embeddings(conn, chunks_sql.DOCUMENT_TABLES) == 1
    assert sync_vector_store(conn, store, "m")["deleted"] == 1


def test_bulk_load_rebuilds_the_documents_hnsw_index(documents, monkeypatch):
    from tileshop_pipelines.store import product_vectors

    conn, _, _ = documents
    _rechunk(conn)
    _embed(conn)
    monkeypatch.setattr(product_vectors, "BULK_LOAD_MIN_ROWS", 2)
    counts = sync_vector_store(conn, PostgresVectorStore(conn, DOCUMENT_VECTORS), "m")
    assert counts["bulk_load"] and counts["index_built"]
    assert conn.execute("SELECT reloptions FROM pg_class WHERE relname = 'document_vectors_embedding_hnsw'").fetchone()[
        0
    ] == ["ef_construction=128"]
    assert conn.execute("SELECT to_regclass('product_search_text_fts')").fetchone()[0] is not None  # not touched


def test_indexed_documents_without_chunks(documents):
    conn, tds, guide = documents
    assert document_chunks_sql.indexed_documents_without_chunks(conn) == [
        "http://cdn.test/install/lvt.pdf",
        "http://cdn.test/tds/grout.pdf",
    ]
    _rechunk(conn)
    assert document_chunks_sql.indexed_documents_without_chunks(conn) == []
