"""SQL of the catalog team's workspace: the product list (search, filters, sort, paging), one
product's page (record, versions, changes, crawl state, held suspect version), the export's rows
(one server-side cursor, read in chunks) and the resolution of a re-crawl request (SKUs, product
keys or a category -> product keys).

Every value is a bound parameter; a sort column is one of SORT_COLUMNS (a closed mapping from the
name the API takes to its SQL), never text from a request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import psycopg

from tileshop_pipelines.store import db

# API name -> SQL of the product list's sortable columns (p: products, pp: product_pages).
SORT_COLUMNS = {
    "product_key": "p.product_key",
    "sku": "p.sku",
    "name": "p.name",
    "category": "p.record->>'category'",
    "material": "p.filter_material",
    "color": "p.record->>'color'",
    "price": "p.price",
    "price_unit": "p.price_unit",
    "version": "p.version",
    "parsed_at": "p.parsed_at",
    "state": "pp.state",
    "checked_at": "pp.checked_at",
    "attempts": "pp.attempts",
    "next_attempt_at": "pp.next_attempt_at",
    "gone_at": "p.gone_at",
}
CRAWL_STATES = ("ok", "gone", "blocked", "failed", "unchecked")  # unchecked: no product_pages row yet

_LIST_COLUMNS = (
    "product_key",
    "sku",
    "name",
    "category",
    "material",
    "color",
    "price",
    "price_unit",
    "version",
    "parsed_at",
    "gone_at",
    "state",
    "checked_at",
    "attempts",
    "next_attempt_at",
    "suspect",
)


@dataclasses.dataclass(frozen=True)
class ProductQuery:
    """The product list's search and filters (None: not filtered on)."""

    q: str | None = None  # a substring of the name, SKU or product key, case-insensitive
    category: str | None = None
    material: str | None = None
    color: str | None = None
    price_min: float | None = None
    price_max: float | None = None
    state: str | None = None  # one of CRAWL_STATES
    suspect: bool | None = None  # True: only products with a held suspect version
    gone: bool | None = None  # True: only products the site answered 404/410 for


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(query: ProductQuery) -> tuple[str, dict]:
    params = {
        "q": _like(query.q) if query.q else None,
        "category": query.category,
        "material": query.material,
        "color": query.color,
        "price_min": query.price_min,
        "price_max": query.price_max,
        "state": query.state,
        "suspect": query.suspect,
        "gone": query.gone,
    }
    where = """
        (%(q)s::text IS NULL OR p.name ILIKE %(q)s OR p.sku ILIKE %(q)s OR p.product_key ILIKE %(q)s)
        AND (%(category)s::text IS NULL OR lower(p.record->>'category') = lower(%(category)s))
        AND (%(material)s::text IS NULL OR p.filter_material = lower(%(material)s))
        AND (%(color)s::text IS NULL OR lower(btrim(%(color)s)) = ANY(p.filter_colors))
        AND (%(price_min)s::numeric IS NULL OR p.price >= %(price_min)s)
        AND (%(price_max)s::numeric IS NULL OR p.price <= %(price_max)s)
        AND (%(state)s::text IS NULL OR COALESCE(pp.state, 'unchecked') = %(state)s)
        AND (%(suspect)s::boolean IS NULL OR (s.product_key IS NOT NULL) = %(suspect)s)
        AND (%(gone)s::boolean IS NULL OR (p.gone_at IS NOT NULL) = %(gone)s)
    """
    return where, params


_FROM = """
    FROM products p
    LEFT JOIN product_pages pp ON pp.product_key = p.product_key
    LEFT JOIN product_suspects s ON s.product_key = p.product_key
"""


def list_products(
    conn: psycopg.Connection,
    query: ProductQuery,
    *,
    sort: str = "product_key",
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[dict]]:
    """(products matching `query`, the `limit` of them from `offset` in `sort` order). Ties and
    nulls are ordered by product key, nulls last either way, so pages never overlap."""
    order = SORT_COLUMNS[sort]  # KeyError for a column outside the mapping: callers check first
    where, params = _where(query)
    direction = "DESC" if descending else "ASC"
    total = db.one(conn.execute(f"SELECT count(*) {_FROM} WHERE {where}", params))[0]
    rows = conn.execute(
        f"""
        SELECT p.product_key, p.sku, p.name, p.record->>'category', p.record->>'material', p.record->>'color',
               p.price, p.price_unit, p.version, p.parsed_at, p.gone_at, pp.state, pp.checked_at,
               pp.attempts, pp.next_attempt_at, s.product_key IS NOT NULL
        {_FROM} WHERE {where}
        ORDER BY {order} {direction} NULLS LAST, p.product_key {direction}
        OFFSET %(offset)s LIMIT %(limit)s
        """,
        {**params, "offset": offset, "limit": limit},
    ).fetchall()
    return total, [_listed(row) for row in rows]


def _listed(row) -> dict:
    item = dict(zip(_LIST_COLUMNS, row, strict=True))
    item["price"] = float(item["price"]) if item["price"] is not None else None
    return item


def facets(conn: psycopg.Connection) -> dict[str, list[str]]:
    """The values the list's filters offer: categories and materials as the records write them."""

    def values(expr: str) -> list[str]:
        return [
            r[0] for r in conn.execute(f"SELECT DISTINCT {expr} AS v FROM products WHERE {expr} IS NOT NULL ORDER BY v")
        ]

    return {"categories": values("record->>'category'"), "materials": values("record->>'material'")}


