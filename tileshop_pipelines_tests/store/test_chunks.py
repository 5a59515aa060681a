"""Chunk, embedding and vector tables on the real Postgres, and the Postgres vector store."""

import numpy as np
import psycopg
import pytest

from tileshop_pipelines.store import chunks as chunks_sql
from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.product_vectors import PostgresVectorStore, sync_vector_store
from tileshop_pipelines.store.search import match_products
from tileshop_pipelines.text.chunks import Chunk


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def clean(conn):
    conn.execute("TRUNCATE sitemap_urls, products, product_chunks, product_embeddings, product_vectors")
    return conn


def _list(conn, key: str, removed: bool = False, url: str | None = None) -> None:
    conn.execute(
        "INSERT INTO sitemap_urls (url, kind, product_key, removed_at) VALUES (%s, 'product', %s, %s)",
        (url or f"http://s/products/{key}", key, "2025-07-01" if removed else None),
    )


def _two_products(conn) -> list[Chunk]:
    products_sql.save_records(
        conn,
        [
            (
                "a",
                "h1",
                {
                    "sku": "1",
                    "url": "http://s/products/a-1",
                    "name": "Alpha",
                    "price": 5.0,
                    "price_unit": "box",
                    "material": "Porcelain",
                },
            ),
            (
                "b",
                "h2",
                {"sku": "2", "url": "http://s/products/b-2", "name": "Beta", "price": 9.5, "price_unit": "each"},
            ),
        ],
        [],
    )
    _list(conn, "a")
    _list(conn, "b")
    return [
        Chunk("a:summary:0", "a", "summary", 0, "alpha porcelain tile"),
        Chunk("b:summary:0", "b", "summary", 0, "beta mortar bag"),
    ]


def _embed_pending(conn, model="m", seeds=None) -> None:
    pending = chunks_sql.chunks_to_embed(conn, model, 384)
    vectors = np.stack([_unit(seeds[cid] if seeds else i) for i, (cid, _, _) in enumerate(pending)])
    chunks_sql.save_embeddings(conn, [(cid, th) for cid, _, th in pending], vectors, model)


def test_chunks_embeddings_vectors_roundtrip(clean):
    conn = clean
    chunks = _two_products(conn)
    assert chunks_sql.sync_chunks(conn, chunks) == {"chunks": 2, "written": 2, "deleted": 0, "unchanged": 0}
    assert chunks_sql.sync_chunks(conn, chunks)["written"] == 0

    pending = chunks_sql.chunks_to_embed(conn, "m", 384)
    assert [p[0] for p in pending] == ["a:summary:0", "b:summary:0"]
    _embed_pending(conn, seeds={"a:summary:0": 1, "b:summary:0": 2})
    assert chunks_sql.chunks_to_embed(conn, "m", 384) == []
    assert len(chunks_sql.chunks_to_embed(conn, "other-model", 384)) == 2  # model change re-embeds
    assert len(chunks_sql.chunks_to_embed(conn, "m", 768)) == 2  # so does a dimension change

    store = PostgresVectorStore(conn)
    counts = sync_vector_store(conn, store, "m")
    assert counts | {} == {
        "vectors": 2,
        "written": 2,
        "deleted": 0,
        "unchanged": 0,
        "bulk_load": False,
        "index_built": False,
    }
    assert sync_vector_store(conn, store, "m")["written"] == 0  # idempotent

    hits = match_products(conn, _unit(2), 2)
    assert hits[0]["id"] == "b:summary:0"
    assert hits[0]["score"] == pytest.approx(1.0, abs=1e-5)
    assert hits[0]["metadata"] == {
        "sku": "2",
        "name": "Beta",
        "url": "http://s/products/b-2",
        "price": 9.5,
        "price_unit": "each",
        "chunk_kind": "summary",
    }

    # a price change changes only metadata: the vector row is rewritten without re-embedding
    products_sql.save_records(
        conn,
        [("b", "h3", {"sku": "2", "url": "http://s/products/b-2", "name": "Beta", "price": 8.0, "price_unit": "each"})],
        [],
    )
    assert chunks_sql.chunks_to_embed(conn, "m", 384) == []
    assert sync_vector_store(conn, store, "m")["written"] == 1
    assert store.match_products(_unit(2), 1)[0]["metadata"]["price"] == 8.0

    # a changed text needs a new embedding before its vector is replaced; a vanished chunk leaves
    changed = [Chunk("a:summary:0", "a", "summary", 0, "alpha text, new price")]
    assert chunks_sql.sync_chunks(conn, changed) == {"chunks": 1, "written": 1, "deleted": 1, "unchanged": 0}
    assert [p[0] for p in chunks_sql.chunks_to_embed(conn, "m", 384)] == ["a:summary:0"]
    assert chunks_sql.delete_orphan_embeddings(conn) == 1
    counts = sync_vector_store(conn, store, "m")
    assert (counts["deleted"], counts["written"]) == (2, 0)  # b vanished; a's stale text is not served
    _embed_pending(conn)
    assert sync_vector_store(conn, store, "m")["written"] == 1
    assert conn.execute("SELECT id, content FROM product_vectors").fetchall() == [
        ("a:summary:0", "alpha text, new price")
    ]


def test_delisted_products_are_not_chunked(clean):
    _two_products(clean)
    pending = lambda: [k for k, _ in chunks_sql.records_to_chunk(clean, "sig")]  # noqa: E731
    assert pending() == ["a", "b"]
    clean.execute("UPDATE sitemap_urls SET removed_at = now() WHERE product_key = 'b'")
    assert pending() == ["a"]
    _list(clean, "b", url="http://s/products/b-2-other-url")  # still listed under a second URL
    assert pending() == ["a", "b"]
    assert chunks_sql.product_counts(clean) == {"products": 2, "listed": 2}


