"""products -> product_chunks -> product_embeddings."""

import time

import dagster as dg

from tileshop_pipelines.defs.acquisition.assets import products
from tileshop_pipelines.defs.resources import EmbedderResource, PostgresResource
from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store import vectors as vectors_sql
from tileshop_pipelines.text.chunks import product_chunks as chunk_product

GROUP = "embedding"
EMBED_WRITE_BATCH = 512


@dg.asset(group_name=GROUP, deps=[products], kinds={"postgres"})
def product_chunks(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """Summary, description and specification chunks per product, with stable ids."""
    with postgres.connect() as conn:
        chunks = [c for key, record in products_sql.all_records(conn) for c in chunk_product(key, record)]
        counts = vectors_sql.sync_chunks(conn, chunks)
    context.log.info(f"chunks: {counts}")
    return dg.MaterializeResult(metadata=counts)


@dg.asset(group_name=GROUP, deps=[product_chunks], kinds={"postgres"}, code_version="1")
def product_embeddings(context: dg.AssetExecutionContext, postgres: PostgresResource,
                       embedder: EmbedderResource) -> dg.MaterializeResult:
    """all-MiniLM-L6-v2 embeddings (normalized) of chunks whose text or model changed."""
    started = time.perf_counter()
    with postgres.connect() as conn:
        pending = vectors_sql.chunks_to_embed(conn, embedder.model_name)
        for start in range(0, len(pending), EMBED_WRITE_BATCH):
            batch = pending[start:start + EMBED_WRITE_BATCH]
            try:
                vectors = embedder.embed([content for _, content, _ in batch])
            except Exception as exc:
                raise dg.Failure(description=f"embedding failed on a batch of {len(batch)} chunks: {exc}") from exc
            vectors_sql.save_embeddings(conn, [(cid, th) for cid, _, th in batch], vectors, embedder.model_name)
            context.log.info(f"embedded {min(start + EMBED_WRITE_BATCH, len(pending))}/{len(pending)} chunks")
        removed = vectors_sql.delete_orphan_embeddings(conn)
        total = conn.execute("SELECT count(*) FROM product_embeddings").fetchone()[0]
    elapsed = time.perf_counter() - started
    return dg.MaterializeResult(metadata={
        "embedded": len(pending),
        "removed": removed,
        "embeddings": total,
        "model": embedder.model_name,
        "seconds": round(elapsed, 2),
    })
