"""What `tileshop transfer verify` compares between two databases, read with bound, fixed SQL.

Row hashes are md5 of the whole row as text, read in a session with fixed output settings (UTC,
ISO dates, shortest exact floats) so that the same row gives the same text on any server.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from tileshop_pipelines.store import db
from tileshop_pipelines.store.vector_tables import HNSW_INDEX, SEARCH_TEXT_INDEX

# The pipeline's keyed tables hashed row by row: table -> its key columns.
HASHED_TABLES = {
    "products": ("product_key",),
    "product_history": ("product_key", "version"),
    "product_chunks": ("chunk_id",),
    "product_embeddings": ("chunk_id",),
    "product_vectors": ("id",),
    "document_chunks": ("chunk_id",),
    "document_embeddings": ("chunk_id",),
    "document_vectors": ("id",),
}
# The indexes the search needs: vector (HNSW) and full-text (GIN over tsvector).
SEARCH_INDEXES = {HNSW_INDEX: "hnsw", SEARCH_TEXT_INDEX: "gin", "product_vectors_fts": "gin"}
SEARCH_FUNCTIONS = ("match_products", "fulltext_search", "hybrid_search")
_OUTPUT_SETTINGS = {"TimeZone": "UTC", "DateStyle": "ISO, YMD", "IntervalStyle": "postgres", "extra_float_digits": "1"}


def fixed_output(conn: psycopg.Connection) -> None:
    for name, value in _OUTPUT_SETTINGS.items():
        conn.execute("SELECT set_config(%s, %s, false)", (name, value))


def user_tables(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(schema, table) of every ordinary table outside the system schemas and extensions."""
    return conn.execute(
        """SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
              AND n.nspname NOT LIKE 'pg_temp%%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                 AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1, 2"""
    ).fetchall()


def _name(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Exact row count of every table (ours and Dagster's)."""
    return {
        _name(schema, table): db.one(
            conn.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
        )[0]
        for schema, table in user_tables(conn)
    }


def row_hashes(conn: psycopg.Connection, table: str, keys: tuple[str, ...]) -> dict[str, str]:
    """key (its columns joined by '/') -> md5 of the whole row; {} when the table is missing."""
    if db.one(conn.execute("SELECT to_regclass(%s)", (table,)))[0] is None:
        return {}
    key = sql.SQL(" || '/' || ").join(sql.SQL("{}::text").format(sql.Identifier(k)) for k in keys)
    return dict(conn.execute(sql.SQL("SELECT {}, md5(t::text) FROM {} t").format(key, sql.Identifier(table))))


def vector_columns(conn: psycopg.Connection) -> dict[str, dict]:
    """Every vector column: its declared type, row count and the rows per actual dimension."""
    found = {}
    for schema, table, column, declared in conn.execute(
        """SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
                WHERE t.typname = 'vector' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY 1, 2, 3"""
    ).fetchall():
        dims: dict[str, int] = dict(
            conn.execute(
                sql.SQL("SELECT vector_dims({c})::text, count(*) FROM {s}.{t} GROUP BY 1").format(
                    c=sql.Identifier(column), s=sql.Identifier(schema), t=sql.Identifier(table)
                )
            ).fetchall()
        )
        found[f"{_name(schema, table)}.{column}"] = {
            "declared": declared.removeprefix("public."),
            "count": sum(dims.values()),
            "dimensions": dims,
        }
    return found


def indexes(conn: psycopg.Connection) -> dict[str, str]:
    """index name -> its definition, outside the system schemas."""
    return dict(
        conn.execute(
            """SELECT CASE schemaname WHEN 'public' THEN indexname ELSE schemaname || '.' || indexname END, indexdef
             FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"""
        )
    )


def functions(conn: psycopg.Connection) -> dict[str, str]:
    """signature -> md5 of its definition, for the functions no extension owns."""
    return dict(
        conn.execute(
            """SELECT p.oid::regprocedure::text, md5(pg_get_functiondef(p.oid))
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prokind IN ('f', 'p')
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                 AND d.objid = p.oid AND d.deptype = 'e')"""
        )
    )


def sequences(conn: psycopg.Connection) -> dict[str, int | None]:
    """sequence -> its last value (None before its first use)."""
    return dict(
        conn.execute(
            """SELECT CASE schemaname WHEN 'public' THEN sequencename ELSE schemaname || '.' || sequencename END,
                  last_value FROM pg_sequences"""
        )
    )


def extensions(conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT extname, extversion FROM pg_extension"))


def fingerprint(conn: psycopg.Connection) -> dict:
    """Everything verify compares, read in one repeatable-read snapshot."""
    fixed_output(conn)
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return {
            "tables": table_counts(conn),
            "rows": {table: row_hashes(conn, table, keys) for table, keys in HASHED_TABLES.items()},
            "vectors": vector_columns(conn),
            "indexes": indexes(conn),
            "functions": functions(conn),
            "sequences": sequences(conn),
            "extensions": extensions(conn),
        }
