"""SQL for the acquisition tables: sitemap_urls and product_pages (bound parameters only)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class ListedUrl:
    url: str
    kind: str
    product_key: str | None
    sku: str | None
    lastmod: str | None


@dataclass(frozen=True)
class SitemapDiff:
    listed: int
    products: int
    added: int
    removed: int
    unchanged: int


def record_sitemap(conn: psycopg.Connection, urls: list[ListedUrl]) -> SitemapDiff:
    """Upsert this listing; URLs no longer listed get removed_at (never deleted)."""
    with conn.transaction():
        before = {row[0] for row in conn.execute(
            "SELECT url FROM sitemap_urls WHERE removed_at IS NULL")}
        with conn.cursor() as cur:
            cur.executemany(
                """
                INSERT INTO sitemap_urls (url, kind, product_key, sku, lastmod)
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (url) DO UPDATE SET
                    kind = EXCLUDED.kind, product_key = EXCLUDED.product_key, sku = EXCLUDED.sku,
                    lastmod = EXCLUDED.lastmod, last_seen = now(), removed_at = NULL
                """,
                [(u.url, u.kind, u.product_key, u.sku, u.lastmod) for u in urls],
            )
        listed = {u.url for u in urls}
        gone = sorted(before - listed)
        if gone:
            conn.execute(
                "UPDATE sitemap_urls SET removed_at = now() WHERE url = ANY(%s) AND removed_at IS NULL",
                (gone,),
            )
    return SitemapDiff(
        listed=len(listed),
        products=len({u.product_key for u in urls if u.kind == "product"}),
        added=len(listed - before),
        removed=len(gone),
        unchanged=len(listed & before),
    )


def listed_products(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(product_key, url) of every product currently in the sitemap, one URL per key."""
    return [tuple(row) for row in conn.execute(
        """
        SELECT DISTINCT ON (product_key) product_key, url FROM sitemap_urls
        WHERE kind = 'product' AND removed_at IS NULL
        ORDER BY product_key, url
        """
    )]


def content_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8", errors="surrogatepass")).hexdigest()


def save_page_results(conn: psycopg.Connection, rows: Iterable[tuple]) -> None:
    """rows: (product_key, url, status_code, html | None, error | None).

    A failed fetch records its status and error but keeps the last good HTML and its hash.
    """
    params = [
        (key, url, status, html, content_hash(html) if html is not None else None, error)
        for key, url, status, html, error in rows
    ]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO product_pages (product_key, url, status_code, html, content_hash, error,
                                       fetched_at, last_ok_at)
            VALUES (%s, %s, %s, %s, %s, %s, now(), CASE WHEN %s::text IS NULL THEN NULL ELSE now() END)
            ON CONFLICT (product_key) DO UPDATE SET
                url = EXCLUDED.url,
                status_code = EXCLUDED.status_code,
                error = EXCLUDED.error,
                fetched_at = now(),
                html = COALESCE(EXCLUDED.html, product_pages.html),
                content_hash = COALESCE(EXCLUDED.content_hash, product_pages.content_hash),
                last_ok_at = COALESCE(EXCLUDED.last_ok_at, product_pages.last_ok_at)
            """,
            [(*p, p[4]) for p in params],
        )
