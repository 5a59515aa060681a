"""products -> product_chunks -> product_embeddings."""

import functools
import time

import dagster as dg

# The module, not its assets: an asset imported by name would be found here too when Dagster loads
# the defs folder, a second registration.
from tileshop_pipelines.defs.acquisition import assets as acquisition
from tileshop_pipelines.defs.policy import INDEX_RETRY, table_metadata, table_name
from tileshop_pipelines.defs.resources import EmbedderResource, PostgresResource
from tileshop_pipelines.embedding.model import EmbeddingError
from tileshop_pipelines.embedding.pending import EmbeddingBatchError, embed_pending_chunks
from tileshop_pipelines.store import chunks as chunks_sql
from tileshop_pipelines.text.chunks import chunk_product, chunker_signature

GROUP = "embedding"


# sitemap_urls too: the listing decides which products keep chunks (delisted ones leave), and the
# daily sitemap refresh keeps the index's freshness when no record changed (the crawl materializes
# only the products that changed: defs/acquisition/events.py).
@dg.asset(
    group_name=GROUP,
    deps=[acquisition.products, acquisition.sitemap_urls],
    kinds={"python", "postgres"},
    code_version="3",
    retry_policy=INDEX_RETRY,
    metadata=table_name("product_chunks"),
)
def product_chunks(
    context: dg.AssetExecutionContext, postgres: PostgresResource, embedder: EmbedderResource
) -> dg.MaterializeResult:
    """Summary, description and specification chunks of every listed product, with stable ids;
    description windows are measured in the embedding model's word pieces. Only products whose
    record (or the chunker) changed since their chunks were made are chunked again; delisted
    products' chunks leave."""
    signature = chunker_signature(embedder.model_name)
    with postgres.connect() as conn:
        counts = chunks_sql.product_counts(conn)
        if counts["products"] and not counts["listed"]:
            # Every product delisted at once is an acquisition fault, not a closing-down sale.
            raise dg.Failure(
                description=f"none of the {counts['products']} products is listed in the sitemap; "
                "refusing to empty the index",
                allow_retries=False,
            )
        spans = None

        def chunk(key: str, record: dict):
            nonlocal spans
            spans = spans or embedder.word_piece_spans()  # the tokenizer loads only when needed
            return chunk_product(key, record, spans)

        written = chunks_sql.rechunk_changed_products(conn, signature, chunk)
        tables = table_metadata(conn, "product_chunks")
    context.log.info(
        f"chunks: {written['written']} written for {written['rechunked_products']} re-chunked of "
        f"{counts['listed']} listed products, {written['deleted']} deleted"
    )
    return dg.MaterializeResult(
        metadata={
            **written,
            "listed_products": counts["listed"],
            "delisted_products": counts["products"] - counts["listed"],
            **tables,
        }
    )


@dg.asset(
    group_name=GROUP,
    deps=[product_chunks],
    kinds={"huggingface", "pytorch", "postgres"},
    code_version="2",
    retry_policy=INDEX_RETRY,
    metadata=table_name("product_embeddings"),
)
def product_embeddings(
    context: dg.AssetExecutionContext, postgres: PostgresResource, embedder: EmbedderResource
) -> dg.MaterializeResult:
    """Normalized embeddings of the chunks whose text, model or dimension changed."""
    started = time.perf_counter()
    try:
        dim = embedder.dimension
    except EmbeddingError as exc:  # the model is not installed: retrying cannot help
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    with postgres.connect() as conn:
        try:
            embedded = embed_pending_chunks(
                chunks_sql.chunks_to_embed(conn, embedder.model_id, dim),
                embedder.embed,
                functools.partial(chunks_sql.save_embeddings, conn, model=embedder.model_id),
                embedder.model_id,
                dim,
                log=context.log.info,
            )
        except EmbeddingBatchError as exc:
            raise dg.Failure(description=str(exc)) from exc
        removed = chunks_sql.delete_orphan_embeddings(conn)
        tables = table_metadata(conn, "product_embeddings")
    elapsed = time.perf_counter() - started
    return dg.MaterializeResult(
        metadata={
            "embedded": embedded,
            "removed": removed,
            "embeddings": tables["dagster/row_count"],
            "model": embedder.model_id,
            "dimension": dim,
            "seconds": round(elapsed, 2),
            "texts_per_s": round(embedded / elapsed, 1) if embedded else 0.0,
            **tables,
        }
    )