def category_keys(conn: psycopg.Connection, category: str) -> list[str]:
    """Product keys whose current record's category is `category` (case-insensitive), sorted."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT product_key FROM products WHERE lower(record->>'category') = lower(%s) ORDER BY product_key",
            (category,),
        )
    ]


def keys_for_skus(conn: psycopg.Connection, skus: list[str]) -> dict[str, list[str]]:
    """{SKU as asked: its product keys}: every URL the SKU sits on (products and the sitemap), so
    a SKU on two URLs is both. A SKU nothing knows maps to []. Case-insensitive (495660ss)."""
    found: dict[str, set[str]] = {sku.lower(): set() for sku in skus}
    rows = conn.execute(
        """
        SELECT lower(sku), product_key FROM products WHERE lower(sku) = ANY(%(skus)s)
        UNION
        SELECT lower(sku), product_key FROM sitemap_urls
         WHERE kind = 'product' AND product_key IS NOT NULL AND lower(sku) = ANY(%(skus)s)
        """,
        {"skus": list(found)},
    ).fetchall()
    for sku, key in rows:
        found[sku].add(key)
    return {sku: sorted(found[sku.lower()]) for sku in skus}


def known_keys(conn: psycopg.Connection, keys: list[str]) -> set[str]:
    """The product keys among `keys` that a record or the sitemap knows."""
    return {
        r[0]
        for r in conn.execute(
            "SELECT product_key FROM products WHERE product_key = ANY(%(k)s) "
            "UNION SELECT product_key FROM sitemap_urls WHERE product_key = ANY(%(k)s)",
            {"k": keys},
        )
    }


def crawl_states(conn: psycopg.Connection, keys: list[str]) -> dict[str, dict]:
    """{product_key: its page's crawl state} (keys never fetched are absent)."""
    rows = conn.execute(
        """
        SELECT product_key, url, state, status_code, checked_at, fetched_at, last_ok_at, changed_at, attempts,
               next_attempt_at, error, parse_error
          FROM product_pages WHERE product_key = ANY(%s)
        """,
        (keys,),
    ).fetchall()
    names = (
        "product_key",
        "url",
        "state",
        "status_code",
        "checked_at",
        "fetched_at",
        "last_ok_at",
        "changed_at",
        "attempts",
        "next_attempt_at",
        "error",
        "parse_error",
    )
    return {row[0]: dict(zip(names, row, strict=True)) for row in rows}


def product_detail(conn: psycopg.Connection, product_key: str) -> dict | None:
    """One product as its page shows it: the current record, every version (oldest first), the
    crawl state, a held suspect version, and the product's other URLs in the sitemap. None: no
    record of this key."""
    row = conn.execute(
        """
        SELECT product_key, sku, url, name, price, price_unit, record, version, parsed_at, gone_at, content_hash
          FROM products WHERE product_key = %s
        """,
        (product_key,),
    ).fetchone()
    if row is None:
        return None
    names = (
        "product_key",
        "sku",
        "url",
        "name",
        "price",
        "price_unit",
        "record",
        "version",
        "parsed_at",
        "gone_at",
        "content_hash",
    )
    product = dict(zip(names, row, strict=True))
    product["price"] = float(product["price"]) if product["price"] is not None else None
    product["versions"] = [
        {
            "version": v,
            "url": url,
            "name": name,
            "price": float(price) if price is not None else None,
            "price_unit": unit,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "record": record,
        }
        for v, url, name, price, unit, valid_from, valid_to, record in conn.execute(
            """
            SELECT version, url, name, price, price_unit, valid_from, valid_to, record
              FROM product_history WHERE product_key = %s ORDER BY version
            """,
            (product_key,),
        )
    ]
    product["crawl"] = crawl_states(conn, [product_key]).get(product_key)
    suspect = conn.execute(
        "SELECT reason, held_at, content_hash, record FROM product_suspects WHERE product_key = %s", (product_key,)
    ).fetchone()
    product["suspect"] = (
        None if suspect is None else dict(zip(("reason", "held_at", "content_hash", "record"), suspect, strict=True))
    )
    product["sitemap_urls"] = [
        dict(zip(("url", "lastmod", "first_seen", "removed_at"), r, strict=True))
        for r in conn.execute(
            "SELECT url, lastmod, first_seen, removed_at FROM sitemap_urls WHERE product_key = %s ORDER BY url",
            (product_key,),
        )
    ]
    return product


# --- the export ---------------------------------------------------------------------------------
EXPORT_ROW_COLUMNS = ("product_key", "version", "parsed_at", "gone_at", "record")


def export_rows(conn: psycopg.Connection, category: str | None, chunk_rows: int) -> Iterator[list[tuple]]:
    """Every current product (of `category`, case-insensitive, when given) in product key order,
    as lists of at most `chunk_rows` (EXPORT_ROW_COLUMNS) rows read through a server-side cursor,
    so memory holds one chunk whatever the catalog's size. Runs in a transaction of its own (a
    named cursor lives in one): one consistent snapshot of the catalog."""
    with conn.transaction(), conn.cursor(name="catalog_export") as cur:
        cur.itersize = chunk_rows
        cur.execute(
            """
            SELECT product_key, version, parsed_at, gone_at, record FROM products
             WHERE %(category)s::text IS NULL OR lower(record->>'category') = lower(%(category)s)
             ORDER BY product_key
            """,
            {"category": category},
        )
        while rows := cur.fetchmany(chunk_rows):
            yield rows
