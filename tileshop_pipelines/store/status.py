"""What the health check reads from Postgres: the server's version and the vector index's state."""

from __future__ import annotations

import dataclasses

import psycopg

from tileshop_pipelines.store import db


@dataclasses.dataclass(frozen=True)
class VectorIndexStatus:
    vectors: int
    hnsw_indexes: int
    pgvector_version: str


def server_version(conn: psycopg.Connection) -> str:
    return db.one(conn.execute("SHOW server_version"))[0]


def vector_index_status(conn: psycopg.Connection) -> VectorIndexStatus | None:
    """The product_vectors table's rows and HNSW indexes; None when the table does not exist."""
    if db.one(conn.execute("SELECT to_regclass('product_vectors')"))[0] is None:
        return None
    vectors = db.one(conn.execute("SELECT count(*) FROM product_vectors"))[0]
    hnsw = db.one(
        conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'product_vectors' AND indexdef ILIKE '%USING hnsw%'"
        )
    )[0]
    version = db.one(conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))[0]
    return VectorIndexStatus(vectors=vectors, hnsw_indexes=hnsw, pgvector_version=version)
