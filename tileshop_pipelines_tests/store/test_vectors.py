import numpy as np
import pytest

from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store import vectors as vectors_sql
from tileshop_pipelines.text.chunks import Chunk


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def clean(conn):
    conn.execute("TRUNCATE products, product_chunks, product_embeddings, product_vectors")
    return conn


def test_chunks_embeddings_vectors_roundtrip(clean):
    conn = clean
    products_sql.save_records(conn, [
        ("a", "h1", {"sku": "1", "url": "http://s/products/a-1", "name": "Alpha", "price": 5.0, "price_unit": "box"}),
        ("b", "h2", {"sku": "2", "url": "http://s/products/b-2", "name": "Beta", "price": 9.5, "price_unit": "each"}),
    ], [])
    chunks = [Chunk("a:summary:0", "a", "summary", 0, "alpha text"),
              Chunk("b:summary:0", "b", "summary", 0, "beta text")]
    assert vectors_sql.sync_chunks(conn, chunks) == {"chunks": 2, "written": 2, "deleted": 0, "unchanged": 0}
    assert vectors_sql.sync_chunks(conn, chunks)["written"] == 0

    pending = vectors_sql.chunks_to_embed(conn, "m")
    assert [p[0] for p in pending] == ["a:summary:0", "b:summary:0"]
    vectors = np.stack([_unit(1), _unit(2)])
    vectors_sql.save_embeddings(conn, [(cid, th) for cid, _, th in pending], vectors, "m")
    assert vectors_sql.chunks_to_embed(conn, "m") == []
    assert len(vectors_sql.chunks_to_embed(conn, "other-model")) == 2  # model change re-embeds

    assert vectors_sql.sync_vectors(conn) == {"vectors": 2, "written": 2, "deleted": 0}
    assert vectors_sql.sync_vectors(conn)["written"] == 0  # idempotent

    hits = vectors_sql.vector_search(conn, _unit(2), limit=2)
    assert hits[0]["id"] == "b:summary:0"
    assert hits[0]["score"] == pytest.approx(1.0, abs=1e-5)
    assert hits[0]["metadata"] == {"sku": "2", "name": "Beta", "url": "http://s/products/b-2", "price": 9.5,
                                   "price_unit": "each", "chunk_kind": "summary"}

    # a changed text needs a new embedding before its vector is replaced; a vanished chunk leaves
    changed = [Chunk("a:summary:0", "a", "summary", 0, "alpha text, new price")]
    assert vectors_sql.sync_chunks(conn, changed) == {"chunks": 1, "written": 1, "deleted": 1, "unchanged": 0}
    assert [p[0] for p in vectors_sql.chunks_to_embed(conn, "m")] == ["a:summary:0"]
    assert vectors_sql.delete_orphan_embeddings(conn) == 1
    assert vectors_sql.sync_vectors(conn)["deleted"] == 1
    assert conn.execute("SELECT id FROM product_vectors").fetchall() == [("a:summary:0",)]


def test_save_embeddings_rejects_misaligned_rows(clean):
    with pytest.raises(ValueError, match="2 chunks but 1 vectors"):
        vectors_sql.save_embeddings(clean, [("x", "h"), ("y", "h")], np.stack([_unit(1)]), "m")


def test_vector_search_uses_hnsw_index(clean):
    clean.execute("SET enable_seqscan = off")
    plan = "\n".join(r[0] for r in clean.execute(
        "EXPLAIN SELECT id FROM product_vectors ORDER BY embedding <=> %s LIMIT 5", (_unit(3),)))
    clean.execute("RESET enable_seqscan")
    assert "product_vectors_embedding_hnsw" in plan
