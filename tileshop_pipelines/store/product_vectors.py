"""The serving vector store behind one interface, and the sync that keeps it equal to the pipeline.

Two backends: `PostgresVectorStore` (psycopg 3 + pgvector: the embedded default, Fly Postgres or a
Supabase project's Postgres) here, and `SupabaseVectorStore` (the supabase client over PostgREST)
in supabase_backend.py. Two tables, each a `VectorTable`: product_vectors (`PRODUCT_VECTORS`, the
default) and document_vectors (`DOCUMENT_VECTORS`, migration 022). A vector row is a dict with the
keys of its table's `columns`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, get_args

import numpy as np
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from tileshop_pipelines.settings import VectorStoreBackend
from tileshop_pipelines.store import chunks as chunks_sql
from tileshop_pipelines.store import db, document_search, search
from tileshop_pipelines.store.vector_tables import DOCUMENT_VECTORS, PRODUCT_VECTORS, SEARCH_TEXT_INDEX, VectorTable

# The 64MB default made a 100k-vector build 3-5x slower here.
INDEX_BUILD_MEMORY = "512MB"
# Loading this many rows into a store that holds fewer is a bulk load: the HNSW index (and the
# search text's GIN index) are dropped first and built once afterwards, which is far faster than
# inserting into them row by row.
BULK_LOAD_MIN_ROWS = 5_000


def _vector_row(table: VectorTable, row: dict) -> tuple:
    return tuple(Jsonb(row[c]) if c == "metadata" else row[c] for c in table.columns)


class VectorStore(Protocol):
    backend: str
    batch_rows: int  # rows per upsert, each upsert one transaction
    table: VectorTable

    def source_hashes(self) -> dict[str, str | None]: ...
    def insert(self, rows: list[dict]) -> None: ...  # rows with new ids; all or none
    def upsert(self, rows: list[dict]) -> None: ...  # all rows or none
    def delete(self, ids: list[str]) -> None: ...
    def drop_index(self) -> None: ...
    def ensure_index(self) -> bool: ...  # True when it had to build it
    def stats(self) -> dict: ...
    def match_products(
        self, query_embedding: np.ndarray, match_count: int, filter: dict | None = None
    ) -> list[dict]: ...
    def fulltext_search(self, query_text: str, match_count: int, filter: dict | None = None) -> list[dict]: ...
    def hybrid_search(
        self,
        query_text: str,
        query_embedding: np.ndarray,
        match_count: int,
        filter: dict | None = None,
        full_text_weight: float = search.FULL_TEXT_WEIGHT,
        semantic_weight: float = search.SEMANTIC_WEIGHT,
        rrf_k: int = search.RRF_K,
    ) -> list[dict]: ...
    def hybrid_search_documents(self, query_text: str, query_embedding: np.ndarray, match_count: int) -> list[dict]: ...


class PostgresVectorStore:
    """A vector table in a Postgres with pgvector (product_vectors unless told), loaded by binary COPY."""

    backend = "postgres"
    batch_rows = 2_000

    def __init__(self, conn: psycopg.Connection, table: VectorTable = PRODUCT_VECTORS):
        self.conn = conn
        self.table = table

    def source_hashes(self) -> dict[str, str | None]:
        return dict(
            self.conn.execute(
                sql.SQL("SELECT id, source_hash FROM {}").format(sql.Identifier(self.table.name))
            ).fetchall()
        )

    def insert(self, rows: list[dict]) -> None:
        """Rows whose ids the store does not hold: one binary COPY straight into the table (one
        transaction; an id that exists after all fails the whole batch)."""
        if rows:
            with self.conn.transaction(), self.conn.cursor() as cur:
                self._copy(cur, rows)

    def upsert(self, rows: list[dict]) -> None:
        """One transaction: binary COPY into a staging table, then one INSERT .. ON CONFLICT."""
        if not rows:
            return
        table = self.table
        columns = sql.SQL(", ").join(map(sql.Identifier, table.columns))
        updates = sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in table.columns if c != "id"
        )
        with self.conn.transaction(), self.conn.cursor() as cur:
            db.stage(
                cur,
                "vectors_load",
                dict(zip(table.columns, table.types, strict=True)),
                (_vector_row(table, row) for row in rows),
            )
            cur.execute(
                sql.SQL(
                    "INSERT INTO {table} ({cols}) SELECT {cols} FROM vectors_load"
                    " ON CONFLICT (id) DO UPDATE SET {updates}"
                ).format(table=sql.Identifier(table.name), cols=columns, updates=updates)
            )

    def _copy(self, cur: psycopg.Cursor, rows: list[dict]) -> None:
        table = self.table
        columns = sql.SQL(", ").join(map(sql.Identifier, table.columns))
        with cur.copy(
            sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(sql.Identifier(table.name), columns)
        ) as copy:
            copy.set_types(list(table.types))
            for row in rows:
                copy.write_row(_vector_row(table, row))

    def delete(self, ids: list[str]) -> None:
        if ids:
            with self.conn.transaction():
                self.conn.execute(
                    sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(sql.Identifier(self.table.name)), (ids,)
                )

    def drop_index(self) -> None:
        """Before a bulk load: the table's bulk indexes (HNSW; for products also the per-product
        full-text GIN index), built once afterwards by ensure_index."""
        with self.conn.transaction():
            for index, _ in self.table.bulk_indexes:
                self.conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(index)))

    def _ensure(self, index: str) -> bool:
        if db.one(self.conn.execute("SELECT to_regclass(%s)", (index,)))[0] is not None:
            return False
        self._build_index(index, dict(self.table.bulk_indexes)[index])
        return True

    def ensure_search_text_index(self) -> bool:
        """The full-text GIN index of product_search_text, built if a bulk load dropped it."""
        return self._ensure(SEARCH_TEXT_INDEX)

    def ensure_index(self) -> bool:
        """The bulk indexes a load dropped, built again; True when one had to be."""
        built = [self._ensure(index) for index, _ in self.table.bulk_indexes]
        if built[-1]:  # the HNSW graph: after a bulk load, so fresh planner statistics too
            self.conn.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, self.table.analyze))))
        return any(built)

    def _build_index(self, name: str, definition: str) -> None:
        """CREATE INDEX name ON <definition>, with the index-build memory, in one transaction."""
        with self.conn.transaction():
            self.conn.execute(sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(INDEX_BUILD_MEMORY)))
            self.conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON ").format(sql.Identifier(name)) + sql.SQL(definition)
            )

    def stats(self) -> dict:
        return db.one(self.conn.execute(sql.SQL("SELECT {}()").format(sql.Identifier(self.table.stats_function))))[0]

    def match_products(self, query_embedding, match_count, filter=None):
        return search.match_products(self.conn, query_embedding, match_count, filter)

    def fulltext_search(self, query_text, match_count, filter=None):
        return search.fulltext_search(self.conn, query_text, match_count, filter)

    def hybrid_search(
        self,
        query_text,
        query_embedding,
        match_count,
        filter=None,
        full_text_weight=search.FULL_TEXT_WEIGHT,
        semantic_weight=search.SEMANTIC_WEIGHT,
        rrf_k=search.RRF_K,
    ):
        return search.hybrid_search(
            self.conn, query_text, query_embedding, match_count, filter, full_text_weight, semantic_weight, rrf_k
        )

    def hybrid_search_documents(self, query_text, query_embedding, match_count):
        return document_search.hybrid_search_documents(self.conn, query_text, query_embedding, match_count)


def _chunk_tables(table: VectorTable) -> chunks_sql.ChunkTables:
    """The pipeline's tables that `table` publishes."""
    return chunks_sql.DOCUMENT_TABLES if table.name == DOCUMENT_VECTORS.name else chunks_sql.PRODUCT_TABLES


