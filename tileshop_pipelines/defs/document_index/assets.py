"""product_documents -> document_chunks -> document_embeddings -> document_vectors: the documents'
passages in the index, as the products' chunks are (defs/embedding, defs/vectors), incremental by
hash at each step."""

import functools
import time

import dagster as dg

# The modules, not their assets: an asset imported by name would be found here too when Dagster
# loads the defs folder, a second registration.
from tileshop_pipelines.defs.acquisition import assets as acquisition
from tileshop_pipelines.defs.documents import assets as documents
from tileshop_pipelines.defs.policy import INDEX_RETRY, table_metadata, table_name
from tileshop_pipelines.defs.resources import EmbedderResource, PostgresResource, VectorStoreResource
from tileshop_pipelines.embedding.model import EmbeddingError
from tileshop_pipelines.embedding.pending import EmbeddingBatchError, embed_pending_chunks
from tileshop_pipelines.store import chunks as chunks_sql
from tileshop_pipelines.store import document_chunks as document_chunks_sql
from tileshop_pipelines.store.product_vectors import sync_vector_store
from tileshop_pipelines.store.vector_tables import DOCUMENT_VECTORS
from tileshop_pipelines.text.document_chunks import chunk_document, document_chunker_signature

GROUP = documents.GROUP


# sitemap_urls too: a document is indexed while a listed product links it, so a delisting can
# take a data sheet out of the index without any document changing.
@dg.asset(
    group_name=GROUP,
    deps=[documents.product_documents, acquisition.sitemap_urls],
    kinds={"python", "postgres"},
    code_version="1",
    retry_policy=INDEX_RETRY,
    metadata=table_name("document_chunks"),
)
def document_chunks(
    context: dg.AssetExecutionContext, postgres: PostgresResource, embedder: EmbedderResource
) -> dg.MaterializeResult:
    """Passages of every parsed document a listed product links, by page and section (a heading's
    span), measured in the embedding model's word pieces. Only documents whose text, name or the
    chunker changed are chunked again; documents no listed product links leave the index (the
    documents themselves stay)."""
    signature = document_chunker_signature(embedder.model_name)
    spans = None

    def chunk(document_id: int, name: str, pages: list[tuple[int, str]]):
        nonlocal spans
        spans = spans or embedder.word_piece_spans()  # the tokenizer loads only when needed
        return chunk_document(document_id, name, pages, spans)

    with postgres.connect() as conn:
        written = document_chunks_sql.rechunk_changed_documents(conn, signature, chunk)
        counts = document_chunks_sql.document_counts(conn)
        tables = table_metadata(conn, "document_chunks")
    context.log.info(
        f"document chunks: {written['written']} written for {written['rechunked_documents']} "
        f"re-chunked of {counts['indexed_documents']} indexed documents, {written['deleted']} deleted"
    )
    return dg.MaterializeResult(metadata={**written, **counts, **tables})


@dg.asset(
    group_name=GROUP,
    deps=[document_chunks],
    kinds={"huggingface", "pytorch", "postgres"},
    code_version="1",
    retry_policy=INDEX_RETRY,
    metadata=table_name("document_embeddings"),
)
def document_embeddings(
    context: dg.AssetExecutionContext, postgres: PostgresResource, embedder: EmbedderResource
) -> dg.MaterializeResult:
    """Normalized embeddings (the products' model) of the passages whose text, model or dimension changed."""
    started = time.perf_counter()
    try:
        dim = embedder.dimension
    except EmbeddingError as exc:  # the model is not installed: retrying cannot help
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    tables_ = chunks_sql.DOCUMENT_TABLES
    with postgres.connect() as conn:
        try:
            embedded = embed_pending_chunks(
                chunks_sql.chunks_to_embed(conn, embedder.model_id, dim, tables_),
                embedder.embed,
                functools.partial(chunks_sql.save_embeddings, conn, model=embedder.model_id, tables=tables_),
                embedder.model_id,
                dim,
                log=context.log.info,
            )
        except EmbeddingBatchError as exc:
            raise dg.Failure(description=str(exc)) from exc
        removed = chunks_sql.delete_orphan_embeddings(conn, tables_)
        tables = table_metadata(conn, "document_embeddings")
    elapsed = time.perf_counter() - started
    return dg.MaterializeResult(
        metadata={
            "embedded": embedded,
            "removed": removed,
            "model": embedder.model_id,
            "dimension": dim,
            "seconds": round(elapsed, 2),
            **tables,
        }
    )


@dg.asset(
    group_name=GROUP,
    deps=[document_embeddings],
    kinds={"pgvector", "postgres"},
    code_version="1",
    retry_policy=INDEX_RETRY,
    metadata=table_name("document_vectors"),
)
def document_vectors(
    context: dg.AssetExecutionContext,
    postgres: PostgresResource,
    embedder: EmbedderResource,
    vector_store: VectorStoreResource,
) -> dg.MaterializeResult:
    """Passages with their embeddings, document, page and section in document_vectors (HNSW
    cosine + full text, searched by hybrid_search_documents); only changed rows are written."""
    with postgres.connect() as conn:
        store = vector_store.open(conn, DOCUMENT_VECTORS)
        counts = sync_vector_store(conn, store, embedder.model_id, log=context.log.info)
        tables = table_metadata(conn, "document_vectors") if store.backend == "postgres" else {}
    context.log.info(f"document vectors: {counts}")
    return dg.MaterializeResult(metadata={**counts, "backend": store.backend, **tables})
