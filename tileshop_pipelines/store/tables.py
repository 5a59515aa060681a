"""What the pipeline's tables hold: row counts and columns, for asset metadata and `tileshop status`."""

from __future__ import annotations

import psycopg
from psycopg import sql

from tileshop_pipelines.store import db
from tileshop_pipelines.store.acquisition import listed_product_count

# The tables the assets materialize, in lineage order.
ASSET_TABLES = (
    "sitemap_urls",
    "product_pages",
    "products",
    "product_chunks",
    "product_embeddings",
    "product_vectors",
    "documents",
    "document_links",
    "document_pages",
    "document_chunks",
    "document_embeddings",
    "document_vectors",
)


def row_count(conn: psycopg.Connection, table: str) -> int:
    return db.one(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))))[0]


def columns(conn: psycopg.Connection, table: str) -> list[tuple[str, str, bool]]:
    """(name, type, nullable) of each column, in table order."""
    return conn.execute(
        """SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
             FROM pg_attribute a
            WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum""",
        (table,),
    ).fetchall()


def asset_table_counts(conn: psycopg.Connection) -> dict[str, int]:
    counts = {table: row_count(conn, table) for table in ASSET_TABLES}
    counts["products_listed"] = listed_product_count(conn)
    return counts