def sync_vector_store(
    conn: psycopg.Connection, store: VectorStore, model: str, log: Callable[[str], None] = lambda _: None
) -> dict:
    """Make the store's table hold exactly the pipeline's embedded chunks of its kind (product or
    document; from `conn`, for `model`).

    Only rows whose source hash differs are written, in batches of `store.batch_rows`, each batch
    in one transaction; rows the pipeline no longer has are deleted after the writes.
    """
    tables = _chunk_tables(store.table)
    wanted = chunks_sql.published_source_hashes(conn, model, tables)
    current = store.source_hashes()
    to_write = sorted(i for i, h in wanted.items() if current.get(i) != h)
    to_delete = sorted(set(current) - set(wanted))
    bulk = len(to_write) >= BULK_LOAD_MIN_ROWS and len(to_write) > len(current)
    if bulk:
        log(f"bulk load of {len(to_write)} rows into a store of {len(current)}: HNSW index rebuilt afterwards")
        store.drop_index()
    batch_rows = store.batch_rows
    for start in range(0, len(to_write), batch_rows):
        rows = chunks_sql.published_rows(conn, model, to_write[start : start + batch_rows], tables)
        store.insert([r for r in rows if r["id"] not in current])
        store.upsert([r for r in rows if r["id"] in current])
        log(f"vectors written {min(start + batch_rows, len(to_write))}/{len(to_write)}")
    for start in range(0, len(to_delete), batch_rows):
        store.delete(to_delete[start : start + batch_rows])
    index_built = store.ensure_index()
    return {
        "vectors": len(wanted),
        "written": len(to_write),
        "deleted": len(to_delete),
        "unchanged": len(wanted) - len(to_write),
        "bulk_load": bulk,
        "index_built": index_built,
    }


BACKENDS: tuple[str, ...] = get_args(VectorStoreBackend)


def open_vector_store(
    backend: str,
    conn: psycopg.Connection,
    supabase_url: str = "",
    supabase_key: str = "",
    table: VectorTable = PRODUCT_VECTORS,
) -> VectorStore:
    """`postgres`: the table beside the pipeline's tables (on `conn`); `supabase`: a Supabase
    project's REST API."""
    if backend == "postgres":
        return PostgresVectorStore(conn, table)
    if backend == "supabase":
        from tileshop_pipelines.store.supabase_backend import SupabaseVectorStore

        return SupabaseVectorStore.connect(supabase_url, supabase_key, table)
    raise ValueError(f"vector store backend {backend!r} is not one of {BACKENDS}")
