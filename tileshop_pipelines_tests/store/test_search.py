"""match_products / fulltext_search / hybrid_search on the real Postgres with real MiniLM vectors."""

import numpy as np
import pytest

from tileshop_pipelines.embedding.model import embed_texts, load_model
from tileshop_pipelines.store import search
from tileshop_pipelines.store.product_vectors import PostgresVectorStore

PRODUCTS = {
    "marmi-684287": (
        "684287",
        "Marmi Imperiali Zenobia Porcelain Wall and Floor Tile 12 x 12 in",
        "Polished beige, white porcelain tile for floor and wall, 12 x 12 in.",
    ),
    "linewood-485020": (
        "485020",
        "Linewood White Matte Ceramic Wall Tile 12 x 36 in",
        "Matte white ceramic tile for wall, 12 x 36 in.",
    ),
    "lft-43521": ("43521", "Superior LFT Mortar 50 lb", "Large format tile mortar for floor and wall."),
    "excel-490001": ("490001", "Superior Excel Dove Grey Unsanded Grout 5 lb", "Unsanded cement grout, dove grey."),
}


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture
def store(conn, model):
    conn.execute("TRUNCATE product_vectors")
    rows = []
    for key, (sku, name, facts) in PRODUCTS.items():
        for kind, content in (("summary", f"{name}\n{facts}"), ("facts", facts)):
            rows.append(
                {
                    "id": f"{key}:{kind}:0",
                    "product_key": key,
                    "chunk_kind": kind,
                    "content": content,
                    "metadata": {"sku": sku, "name": name, "chunk_kind": kind},
                    "text_hash": "h",
                    "source_hash": "s",
                }
            )
    vectors = embed_texts(model, [r["content"] for r in rows])
    store = PostgresVectorStore(conn)
    store.upsert([{**r, "embedding": v} for r, v in zip(rows, vectors, strict=True)])
    return store


def _skus(hits):
    return [h["metadata"]["sku"] for h in hits]


def test_fulltext_query_is_an_or_of_stemmed_words(conn):
    assert (
        conn.execute("SELECT fulltext_query('grout for rectified porcelain tiles')::text").fetchone()[0]
        == "'grout' | 'rectifi' | 'porcelain' | 'tile'"
    )


def test_sku_is_found_by_full_text_not_by_vectors(store, model):
    q = embed_texts(model, ["43521"])[0]
    assert _skus(store.fulltext_search("43521", 2)) == ["43521", "43521"]
    assert _skus(store.hybrid_search("43521", q, 4))[0] == "43521"


def test_words_not_in_the_text_are_found_by_vectors(store, model):
    text = "glue for setting big slabs"  # no word of it is in the mortar's text
    q = embed_texts(model, [text])[0]
    assert store.fulltext_search(text, 5) == []
    assert _skus(store.match_products(q, 1)) == ["43521"]
    assert _skus(store.hybrid_search(text, q, 1)) == ["43521"]


def test_hybrid_fuses_per_product_by_reciprocal_rank(store, model):
    text = "Marmi Imperiali Zenobia porcelain"
    q = embed_texts(model, [text])[0]
    hits = store.hybrid_search(text, q, 8, full_text_weight=1, rrf_k=50)
    assert hits[0]["metadata"]["sku"] == "684287"
    # rank 1 in both lists: 1/51 + 1/51, shared by the product's chunks
    assert hits[0]["score"] == pytest.approx(2 / 51) and hits[1]["score"] == pytest.approx(2 / 51)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    only_text = store.hybrid_search(text, q, 8, semantic_weight=0)  # defaults: full-text weight 1.5, k 10
    assert only_text[0]["score"] == pytest.approx(1.5 / 11)


def test_filters_are_metadata_containment(store, model):
    q = embed_texts(model, ["tile"])[0]
    assert set(_skus(store.match_products(q, 8, filter={"sku": "485020"}))) == {"485020"}
    assert set(_skus(store.hybrid_search("tile", q, 8, filter={"chunk_kind": "facts"}))) <= set(
        s for s, _, _ in PRODUCTS.values()
    )
    assert all(h["chunk_kind"] == "facts" for h in store.hybrid_search("tile", q, 8, filter={"chunk_kind": "facts"}))


