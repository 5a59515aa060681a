"""The vector tables the stores write (store/product_vectors.py, store/supabase_backend.py): their
columns, the indexes a bulk load drops and builds once afterwards, and their stats functions."""

from __future__ import annotations

import dataclasses

VECTOR_COLUMNS = ("id", "product_key", "chunk_kind", "content", "metadata", "embedding", "text_hash", "source_hash")
VECTOR_TYPES = ("text", "text", "text", "text", "jsonb", "vector", "text", "text")
HNSW_INDEX = "product_vectors_embedding_hnsw"
# The graph's build parameters, as migration 018 leaves the index (it says how they were chosen;
# pgvector's defaults are m 16, ef_construction 64).
HNSW_DEFINITION = "product_vectors USING hnsw (embedding vector_cosine_ops) WITH (ef_construction = 128)"
SEARCH_TEXT_INDEX = "product_search_text_fts"  # migration 006


@dataclasses.dataclass(frozen=True)
class VectorTable:
    """A vector table as the stores write it: its columns (Postgres types for binary COPY), the
    indexes a bulk load drops and builds once afterwards (name, `CREATE INDEX name ON` definition),
    and the SQL function reporting what the checks look at."""

    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    bulk_indexes: tuple[tuple[str, str], ...]
    stats_function: str
    analyze: tuple[str, ...]  # tables whose planner statistics a bulk load refreshes


PRODUCT_VECTORS = VectorTable(
    "product_vectors",
    VECTOR_COLUMNS,
    VECTOR_TYPES,
    # The per-product full-text GIN index too: built in one pass instead of taking every product's
    # ~75 lexemes one insert at a time.
    ((SEARCH_TEXT_INDEX, "product_search_text USING gin (fts)"), (HNSW_INDEX, HNSW_DEFINITION)),
    "product_vectors_stats",
    ("product_vectors", "product_search_text"),
)
DOCUMENT_VECTORS = VectorTable(
    "document_vectors",
    ("id", "document_id", "page_number", "content", "metadata", "embedding", "text_hash", "source_hash"),
    ("text", "int8", "int4", "text", "jsonb", "vector", "text", "text"),
    (
        (
            "document_vectors_embedding_hnsw",
            "document_vectors USING hnsw (embedding vector_cosine_ops) WITH (ef_construction = 128)",
        ),
    ),
    "document_vectors_stats",
    ("document_vectors",),
)
