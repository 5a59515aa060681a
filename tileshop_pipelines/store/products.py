"""SQL for the products table (one current record per product key) and product_history (every version).

Lists of keys are bound in binary (%b): the text array dumper runs a regex over every element."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from tileshop_pipelines.catalog.plausibility import implausible
from tileshop_pipelines.store import changes as changes_sql
from tileshop_pipelines.store import db

RECORD_COLUMNS = {
    "product_key": "text",
    "sku": "text",
    "url": "text",
    "name": "text",
    "price": "float8",
    "price_unit": "text",
    "record": "jsonb",
    "content_hash": "text",
    "implausible": "text",
}


def keys_to_parse(conn: psycopg.Connection, keys: list[str] | None = None) -> list[str]:
    """Product keys whose stored HTML has not been parsed yet (new or changed since the last
    attempt), optionally among `keys`. A page that failed to parse is tried again only when its
    content changes."""
    return [
        row[0]
        for row in conn.execute(
            """
        SELECT product_key FROM product_pages
        WHERE html IS NOT NULL AND parsed_hash IS DISTINCT FROM content_hash
          AND (%(keys)b::text[] IS NULL OR product_key = ANY(%(keys)b))
        ORDER BY product_key
        """,
            {"keys": keys},
        )
    ]


def load_pages(conn: psycopg.Connection, keys: list[str]) -> list[tuple[str, str, str, str]]:
    """(product_key, url, html, content_hash) for the given keys."""
    return [
        tuple(row)
        for row in conn.execute(
            "SELECT product_key, url, html, content_hash FROM product_pages WHERE product_key = ANY(%b)",
            (keys,),
        )
    ]


def save_records(
    conn: psycopg.Connection, records: list[tuple[str, str, dict]], failures: list[tuple[str, str, str]]
) -> dict[str, int]:
    """records: (product_key, content_hash, record); failures: (product_key, content_hash, error).

    A record that differs from the current one becomes a new version: the current history row
    gets valid_to, a new one opens. An identical record (a page whose markup changed but whose
    data did not) only moves content_hash/parsed_at. Returns {product_key: version} of the
    records that got a new version.

    A changed record that lost the current one's price, more than half of its fields or every
    specification is held in product_suspects instead (see migration 011): the current record and
    its version stay, the page's parse_error says why. So is any new record with a value outside
    its kind's plausibility bounds (catalog/plausibility.py), a product's first one too (it then
    has no current record until a plausible one comes). Any other record of a product clears its hold.
    """
    latest = {key: (key, digest, record) for key, digest, record in records}  # one row per product
    with db.atomic(conn), conn.cursor() as cur:
        # Staged by one COPY, then compared and written set-based in the server: the crawl's hot
        # path sends each record once and decodes none of the stored ones.
        db.stage(
            cur,
            "records_load",
            RECORD_COLUMNS,
            [
                (
                    key,
                    r.get("sku"),
                    r.get("url"),
                    r.get("name"),
                    _float(r.get("price")),
                    r.get("price_unit"),
                    Jsonb(r),
                    digest,
                    "; ".join(implausible(r)) or None,
                )
                for key, digest, r in latest.values()
            ],
        )
        cur.execute(
            "SELECT 1 FROM products p JOIN records_load USING (product_key) ORDER BY p.product_key FOR UPDATE OF p"
        )  # versions are read and written under the rows' locks
        held: dict[str, str] = dict(
            cur.execute(
                """
            INSERT INTO product_suspects AS s (product_key, content_hash, record, reason)
            SELECT product_key, content_hash, record, reason FROM (
                SELECT l.product_key, l.content_hash, l.record,
                       CASE WHEN l.implausible IS NOT NULL THEN l.implausible
                            WHEN p.price IS NOT NULL AND l.price IS NULL
                                 THEN format('price became null (version %s has %s)', p.version, p.price)
                            WHEN lost * 2 > had
                                 THEN format('lost %s of the %s fields version %s has', lost, had, p.version)
                            WHEN p.record->'specifications' <> '{}'
                                 AND COALESCE(l.record->'specifications', '{}') = '{}'
                                 THEN format('lost every specification version %s has', p.version)
                       END AS reason
                  FROM records_load l LEFT JOIN products p USING (product_key)
                 CROSS JOIN LATERAL (
                       SELECT count(*) AS had, count(*) FILTER (WHERE NOT COALESCE(l.record->'provenance', '{}') ? k)
                              AS lost
                         FROM jsonb_object_keys(COALESCE(p.record->'provenance', '{}')) k) fields
                 WHERE p.record IS DISTINCT FROM l.record) judged
             WHERE reason IS NOT NULL
            ON CONFLICT (product_key) DO UPDATE SET content_hash = EXCLUDED.content_hash, record = EXCLUDED.record,
                reason = EXCLUDED.reason, held_at = now()
            RETURNING product_key, reason
            """
            ).fetchall()
        )
        cur.execute(
            "DELETE FROM product_suspects WHERE product_key IN (SELECT product_key FROM records_load) "
            "AND NOT product_key = ANY(%b)",
            (list(held),),
        )
        failures = failures + [(key, latest[key][1], f"suspect: {reason}") for key, reason in held.items()]
        if held:
            cur.execute("DELETE FROM records_load WHERE product_key = ANY(%b)", (list(held),))
        versioned: dict[str, int] = dict(
            cur.execute(
                """
            SELECT l.product_key, COALESCE(p.version + 1, 1) FROM records_load l
              LEFT JOIN products p USING (product_key)
             WHERE p.product_key IS NULL OR p.record IS DISTINCT FROM l.record
            """
            ).fetchall()
        )
        cur.execute(
            """
            INSERT INTO products AS p (product_key, sku, url, name, price, price_unit, record, content_hash,
                                       version, record_hash, parsed_at)
            SELECT product_key, sku, url, name, price, price_unit, record, content_hash, 1, md5(record::text), now()
              FROM records_load
            ON CONFLICT (product_key) DO UPDATE SET
                sku = EXCLUDED.sku, url = EXCLUDED.url, name = EXCLUDED.name, price = EXCLUDED.price,
                price_unit = EXCLUDED.price_unit, record = EXCLUDED.record, record_hash = EXCLUDED.record_hash,
                content_hash = EXCLUDED.content_hash, parsed_at = now(), gone_at = NULL,
                version = CASE WHEN p.record IS DISTINCT FROM EXCLUDED.record THEN p.version + 1 ELSE p.version END
            """
        )
        if versioned:
            # One statement, the keys bound once: the UPDATE sees the statement's snapshot, so it
            # closes only the versions that were open before (the new ones are not visible to it).
            cur.execute(
                """
                WITH closed AS (
                    UPDATE product_history SET valid_to = now()
                     WHERE product_key = ANY(%(keys)b) AND valid_to IS NULL)
                INSERT INTO product_history (product_key, version, sku, url, name, price, price_unit, record,
                                             record_hash, valid_from)
                SELECT product_key, version, sku, url, name, price, price_unit, record, record_hash, now()
                  FROM products WHERE product_key = ANY(%(keys)b)
                """,
                {"keys": list(versioned)},
            )
            changes_sql.record_version_changes(cur, list(versioned))  # price and spec changes, old -> new
        if len(latest) > len(held):
            cur.execute(
                "UPDATE product_pages pp SET parse_error = NULL, parsed_hash = l.content_hash "
                "FROM records_load l WHERE pp.product_key = l.product_key"
            )
        if failures:
            cur.executemany(
                "UPDATE product_pages SET parse_error = %s, parsed_hash = %s WHERE product_key = %s",
                [(error, digest, key) for key, digest, error in failures],
            )
    return versioned


def _float(value) -> float | None:
    return None if value is None else float(value)


def suspect_records(conn: psycopg.Connection, limit: int = 50) -> tuple[int, list[tuple[str, str, str]]]:
    """(how many records are held as suspect, (product_key, reason, held_at) of the newest `limit`)."""
    total = db.one(conn.execute("SELECT count(*) FROM product_suspects"))[0]
    rows = conn.execute(
        "SELECT product_key, reason, held_at::text FROM product_suspects ORDER BY held_at DESC, product_key LIMIT %s",
        (limit,),
    ).fetchall()
    return total, [tuple(row) for row in rows]


def mark_gone(conn: psycopg.Connection, keys: list[str]) -> None:
    """The site answered 404/410 for these products: their record stays, marked gone."""
    if keys:
        conn.execute("UPDATE products SET gone_at = now() WHERE product_key = ANY(%b) AND gone_at IS NULL", (keys,))


def history_for_sku(conn: psycopg.Connection, sku: str) -> list[dict]:
    """Every version of the products with this SKU (a SKU can sit on two URLs), oldest first."""
    rows = conn.execute(
        """
        SELECT product_key, version, url, name, price, price_unit, valid_from, valid_to, record
          FROM product_history WHERE sku = %s ORDER BY product_key, version
        """,
        (sku,),
    ).fetchall()
    return [
        {
            "product_key": key,
            "version": version,
            "url": url,
            "name": name,
            "price": float(price) if price is not None else None,
            "price_unit": unit,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
            "record": record,
        }
        for key, version, url, name, price, unit, valid_from, valid_to, record in rows
    ]


def required_field_coverage(conn: psycopg.Connection, fields: tuple[str, ...]) -> tuple[int, int]:
    """(records with every one of `fields` present and not null, records) over current products."""
    total, complete = db.one(
        conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE "
            + " AND ".join("record->>%s IS NOT NULL" for _ in fields)
            + ") FROM products WHERE gone_at IS NULL",
            fields,
        )
    )
    return complete, total
