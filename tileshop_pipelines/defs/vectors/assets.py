"""product_embeddings -> product_vectors: the store the app searches (HNSW cosine + full text)."""

import dagster as dg

from tileshop_pipelines.defs.embedding import assets as embedding  # the module: one registration per asset
from tileshop_pipelines.defs.policy import INDEX_RETRY, table_metadata, table_name
from tileshop_pipelines.defs.resources import EmbedderResource, PostgresResource, VectorStoreResource
from tileshop_pipelines.store.product_vectors import sync_vector_store

GROUP = "vectors"


@dg.asset(
    group_name=GROUP,
    deps=[embedding.product_embeddings],
    kinds={"pgvector", "postgres"},
    code_version="2",
    retry_policy=INDEX_RETRY,
    metadata=table_name("product_vectors"),
)
def product_vectors(
    context: dg.AssetExecutionContext,
    postgres: PostgresResource,
    embedder: EmbedderResource,
    vector_store: VectorStoreResource,
) -> dg.MaterializeResult:
    """Chunks with their embeddings and product metadata in the Supabase-style vector table;
    only changed rows are written (binary COPY on Postgres, REST upserts on Supabase)."""
    with postgres.connect() as conn:
        store = vector_store.open(conn)
        counts = sync_vector_store(conn, store, embedder.model_id, log=context.log.info)
        # On Supabase the table is in the project's database, not on this connection.
        tables = table_metadata(conn, "product_vectors") if store.backend == "postgres" else {}
    context.log.info(f"vectors: {counts}")
    return dg.MaterializeResult(metadata={**counts, "backend": store.backend, **tables})
