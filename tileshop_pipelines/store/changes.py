"""SQL for catalog_changes (migration 014): what each refresh changed, for the catalog team.

Listing changes (added, delisted, returned) are written by the sitemap refresh
(store.acquisition.record_sitemap), price and specification changes by the crawl when a record
becomes a new version (store.products.save_records), each in the transaction that makes the
change: a change is recorded exactly when it is stored.
"""

from __future__ import annotations

import datetime as dt

import psycopg

from tileshop_pipelines.store import db

COLUMNS = ("id", "changed_at", "refresh_id", "product_key", "sku", "name", "change", "field", "old_value", "new_value")
KINDS = ("added", "delisted", "returned", "price", "spec")
# record->'specifications' as an object ({} when absent or not an object)
_SPECS = (
    "CASE WHEN jsonb_typeof({0}.record->'specifications') = 'object' THEN {0}.record->'specifications' "
    "ELSE '{{}}'::jsonb END"
)


def record_listing_changes(conn: psycopg.Connection, refresh_id: int, changes: dict[str, str]) -> int:
    """{product_key: added | delisted | returned} of one sitemap refresh, with each product's SKU
    (from its URL) and name (its current record, if any). Returns the rows written."""
    if not changes:
        return 0
    keys = sorted(changes)
    return conn.execute(
        """
        INSERT INTO catalog_changes (refresh_id, product_key, sku, name, change)
        SELECT %(refresh)s, k.product_key, u.sku, p.name, k.change
          FROM unnest(%(keys)s::text[], %(changes)s::text[]) AS k(product_key, change)
          LEFT JOIN LATERAL (SELECT sku FROM sitemap_urls s WHERE s.product_key = k.product_key
                              ORDER BY s.removed_at DESC NULLS FIRST, s.url LIMIT 1) u ON true
          LEFT JOIN products p ON p.product_key = k.product_key
        """,
        {"refresh": refresh_id, "keys": keys, "changes": [changes[k] for k in keys]},
    ).rowcount


def record_version_changes(cur: psycopg.Cursor, keys: list[str]) -> int:
    """Price (with unit) and specification changes between each product's current version and the
    one before it, for products among `keys` that just got a new version. Returns the rows written."""
    if not keys:
        return 0
    return cur.execute(
        f"""
        INSERT INTO catalog_changes (refresh_id, product_key, sku, name, change, field, old_value, new_value)
        SELECT (SELECT max(id) FROM sitemap_refreshes), n.product_key, n.sku, n.name, c.change, c.field,
               c.old_value, c.new_value
          FROM product_history n
          JOIN product_history o ON o.product_key = n.product_key AND o.version = n.version - 1
         CROSS JOIN LATERAL (
               SELECT 'price' AS change, NULL::text AS field,
                      jsonb_build_object('price', o.price, 'unit', o.price_unit) AS old_value,
                      jsonb_build_object('price', n.price, 'unit', n.price_unit) AS new_value
                WHERE o.price IS DISTINCT FROM n.price OR o.price_unit IS DISTINCT FROM n.price_unit
               UNION ALL
               SELECT 'spec', k, {_SPECS.format("o")} -> k, {_SPECS.format("n")} -> k
                 FROM jsonb_object_keys({_SPECS.format("o")} || {_SPECS.format("n")}) AS k
                WHERE ({_SPECS.format("o")} -> k) IS DISTINCT FROM ({_SPECS.format("n")} -> k)) c
         WHERE n.product_key = ANY(%b) AND n.valid_to IS NULL
        """,
        (keys,),
    ).rowcount


def latest_refresh_id(conn: psycopg.Connection) -> int | None:
    return db.one(conn.execute("SELECT max(id) FROM sitemap_refreshes"))[0]


def list_changes(
    conn: psycopg.Connection,
    *,
    since: dt.datetime | None = None,
    refresh_id: int | None = None,
    product_keys: list[str] | None = None,
    limit: int = 1000,
) -> list[dict]:
    """Changes, oldest first: at or after `since`, of one refresh cycle, and/or of some products."""
    cur = conn.execute(
        f"""
        SELECT {", ".join(COLUMNS)} FROM catalog_changes
         WHERE (%(since)s::timestamptz IS NULL OR changed_at >= %(since)s)
           AND (%(refresh)s::bigint IS NULL OR refresh_id = %(refresh)s)
           AND (%(keys)s::text[] IS NULL OR product_key = ANY(%(keys)s))
         ORDER BY changed_at, id LIMIT %(limit)s
        """,
        {"since": since, "refresh": refresh_id, "keys": product_keys, "limit": limit},
    )
    return [dict(zip(COLUMNS, row, strict=True)) for row in cur.fetchall()]


def count_changes(
    conn: psycopg.Connection, *, since: dt.datetime | None = None, refresh_id: int | None = None
) -> dict[str, int]:
    """{change kind: rows} under the same conditions as list_changes (every kind, 0 included)."""
    counts: dict[str, int] = dict(
        conn.execute(
            """
        SELECT change, count(*) FROM catalog_changes
         WHERE (%(since)s::timestamptz IS NULL OR changed_at >= %(since)s)
           AND (%(refresh)s::bigint IS NULL OR refresh_id = %(refresh)s)
         GROUP BY change
        """,
            {"since": since, "refresh": refresh_id},
        ).fetchall()
    )
    return {kind: counts.get(kind, 0) for kind in KINDS}
