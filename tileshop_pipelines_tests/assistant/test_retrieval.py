"""Filtered chunk search: the exact path (few matching products) and the HNSW path agree."""

from __future__ import annotations

import numpy as np
import pytest

from tileshop_pipelines.assistant.retrieval import embed_question
from tileshop_pipelines.store import db, search
from tileshop_pipelines.store.product_lookup import products_by_sku
from tileshop_pipelines.store.search import ProductFilters, filter_sql, search_chunks

FILTERS = [
    ProductFilters(material="Porcelain"),
    ProductFilters(application="Floor", max_price=100, price_basis="box"),
    ProductFilters(color="White"),
]


@pytest.fixture(scope="module")
def conn(index_url):
    with db.connect(index_url) as connection:
        yield connection


def _matching_keys(conn, filters: ProductFilters) -> set[str]:
    where, params = filter_sql(filters)
    return {row[0] for row in conn.execute(f"SELECT p.product_key FROM products p WHERE {where}", params)}


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: repr({k: v for k, v in vars(f).items() if v}))
def test_exact_and_hnsw_paths_return_the_same_nearest_chunks(conn, monkeypatch, filters):
    question = "glossy tile for a shower wall"
    embedding = embed_question(question)
    matching = _matching_keys(conn, filters)
    assert matching, f"the sample index has no product for {filters}"

    exact = search_chunks(conn, question, embedding, 8, filters)
    monkeypatch.setattr(search, "EXACT_SEARCH_MAX_PRODUCTS", 0)
    through_index = search_chunks(conn, question, embedding, 8, filters)

    assert exact and {c["product_key"] for c in exact} <= matching
    assert [c["id"] for c in through_index] == [c["id"] for c in exact]
    scores = [c["score"] for c in exact]
    assert scores == sorted(scores, reverse=True)
    # the exact path's best chunk really is the nearest among all matching products' chunks
    rows = conn.execute(
        "SELECT embedding FROM product_vectors WHERE product_key = ANY(%s)", (sorted(matching),)
    ).fetchall()
    best = max(float(np.dot(embedding, r[0].to_numpy())) for r in rows)
    assert exact[0]["score"] == pytest.approx(best, abs=1e-4)


def test_the_index_path_is_never_a_prepared_statement(conn, monkeypatch):
    """A prepared statement's generic plan sorts all matching chunks instead of walking the HNSW
    index (4x slower at 889 of 5,000 products): the index path is planned with each query's values."""
    monkeypatch.setattr(search, "EXACT_SEARCH_MAX_PRODUCTS", 0)
    embedding = embed_question("white floor tile")
    for _ in range(conn.prepare_threshold + 3):  # past the point where psycopg would prepare it
        assert search_chunks(conn, "white floor tile", embedding, 8, ProductFilters(color="White"))
    prepared = [r[0] for r in conn.execute("SELECT statement FROM pg_prepared_statements")]
    assert not [s for s in prepared if "ORDER BY v.embedding <=>" in s], prepared


def test_filter_columns_follow_the_record(conn):
    key, record, colors, applications, material = conn.execute(
        "SELECT product_key, record, filter_colors, filter_applications, filter_material FROM products "
        "WHERE record->>'color' LIKE '%,%' AND jsonb_array_length(record->'applications') > 0 LIMIT 1"
    ).fetchone()
    assert colors == [c.strip().lower() for c in record["color"].split(",")]
    assert applications == [a.lower() for a in record["applications"]]
    assert material == (record["material"] or "").lower() or material is None


def test_no_matching_product_means_no_chunks(conn):
    embedding = embed_question("tile")
    assert search_chunks(conn, "tile", embedding, 8, ProductFilters(color="no-such-colour")) == []


def test_sku_lookup_is_case_insensitive_and_served_by_an_index(conn):
    sku = conn.execute("SELECT sku FROM products WHERE sku IS NOT NULL ORDER BY product_key LIMIT 1").fetchone()[0]
    assert [p["sku"] for p in products_by_sku(conn, [sku.swapcase(), "no-such-sku"])] == [sku]
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            r[0] for r in conn.execute("EXPLAIN SELECT 1 FROM products WHERE lower(sku) = ANY(%s)", ([sku.lower()],))
        )
    assert "products_sku_lower" in plan, plan


@pytest.mark.parametrize(
    "filters, index",
    [
        (ProductFilters(color="White"), "products_filter_colors"),
        (ProductFilters(application="Floor"), "products_filter_applications"),
        (ProductFilters(material="Porcelain"), "products_filter_material"),
        (ProductFilters(finish="Matte"), "products_filter_finish"),
        (ProductFilters(max_price=50, price_basis="box"), "products_price_per_box"),
        (ProductFilters(max_price=5, price_basis="sqft"), "products_price_per_sqft"),
        (ProductFilters(min_price=5), "products_price"),
    ],
)
def test_filters_can_be_served_by_indexes(conn, filters, index):
    where, params = filter_sql(filters)
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            r[0] for r in conn.execute(f"EXPLAIN SELECT p.product_key FROM products p WHERE {where}", params)
        )
    assert index in plan, plan


def test_fold_chunks_keeps_each_products_best_chunk_in_score_order():
    from tileshop_pipelines.assistant.retrieval import fold_chunks

    chunks = [
        {"product_key": "a", "score": 0.2, "id": "a:0"},
        {"product_key": "b", "score": 0.5, "id": "b:0"},
        {"product_key": "a", "score": 0.9, "id": "a:1"},
        {"product_key": "c", "score": 0.4, "id": "c:0"},
        {"product_key": "b", "score": 0.1, "id": "b:1"},
    ]
    assert [c["id"] for c in fold_chunks(chunks, 5)] == ["a:1", "b:0", "c:0"]
    assert [c["id"] for c in fold_chunks(chunks, 2)] == ["a:1", "b:0"]
    assert fold_chunks([], 3) == []