def test_match_count_must_be_positive(conn):
    with pytest.raises(ValueError, match="match_count"):
        search.match_products(conn, np.zeros(384, dtype=np.float32), 0)


def test_vector_search_uses_the_hnsw_index(conn):
    conn.execute("SET enable_seqscan = off")  # a handful of rows would otherwise be scanned
    plan = "\n".join(
        r[0]
        for r in conn.execute(
            "EXPLAIN SELECT id FROM product_vectors ORDER BY embedding <=> %s LIMIT 5",
            (np.ones(384, dtype=np.float32),),
        )
    )
    assert "Index Scan using product_vectors_embedding_hnsw" in plan


def test_match_products_function_runs_an_hnsw_scan(store, conn, model):
    """The plan inside the SQL function, as auto_explain logs it (sent to us as notices)."""
    notices = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    conn.execute("LOAD 'auto_explain'")
    for setting in (
        "auto_explain.log_min_duration = 0",
        "auto_explain.log_nested_statements = on",
        "client_min_messages = log",
        "enable_seqscan = off",
    ):
        conn.execute(f"SET {setting}")
    try:
        store.match_products(embed_texts(model, ["white wall tile"])[0], 3)
    finally:
        conn.execute("RESET client_min_messages")
        conn.execute("RESET enable_seqscan")
    nested = [n for n in notices if "ORDER BY v.embedding <=> query_embedding" in n]
    assert nested and "Index Scan using product_vectors_embedding_hnsw" in nested[0]


