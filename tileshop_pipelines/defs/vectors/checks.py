"""Checks on product_vectors: complete, 384-d, indexed, and finding a known product."""

import dagster as dg

from tileshop_pipelines.defs.resources import EmbedderResource, PostgresResource, VectorStoreResource
from tileshop_pipelines.defs.vectors import assets as vectors  # the module: one registration per asset
from tileshop_pipelines.store import tables

CANARY_QUERY = "Marmi Imperiali Zenobia porcelain"
CANARY_SKU = "684287"
CANARY_RANK = 3


@dg.asset_check(asset=vectors.product_vectors, description="one vector per chunk")
def vectors_match_chunks(postgres: PostgresResource, vector_store: VectorStoreResource) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        chunks = tables.row_count(conn, "product_chunks")
        vectors = vector_store.open(conn).stats()["vectors"]
    return dg.AssetCheckResult(passed=vectors == chunks, metadata={"vectors": vectors, "chunks": chunks})


@dg.asset_check(asset=vectors.product_vectors, description="every embedding has the model's dimension (384)")
def vector_dimension(
    postgres: PostgresResource, vector_store: VectorStoreResource, embedder: EmbedderResource
) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        stats = vector_store.open(conn).stats()
    expected = embedder.dimension
    passed = stats["embedding_type"] == f"vector({expected})" and stats["dimensions"] in ([], [expected])
    return dg.AssetCheckResult(
        passed=passed,
        metadata={"column_type": stats["embedding_type"], "dimensions": str(stats["dimensions"]), "expected": expected},
    )


@dg.asset_check(
    asset=vectors.product_vectors,
    description="the HNSW (cosine) and full-text GIN indexes exist, and every product with vectors "
    "has its full-text search row",
)
def vector_indexes(postgres: PostgresResource, vector_store: VectorStoreResource) -> dg.AssetCheckResult:
    with postgres.connect() as conn:
        stats = vector_store.open(conn).stats()
    missing = stats["products_without_search_text"]
    return dg.AssetCheckResult(
        passed=bool(stats["hnsw_index"] and stats["fulltext_index"] and missing == 0),
        metadata={
            "hnsw_index": stats["hnsw_index"],
            "fulltext_index": stats["fulltext_index"],
            "products_without_search_text": missing,
        },
    )


@dg.asset_check(
    asset=vectors.product_vectors,
    description=f"hybrid search for {CANARY_QUERY!r} finds SKU {CANARY_SKU} in the top {CANARY_RANK}",
)
def canary_query(
    postgres: PostgresResource, vector_store: VectorStoreResource, embedder: EmbedderResource
) -> dg.AssetCheckResult:
    query_embedding = embedder.embed([CANARY_QUERY])[0]
    with postgres.connect() as conn:
        hits = vector_store.open(conn).hybrid_search(CANARY_QUERY, query_embedding, CANARY_RANK)
    skus = [hit["metadata"].get("sku") for hit in hits]
    return dg.AssetCheckResult(passed=CANARY_SKU in skus, metadata={"top_skus": ", ".join(map(str, skus))})
