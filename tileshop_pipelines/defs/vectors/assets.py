"""product_embeddings -> product_vectors: the pgvector table the app searches (HNSW, cosine)."""

import dagster as dg

from tileshop_pipelines.defs.embedding.assets import product_embeddings
from tileshop_pipelines.defs.resources import PostgresResource
from tileshop_pipelines.store import vectors as vectors_sql

GROUP = "vectors"


@dg.asset(group_name=GROUP, deps=[product_embeddings], kinds={"postgres"})
def product_vectors(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """Chunks with their embeddings and product metadata, in the Supabase-style vector table."""
    with postgres.connect() as conn:
        counts = vectors_sql.sync_vectors(conn)
    context.log.info(f"vectors: {counts}")
    return dg.MaterializeResult(metadata=counts)
