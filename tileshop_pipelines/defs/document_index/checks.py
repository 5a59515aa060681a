"""Checks on document_vectors: complete, 384-d, indexed, every indexed document with text has
passages in it, and a known how-to question finds its data sheet."""

import dagster as dg

from tileshop_pipelines.defs.document_index import assets  # the module: one registration per asset
from tileshop_pipelines.defs.resources import EmbedderResource, PostgresResource, VectorStoreResource
from tileshop_pipelines.store import document_chunks as document_chunks_sql
from tileshop_pipelines.store import tables
from tileshop_pipelines.store.document_search import linked_products
from tileshop_pipelines.store.vector_tables import DOCUMENT_VECTORS

# A known product's data sheet (Superior LFT Bond Mortar, SKU 43521: sample_catalog/known_products.py).
CANARY_QUESTION = "What trowel notch does Superior LFT Bond Mortar take for 12 x 24 tile?"
CANARY_SKU = "43521"
CANARY_RANK = 3


@dg.asset_check(asset=assets.document_vectors, description="one vector per document chunk")
def document_vectors_match_chunks(postgres: PostgresResource, vector_store: VectorStoreResource) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        chunks = tables.row_count(conn, "document_chunks")
        vectors = vector_store.open(conn, DOCUMENT_VECTORS).stats()["vectors"]
    return dg.AssetCheckResult(passed=vectors == chunks, metadata={"vectors": vectors, "chunks": chunks})


@dg.asset_check(asset=assets.document_vectors, description="every embedding has the model's dimension (384)")
def document_vector_dimension(
    postgres: PostgresResource, vector_store: VectorStoreResource, embedder: EmbedderResource
) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        stats = vector_store.open(conn, DOCUMENT_VECTORS).stats()
    expected = embedder.dimension
    passed = stats["embedding_type"] == f"vector({expected})" and stats["dimensions"] in ([], [expected])
    return dg.AssetCheckResult(
        passed=passed,
        metadata={"column_type": stats["embedding_type"], "dimensions": str(stats["dimensions"]), "expected": expected},
    )


@dg.asset_check(asset=assets.document_vectors, description="the HNSW (cosine) and full-text GIN indexes exist")
def document_vector_indexes(postgres: PostgresResource, vector_store: VectorStoreResource) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        stats = vector_store.open(conn, DOCUMENT_VECTORS).stats()
    return dg.AssetCheckResult(
        passed=bool(stats["hnsw_index"] and stats["fulltext_index"]),
        metadata={"hnsw_index": stats["hnsw_index"], "fulltext_index": stats["fulltext_index"]},
    )


@dg.asset_check(
    asset=assets.document_vectors,
    description="every document a listed product links, whose pages hold text, has passages in the index",
)
def documents_have_passages(postgres: PostgresResource) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        missing = document_chunks_sql.indexed_documents_without_chunks(conn)
        counts = document_chunks_sql.document_counts(conn)
    return dg.AssetCheckResult(
        passed=not missing, metadata={**counts, "without_passages": len(missing), "examples": ", ".join(missing[:5])}
    )


@dg.asset_check(
    asset=assets.document_vectors,
    description=f"hybrid search for {CANARY_QUESTION!r} finds, in the top "
    f"{CANARY_RANK}, a passage naming a trowel notch in a document "
    f"SKU {CANARY_SKU} links",
)
def document_canary_query(
    postgres: PostgresResource, vector_store: VectorStoreResource, embedder: EmbedderResource
) -> dg.AssetCheckResult:
    embedding = embedder.embed([CANARY_QUESTION])[0]
    with postgres.connect() as conn:
        hits = vector_store.open(conn, DOCUMENT_VECTORS).hybrid_search_documents(
            CANARY_QUESTION, embedding, CANARY_RANK
        )
        links = linked_products(conn, [hit["document_id"] for hit in hits])
    found = [(hit["metadata"].get("title"), hit["page_number"]) for hit in hits]
    answering = [
        hit
        for hit in hits
        if "notch" in hit["content"]
        and CANARY_SKU in {p["sku"] for p in links.get(hit["document_id"], {}).get("products", [])}
    ]
    return dg.AssetCheckResult(
        passed=bool(answering), metadata={"top_passages": "; ".join(f"{t}, page {n}" for t, n in found)}
    )