def test_save_embeddings_rejects_misaligned_rows(clean):
    with pytest.raises(ValueError, match="2 chunks but 1 vectors"):
        chunks_sql.save_embeddings(clean, [("x", "h"), ("y", "h")], np.stack([_unit(1)]), "m")


def test_a_failing_batch_leaves_nothing_behind(clean):
    store = PostgresVectorStore(clean)
    good = {
        "id": "g:summary:0",
        "product_key": "g",
        "chunk_kind": "summary",
        "content": "good",
        "metadata": {},
        "embedding": _unit(1),
        "text_hash": "h",
        "source_hash": "s",
    }
    bad = {**good, "id": "x:summary:0", "embedding": np.ones(3, dtype=np.float32)}  # wrong dimension
    with pytest.raises(psycopg.errors.DataException):
        store.upsert([good, bad])
    assert clean.execute("SELECT count(*) FROM product_vectors").fetchone()[0] == 0
    store.upsert([good])
    store.upsert([{**good, "content": "better"}])  # upsert: same id, new content
    assert clean.execute("SELECT content FROM product_vectors").fetchall() == [("better",)]


def _hnsw_build_options(conn) -> list[str]:
    return conn.execute(
        "SELECT coalesce(reloptions, '{}') FROM pg_class WHERE relname = %s", ("product_vectors_embedding_hnsw",)
    ).fetchone()[0]


def test_bulk_load_drops_and_rebuilds_the_hnsw_and_search_text_indexes(clean, monkeypatch):
    from tileshop_pipelines.store import product_vectors as vector_store
    from tileshop_pipelines.store.vector_tables import HNSW_INDEX, SEARCH_TEXT_INDEX

    chunks = _two_products(clean)
    chunks_sql.sync_chunks(clean, chunks)
    _embed_pending(clean)
    monkeypatch.setattr(vector_store, "BULK_LOAD_MIN_ROWS", 2)
    store = PostgresVectorStore(clean)

    def present():
        return {
            r[0]
            for r in clean.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", ([HNSW_INDEX, SEARCH_TEXT_INDEX],)
            )
        }

    during_load = []
    insert = store.insert
    monkeypatch.setattr(store, "insert", lambda rows: (during_load.append(present()), insert(rows)))
    assert _hnsw_build_options(clean) == ["ef_construction=128"]  # migration 018 rebuilt the first one
    counts = sync_vector_store(clean, store, "m")
    assert counts["bulk_load"] and counts["index_built"]
    assert during_load == [set()]
    assert present() == {HNSW_INDEX, SEARCH_TEXT_INDEX}
    assert _hnsw_build_options(clean) == ["ef_construction=128"]  # HNSW_DEFINITION's
    assert store.stats()["hnsw_index"]
    keys = [r[0] for r in clean.execute("SELECT product_key FROM fulltext_products('tile', 5)")]
    assert keys, "the rebuilt search-text index serves full-text search"


def test_stats(clean):
    stats = PostgresVectorStore(clean).stats()
    assert stats == {
        "vectors": 0,
        "dimensions": [],
        "embedding_type": "vector(384)",
        "hnsw_index": True,
        "fulltext_index": True,
        "products_without_search_text": 0,
    }


def test_only_products_whose_record_changed_are_chunked_again(clean):
    chunks = _two_products(clean)
    pending = lambda signature="sig": [k for k, _ in chunks_sql.records_to_chunk(clean, signature)]  # noqa: E731
    assert chunks_sql.sync_chunks(clean, chunks, ["a", "b"], "sig")["written"] == 2
    assert pending() == []  # chunked from their current records
    assert pending("sig2") == ["a", "b"]  # a new chunker chunks everything again

    products_sql.save_records(
        clean,
        [
            (
                "a",
                "h1b",
                {"sku": "1", "url": "http://s/products/a-1", "name": "Alpha 2", "price": 6.0, "price_unit": "box"},
            )
        ],
        [],
    )
    products_sql.save_records(
        clean,
        [
            (
                "b",
                "h2b",
                {"sku": "2", "url": "http://s/products/b-2", "name": "Beta", "price": 9.5, "price_unit": "each"},
            )
        ],
        [],
    )  # same record
    assert pending() == ["a"]
    written = chunks_sql.sync_chunks(
        clean, [Chunk("a:summary:0", "a", "summary", 0, "alpha 2 porcelain tile")], ["a"], "sig"
    )
    assert written == {"chunks": 1, "written": 1, "deleted": 0, "unchanged": 0}
    assert pending() == []
    assert clean.execute("SELECT count(*) FROM product_chunks WHERE product_key = 'b'").fetchone()[0] == 1
    with pytest.raises(ValueError, match="not being synced"):
        chunks_sql.sync_chunks(clean, chunks, ["a"], "sig")


def test_delisted_chunks_leave_and_come_back_when_listed_again(clean):
    chunks = _two_products(clean)
    chunks_sql.sync_chunks(clean, chunks, ["a", "b"], "sig")
    clean.execute("UPDATE sitemap_urls SET removed_at = now() WHERE product_key = 'b'")
    assert chunks_sql.drop_delisted_chunks(clean) == 1
    assert [r[0] for r in clean.execute("SELECT chunk_id FROM product_chunks")] == ["a:summary:0"]
    clean.execute("UPDATE sitemap_urls SET removed_at = NULL WHERE product_key = 'b'")
    assert [k for k, _ in chunks_sql.records_to_chunk(clean, "sig")] == ["b"]
