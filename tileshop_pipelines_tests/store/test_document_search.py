"""The documents' search functions (migration 022) on the real Postgres with real MiniLM vectors, and
the links and pages read beside them."""

from __future__ import annotations

import pytest

from tileshop_pipelines.embedding.model import embed_texts, load_model, word_piece_spans
from tileshop_pipelines.store import chunks as chunks_sql
from tileshop_pipelines.store import document_chunks as document_chunks_sql
from tileshop_pipelines.store import document_search
from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.product_vectors import PostgresVectorStore, sync_vector_store
from tileshop_pipelines.store.vector_tables import DOCUMENT_VECTORS
from tileshop_pipelines.text.document_chunks import chunk_document

from ..support.documents import store_document, unlink

MORTAR = [
    "Superior Bond Mortar\nTechnical Data Sheet | Revised May 1, 2024\nMixing\n"
    "Mix each 50 lb bag with 5 quarts of clean, cool water.\nCuring\nGrout after 24 hours.",
    "Trowel Selection\nTile size Trowel notch\n12 x 24 in 1/2 x 1/2 in square notch",
]
FLOOR = [
    "Laminate Flooring Installation Instructions\nInstallation Instructions | Revised May 1, 2024\n"
    "Acclimation\nAcclimate the unopened cartons in the room for at least 48 hours before installation.\n"
    "Expansion Gap\nLeave a 3/8 in expansion gap at every wall."
]


@pytest.fixture
def indexed(conn):
    model = load_model()
    spans = word_piece_spans()
    keys = [f"p{i}" for i in range(7)]
    products_sql.save_records(
        conn,
        [(k, f"h{k}", {"sku": f"10{i}", "name": f"Product {i}", "url": f"http://s/{k}"}) for i, k in enumerate(keys)],
        [],
    )
    for k in keys:
        conn.execute(
            "INSERT INTO sitemap_urls (url, kind, product_key) VALUES (%s, 'product', %s)", (f"http://s/{k}", k)
        )
    mortar = store_document(conn, "http://cdn.test/mortar.pdf", "Technical Data Sheet", MORTAR, keys[:6])
    floor = store_document(conn, "http://cdn.test/floor.pdf", "Installation Instructions", FLOOR, [keys[6]])
    document_chunks_sql.rechunk_changed_documents(conn, "sig", lambda i, n, p: chunk_document(i, n, p, spans))
    tables = chunks_sql.DOCUMENT_TABLES
    pending = chunks_sql.chunks_to_embed(conn, "m", 384, tables)
    chunks_sql.save_embeddings(
        conn, [(c, h) for c, _, h in pending], embed_texts(model, [t for _, t, _ in pending]), "m", tables
    )
    sync_vector_store(conn, PostgresVectorStore(conn, DOCUMENT_VECTORS), "m")
    return conn, model, mortar, floor


def _embed(model, text):
    return embed_texts(model, [text])[0]


def test_the_three_searches_find_the_passage(indexed):
    conn, model, mortar, floor = indexed
    question = "how long should laminate sit in the room before I install it"
    q = _embed(model, question)
    for rows in (
        document_search.match_documents(conn, q, 2),
        document_search.fulltext_documents(conn, question, 2),
        document_search.hybrid_search_documents(conn, question, q, 2),
    ):
        assert (rows[0]["document_id"], rows[0]["page_number"], rows[0]["metadata"]["section"]) == (
            floor,
            1,
            "Acclimation",
        )
        assert set(rows[0]) == set(document_search.ROW_KEYS)
    # words of no passage: the vectors still find it
    assert document_search.fulltext_documents(conn, "glue spreader comb", 3) == []
    notch = document_search.hybrid_search_documents(conn, "glue spreader comb", _embed(model, "trowel notch"), 1)
    assert notch[0]["page_number"] == 2
    with pytest.raises(ValueError, match="match_count"):
        document_search.hybrid_search_documents(conn, "x", q, 0)


def test_a_filter_is_a_containment_test_on_metadata(indexed):
    conn, model, mortar, floor = indexed
    q = _embed(model, "water")
    rows = document_search.hybrid_search_documents(conn, "water", q, 5, filter={"page": 2})
    assert rows and {r["page_number"] for r in rows} == {2}


def test_linked_products_are_the_current_links_of_listed_products(indexed):
    conn, model, mortar, floor = indexed
    links = document_search.linked_products(conn, [mortar, floor])
    assert links[mortar]["count"] == 6 and [p["sku"] for p in links[mortar]["products"]] == [
        "100",
        "101",
        "102",
        "103",
        "104",
    ]  # the first five by SKU, all six counted
    unlink(conn, mortar, "p0")
    conn.execute("UPDATE sitemap_urls SET removed_at = now() WHERE product_key = 'p1'")
    links = document_search.linked_products(conn, [mortar])
    assert links[mortar]["count"] == 4 and links[mortar]["products"][0]["sku"] == "102"


def test_a_products_documents_pages_and_passages(indexed):
    conn, model, mortar, floor = indexed
    pages = document_search.product_document_pages(conn, ["p6", "p0"])
    assert [(p["product_key"], p["document_id"], p["page_number"]) for p in pages] == [
        ("p6", floor, 1),
        ("p0", mortar, 1),
        ("p0", mortar, 2),
    ]
    assert pages[1]["title"] == "Superior Bond Mortar Technical Data Sheet" and "50 lb bag" in pages[1]["text"]
    assert document_search.product_documents(conn, ["p0", "p6"]) == sorted([mortar, floor])
    unlink(conn, mortar, "p0")
    assert document_search.product_document_pages(conn, ["p0"]) == []
    assert document_search.product_documents(conn, ["p0"]) == []


def test_the_passages_of_given_documents_by_hybrid_score(indexed):
    conn, model, mortar, floor = indexed
    question = "how much water to mix"
    passages = document_search.document_passages(conn, [mortar], question, _embed(model, question))
    assert {p["document_id"] for p in passages} == {mortar} and len(passages) == 3  # every passage of it
    assert passages[0]["metadata"]["section"] == "Mixing" and set(passages[0]) == set(document_search.ROW_KEYS)
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True)
    # the fusion: words a passage has lift it above a nearer vector ("notch" is in Trowel Selection only)
    wording, meaning = "notch", _embed(model, "how much water to mix")
    fused = document_search.document_passages(conn, [mortar], wording, meaning)
    vector_only = document_search.document_passages(conn, [mortar], wording, meaning, full_text_weight=0.0)
    assert fused[0]["metadata"]["section"] == "Trowel Selection"
    assert vector_only[0]["metadata"]["section"] == "Mixing"
    assert document_search.document_passages(conn, [], question, meaning) == []
