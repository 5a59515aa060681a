"""SQL for the products table: one structured record per product key."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
from psycopg.types.json import Jsonb


def keys_to_parse(conn: psycopg.Connection) -> list[str]:
    """Product keys whose stored HTML has not been parsed yet (new or changed since the last
    attempt). A page that failed to parse is tried again only when its content changes."""
    return [row[0] for row in conn.execute(
        """
        SELECT product_key FROM product_pages
        WHERE html IS NOT NULL AND parsed_hash IS DISTINCT FROM content_hash
        ORDER BY product_key
        """
    )]


def load_pages(conn: psycopg.Connection, keys: list[str]) -> list[tuple[str, str, str, str]]:
    """(product_key, url, html, content_hash) for the given keys."""
    return [tuple(row) for row in conn.execute(
        "SELECT product_key, url, html, content_hash FROM product_pages WHERE product_key = ANY(%s)",
        (keys,),
    )]


def save_records(conn: psycopg.Connection, records: list[tuple[str, str, dict]],
                 failures: list[tuple[str, str]]) -> None:
    """records: (product_key, content_hash, record); failures: (product_key, content_hash, error)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO products (product_key, sku, url, name, price, price_unit, record, content_hash, parsed_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())
            ON CONFLICT (product_key) DO UPDATE SET
                sku = EXCLUDED.sku, url = EXCLUDED.url, name = EXCLUDED.name, price = EXCLUDED.price,
                price_unit = EXCLUDED.price_unit, record = EXCLUDED.record,
                content_hash = EXCLUDED.content_hash, parsed_at = now()
            """,
            [(key, r.get("sku"), r.get("url"), r.get("name"), r.get("price"), r.get("price_unit"),
              Jsonb(r), digest) for key, digest, r in records],
        )
        cur.executemany("UPDATE product_pages SET parse_error = NULL, parsed_hash = %s WHERE product_key = %s",
                        [(digest, key) for key, digest, _ in records])
        cur.executemany("UPDATE product_pages SET parse_error = %s, parsed_hash = %s WHERE product_key = %s",
                        [(error, digest, key) for key, digest, error in failures])


def all_records(conn: psycopg.Connection) -> Iterator[tuple[str, dict]]:
    with conn.cursor() as cur:
        cur.execute("SELECT product_key, record FROM products ORDER BY product_key")
        yield from cur