def _random_vectors(conn, n: int, seed: int, metadata=lambda i: {}) -> np.ndarray:
    """product_vectors holding n random unit vectors, one summary chunk per product p<i>."""
    conn.execute("TRUNCATE product_vectors")
    vectors = np.random.default_rng(seed).standard_normal((n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    PostgresVectorStore(conn).upsert(
        [
            {
                "id": f"p{i}:summary:0",
                "product_key": f"p{i}",
                "chunk_kind": "summary",
                "content": "x",
                "metadata": metadata(i),
                "embedding": v,
                "text_hash": "h",
                "source_hash": "s",
            }
            for i, v in enumerate(vectors)
        ]
    )
    return vectors


def test_filtered_search_is_not_cut_short_by_ef_search(conn):
    """1 row in 10 matches the filter: without iterative scans an HNSW scan would return only the
    matches among its ef_search (40) candidates."""
    vectors = _random_vectors(conn, 600, seed=3, metadata=lambda i: {"color": "red" if i % 10 == 0 else "blue"})
    conn.execute("SET enable_seqscan = off")
    conn.execute("SET hnsw.iterative_scan = off")
    try:
        plain = conn.execute(
            "SELECT count(*) FROM (SELECT id FROM product_vectors WHERE metadata @> %s"
            " ORDER BY embedding <=> %s LIMIT 30) t",
            ('{"color": "red"}', vectors[1]),
        ).fetchone()[0]
        hits = search.match_products(conn, vectors[1], 30, filter={"color": "red"})
    finally:
        conn.execute("RESET enable_seqscan")
        conn.execute("RESET hnsw.iterative_scan")
    assert plain < 30  # the problem
    assert len(hits) == 30 and all(h["metadata"]["color"] == "red" for h in hits)
    distances = [1 - h["score"] for h in hits]
    assert distances == sorted(distances)


def _search_text(conn) -> dict[str, str]:
    return dict(conn.execute("SELECT product_key, fts::text FROM product_search_text").fetchall())


def test_product_search_text_follows_every_write_to_product_vectors(store, conn, model):
    assert set(_search_text(conn)) == set(PRODUCTS)
    assert store.stats()["products_without_search_text"] == 0
    conn.execute("DELETE FROM product_search_text WHERE product_key = 'marmi-684287'")  # what the check catches
    assert store.stats()["products_without_search_text"] == 1
    conn.execute("SELECT refresh_product_search_text(ARRAY['marmi-684287'])")
    # an upsert that changes one chunk's text: that product's row changes, no other
    before = _search_text(conn)
    row = {
        "id": "lft-43521:facts:0",
        "product_key": "lft-43521",
        "chunk_kind": "facts",
        "content": "Trowel with a half-inch notch.",
        "metadata": {"sku": "43521", "name": "Superior LFT Mortar 50 lb"},
        "text_hash": "h2",
        "source_hash": "s2",
        "embedding": embed_texts(model, ["trowel"])[0],
    }
    store.upsert([row])
    after = _search_text(conn)
    assert "'trowel'" in after["lft-43521"] and "'trowel'" not in before["lft-43521"]
    assert {k: v for k, v in after.items() if k != "lft-43521"} == {k: v for k, v in before.items() if k != "lft-43521"}
    assert _skus(store.fulltext_search("trowel", 5)) == ["43521"]
    # a product whose last chunk leaves leaves the search text; one with chunks left keeps it
    store.delete(["excel-490001:summary:0", "excel-490001:facts:0", "lft-43521:facts:0"])
    assert set(_search_text(conn)) == set(PRODUCTS) - {"excel-490001"}
    assert "'trowel'" not in _search_text(conn)["lft-43521"]
    assert store.fulltext_search("grout", 5) == []
    conn.execute("TRUNCATE product_vectors")
    assert _search_text(conn) == {}


def test_fulltext_ranks_products_by_all_their_text(store, model):
    # "large" is only in the mortar's facts, "mortar" in its name: one product, its matching chunks
    hits = store.fulltext_search("large mortar", 5)
    assert {h["product_key"] for h in hits} == {"lft-43521"}
    assert {h["id"] for h in hits} == {"lft-43521:summary:0", "lft-43521:facts:0"}
    assert len({h["score"] for h in hits}) == 1  # the product's score, shared by its chunks
    # products in order of their whole text's rank; a product matching more of the words first
    ranked = store.fulltext_search("white porcelain wall tile", 8)
    assert ranked[0]["product_key"] in ("marmi-684287", "linewood-485020")
    assert [h["score"] for h in ranked] == sorted((h["score"] for h in ranked), reverse=True)
    # a filter keeps products with a matching chunk that holds it, and only such chunks
    facts = store.fulltext_search("mortar tile", 8, filter={"chunk_kind": "facts"})
    assert facts and all(h["chunk_kind"] == "facts" for h in facts)


@pytest.mark.slow
def test_match_products_searches_the_graph_with_its_own_ef_search(conn):
    """match_products walks the HNSW graph with HNSW_EF_SEARCH candidates whatever the session's
    ef_search: on the same graph its answers are the plain scan's at 64, and (on random vectors,
    where 40 candidates miss neighbours) not the scan's at pgvector's default."""
    _random_vectors(conn, 3000, seed=5)
    queries = np.random.default_rng(6).standard_normal((30, 384)).astype(np.float32)

    def scan(q, ef):
        with conn.transaction():
            conn.execute(f"SET LOCAL hnsw.ef_search = {ef}; SET LOCAL enable_seqscan = off")
            return [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM product_vectors ORDER BY embedding <=> %s LIMIT 10", (q,)
                ).fetchall()
            ]

    conn.execute("SET hnsw.ef_search = 40; SET enable_seqscan = off")
    try:
        answers = [[h["id"] for h in search.match_products(conn, q, 10)] for q in queries]
    finally:
        conn.execute("RESET hnsw.ef_search; RESET enable_seqscan")
    assert [sorted(a) for a in answers] == [sorted(scan(q, search.HNSW_EF_SEARCH)) for q in queries]
    assert [sorted(a) for a in answers] != [sorted(scan(q, 40)) for q in queries]
