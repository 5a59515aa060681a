"""SQL for the acquisition tables: sitemap_urls, sitemap_refreshes, product_pages (bound parameters only).

Lists of keys are bound in binary (%b): the text array dumper runs a regex over every element."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace

import psycopg

from tileshop_pipelines.crawl.checks import Outcome, PageCheck
from tileshop_pipelines.store import changes as changes_sql
from tileshop_pipelines.store import db

# Backoff across sensor ticks for pages whose check failed: base * 2^(attempts-1), capped.
RETRY_BASE = dt.timedelta(minutes=5)
RETRY_MAX = dt.timedelta(days=1)


class SitemapShrunk(ValueError):
    """The new listing drops more of the listed products than allowed; nothing was written."""

    def __init__(self, previous: int, listed: int, max_shrink: float):
        self.previous, self.listed, self.max_shrink = previous, listed, max_shrink
        super().__init__(
            f"the sitemap lists {listed} products, {previous - listed} fewer than the {previous} listed "
            f"now ({shrink_ratio(previous, listed):.1%} > {max_shrink:.0%}); refusing to mark them "
            "discontinued. If the catalog really shrank, materialize sitemap_urls with allow_shrink: true"
        )


class SitemapGrew(ValueError):
    """The new listing adds more products than allowed; nothing was written (no partitions either:
    a 200,000-product listing once registered 200,000 partitions, then the real sitemap was refused
    as a 99.9% shrink)."""

    def __init__(self, previous: int, listed: int, max_growth: float | None, max_products: int | None):
        self.previous, self.listed, self.max_growth, self.max_products = previous, listed, max_growth, max_products
        if max_products is not None and listed > max_products:
            why = f"over the hard maximum of {max_products}"
        else:
            why = f"{growth_ratio(previous, listed):.1%} more than the {previous} listed now (> {max_growth:.0%})"
        super().__init__(
            f"the sitemap lists {listed} products, {why}; refusing to add them. If the catalog really grew, "
            "materialize sitemap_urls with allow_growth: true (the hard maximum is max_products)"
        )


@dataclass(frozen=True)
class ListedUrl:
    url: str
    kind: str
    product_key: str | None
    sku: str | None
    lastmod: str | None
    lastmod_at: dt.datetime | None = None


@dataclass(frozen=True)
class SitemapDiff:
    listed: int
    products: int
    added: int
    removed: int
    unchanged: int
    previous_products: int = 0
    refresh_id: int | None = None  # the sitemap_refreshes row (its catalog_changes carry it)


def shrink_ratio(previous: int, listed: int) -> float:
    return (previous - listed) / previous if previous else 0.0


def growth_ratio(previous: int, listed: int) -> float:
    return (listed - previous) / previous if previous else 0.0


def record_sitemap(
    conn: psycopg.Connection,
    urls: list[ListedUrl],
    *,
    sitemap_url: str = "",
    max_shrink: float | None = None,
    max_growth: float | None = None,
    max_products: int | None = None,
) -> SitemapDiff:
    """Upsert this listing and open a new refresh cycle; URLs no longer listed get removed_at
    (never deleted). With `max_shrink`, a listing with that much fewer products than are listed
    now raises SitemapShrunk and writes nothing; with `max_growth` (a ratio; not for the first
    listing) or `max_products`, one with that many more products raises SitemapGrew, likewise."""
    products_now = {u.product_key for u in urls if u.kind == "product" and u.product_key is not None}  # (all have)
    with conn.transaction():
        before = {row[0] for row in conn.execute("SELECT url FROM sitemap_urls WHERE removed_at IS NULL")}
        listed_before = {row[0] for row in conn.execute("SELECT DISTINCT product_key FROM listed_product_urls")}
        known = {row[0] for row in conn.execute("SELECT DISTINCT product_key FROM sitemap_urls WHERE kind = 'product'")}
        previous_products = listed_product_count(conn)
        if max_shrink is not None and shrink_ratio(previous_products, len(products_now)) > max_shrink:
            raise SitemapShrunk(previous_products, len(products_now), max_shrink)
        if (max_growth is not None and growth_ratio(previous_products, len(products_now)) > max_growth) or (
            max_products is not None and len(products_now) > max_products
        ):
            raise SitemapGrew(previous_products, len(products_now), max_growth, max_products)
        with conn.cursor() as cur:
            cur.executemany(
                """
                INSERT INTO sitemap_urls (url, kind, product_key, sku, lastmod, lastmod_at)
                VALUES (%s, %s, %s, %s, %s, %s)
                ON CONFLICT (url) DO UPDATE SET
                    kind = EXCLUDED.kind, product_key = EXCLUDED.product_key, sku = EXCLUDED.sku,
                    lastmod = EXCLUDED.lastmod, lastmod_at = EXCLUDED.lastmod_at, last_seen = now(),
                    removed_at = NULL
                """,
                [(u.url, u.kind, u.product_key, u.sku, u.lastmod, u.lastmod_at) for u in urls],
            )
        listed = {u.url for u in urls}
        gone = sorted(before - listed)
        if gone:
            conn.execute(
                "UPDATE sitemap_urls SET removed_at = now() WHERE url = ANY(%s) AND removed_at IS NULL",
                (gone,),
            )
        diff = SitemapDiff(
            listed=len(listed),
            products=len(products_now),
            added=len(listed - before),
            removed=len(gone),
            unchanged=len(listed & before),
            previous_products=previous_products,
        )
        refresh_id = db.one(
            conn.execute(
                "INSERT INTO sitemap_refreshes (sitemap_url, listed, products, added, removed, unchanged)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (sitemap_url, diff.listed, diff.products, diff.added, diff.removed, diff.unchanged),
            )
        )[0]
        changes_sql.record_listing_changes(conn, refresh_id, listing_changes(known, listed_before, products_now))
    return replace(diff, refresh_id=refresh_id)


def listing_changes(known: set[str], listed_before: set[str], listed_now: set[str]) -> dict[str, str]:
    """{product_key: added | delisted | returned}: first listed ever, listed before and not now,
    listed now after a time unlisted."""
    changes = {key: "added" for key in listed_now - known}
    changes |= {key: "returned" for key in (listed_now & known) - listed_before}
    changes |= {key: "delisted" for key in listed_before - listed_now}
    return changes


def listed_products(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(product_key, url) of every product currently in the sitemap, one URL per key."""
    return [
        tuple(row)
        for row in conn.execute(
            """
        SELECT DISTINCT ON (product_key) product_key, url FROM listed_product_urls ORDER BY product_key, url
        """
        )
    ]


def keys_with_records(conn: psycopg.Connection, keys: list[str]) -> set[str]:
    """Those of `keys` whose product has a stored record (a crawl or an import stored it)."""
    return {row[0] for row in conn.execute("SELECT product_key FROM products WHERE product_key = ANY(%s)", (keys,))}


def listed_product_count(conn: psycopg.Connection) -> int:
    return db.one(conn.execute("SELECT count(DISTINCT product_key) FROM listed_product_urls"))[0]


def content_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8", errors="surrogatepass")).hexdigest()


@dataclass(frozen=True)
class CrawlTarget:
    """A listed product to fetch, with what a conditional request needs from its last good fetch."""

    product_key: str
    url: str
    etag: str | None
    last_modified: str | None
    checked_at: dt.datetime | None
    content_hash: str | None


def crawl_targets(
    conn: psycopg.Connection, keys: list[str], *, skip_checked_since: dt.datetime | None = None
) -> tuple[list[CrawlTarget], list[str]]:
    """(targets, skipped keys) for the given product keys that are listed now.

    A page checked at or after `skip_checked_since` (the current refresh cycle's start) is skipped:
    a resumed crawl does not fetch again what it already stored.
    """
    rows = conn.execute(
        """
        SELECT DISTINCT ON (s.product_key) s.product_key, s.url, p.etag, p.last_modified, p.checked_at,
               p.content_hash
          FROM listed_product_urls s LEFT JOIN product_pages p ON p.product_key = s.product_key
         WHERE s.product_key = ANY(%b)
         ORDER BY s.product_key, s.url
        """,
        (keys,),
    ).fetchall()
    targets, skipped = [], []
    for key, url, etag, last_modified, checked_at, digest in rows:
        if skip_checked_since is not None and checked_at is not None and checked_at >= skip_checked_since:
            skipped.append(key)
        else:
            targets.append(CrawlTarget(key, url, etag, last_modified, checked_at, digest))
    return targets, skipped


def current_cycle_start(conn: psycopg.Connection) -> dt.datetime | None:
    """When the latest sitemap refresh started: the start of the current refresh cycle."""
    return db.one(conn.execute("SELECT max(started_at) FROM sitemap_refreshes"))[0]


PAGE_CHECK_COLUMNS = {
    "product_key": "text",
    "url": "text",
    "status_code": "int4",
    "state": "text",
    "html": "text",
    "content_hash": "text",
    "etag": "text",
    "last_modified": "text",
    "error": "text",
    "changed": "bool",
}


def record_page_checks(conn: psycopg.Connection, checks: list[PageCheck]) -> dict[str, bool]:
    """Store a batch of checks in one transaction; returns {product_key: content changed}.

    ok: the new HTML, its hash and validators; not_modified: only the check time; gone: the
    state (the last good HTML stays); blocked / failed: the error, one more attempt and the next
    retry time (backoff), keeping the last good HTML and hash.
    """
    if not checks:
        return {}
    checks = list({c.product_key: c for c in checks}.values())  # one row per product: the latest check
    keys = [c.product_key for c in checks]
    with db.atomic(conn), conn.cursor() as cur:
        previous: dict[str, str | None] = dict(
            cur.execute(
                "SELECT product_key, content_hash FROM product_pages WHERE product_key = ANY(%b)", (keys,)
            ).fetchall()
        )
        changed: dict[str, bool] = {}
        answered: list[tuple] = []  # page_checks_load's rows
        not_modified: list[str] = []
        unanswered: list[tuple] = []
        for c in checks:
            key = c.product_key
            if key is None:
                raise ValueError(f"{c.url}: a product page's check with no product key")
            if c.outcome is Outcome.NOT_MODIFIED and key in previous:
                changed[key] = False
                not_modified.append(key)
            elif c.outcome is Outcome.OK:
                digest = c.content_hash or content_hash(c.html or "")  # (an ok page has its html)
                changed[key] = previous.get(key) != digest
                answered.append(
                    (key, c.url, c.status_code, Outcome.OK, c.html, digest, c.etag, c.last_modified, None, changed[key])
                )
            elif c.answered:  # not modified (a page the store does not have yet) or gone
                changed[key] = False
                answered.append(
                    (
                        key,
                        c.url,
                        c.status_code,
                        Outcome.OK if c.outcome is Outcome.NOT_MODIFIED else Outcome.GONE,
                        None,
                        None,
                        None,
                        None,
                        c.error,
                        False,
                    )
                )
            else:
                changed[key] = False
                unanswered.append((key, c.url, c.status_code, c.outcome, c.error))
        if answered:  # staged by one COPY: a crawl's hot path writes whole pages (see db.stage)
            db.stage(cur, "page_checks_load", PAGE_CHECK_COLUMNS, answered)
            cur.execute(
                """
                INSERT INTO product_pages AS p (product_key, url, status_code, state, html, content_hash, etag,
                                                last_modified, error, attempts, fetched_at, checked_at, last_ok_at,
                                                changed_at)
                SELECT product_key, url, status_code, state, html, content_hash, etag, last_modified, error, 0,
                       now(), now(), CASE WHEN state = 'ok' THEN now() END, CASE WHEN changed THEN now() END
                  FROM page_checks_load
                ON CONFLICT (product_key) DO UPDATE SET
                    url = EXCLUDED.url, status_code = EXCLUDED.status_code, state = EXCLUDED.state,
                    error = EXCLUDED.error, attempts = 0, next_attempt_at = NULL,
                    fetched_at = now(), checked_at = now(),
                    html = COALESCE(EXCLUDED.html, p.html),
                    content_hash = COALESCE(EXCLUDED.content_hash, p.content_hash),
                    etag = CASE WHEN EXCLUDED.html IS NULL THEN p.etag ELSE EXCLUDED.etag END,
                    last_modified = CASE WHEN EXCLUDED.html IS NULL THEN p.last_modified
                                         ELSE EXCLUDED.last_modified END,
                    last_ok_at = COALESCE(EXCLUDED.last_ok_at, p.last_ok_at),
                    changed_at = COALESCE(EXCLUDED.changed_at, p.changed_at)
                """
            )
        if not_modified:  # the bulk of an incremental refresh: one statement, not one per page
            cur.execute(
                """
                UPDATE product_pages SET status_code = 304, state = 'ok', error = NULL, attempts = 0,
                       next_attempt_at = NULL, fetched_at = now(), checked_at = now()
                 WHERE product_key = ANY(%b)
                """,
                (not_modified,),
            )
        if unanswered:
            cur.executemany(
                """
                INSERT INTO product_pages AS p (product_key, url, status_code, state, error, attempts, fetched_at,
                                                next_attempt_at)
                VALUES (%(key)s, %(url)s, %(status)s, %(state)s, %(error)s, 1, now(), now() + %(base)s)
                ON CONFLICT (product_key) DO UPDATE SET
                    url = EXCLUDED.url, status_code = EXCLUDED.status_code, state = EXCLUDED.state,
                    error = EXCLUDED.error, attempts = p.attempts + 1, fetched_at = now(),
                    next_attempt_at = now() + LEAST(%(base)s * power(2, p.attempts), %(cap)s)
                """,
                [
                    {
                        "key": key,
                        "url": url,
                        "status": status,
                        "state": state,
                        "error": error,
                        "base": RETRY_BASE,
                        "cap": RETRY_MAX,
                    }
                    for key, url, status, state, error in unanswered
                ],
            )
    return changed


@dataclass(frozen=True)
class DueProduct:
    product_key: str
    reason: str  # new | changed | retry | stale
    fetched_at: dt.datetime | None


# Each listed product with why it is due for a check now (NULL: not due); due_products' rules.
_JUDGED_PRODUCTS = """
        WITH listed AS (
            SELECT product_key, max(lastmod_at) AS lastmod_at FROM listed_product_urls GROUP BY product_key
        ), judged AS (
            SELECT l.product_key, p.fetched_at,
                   CASE WHEN p.product_key IS NULL THEN 'new'
                        WHEN p.state IN ('failed', 'blocked')
                             THEN CASE WHEN p.next_attempt_at <= now() THEN 'retry' END
                        WHEN p.checked_at IS NULL THEN 'new'
                        WHEN l.lastmod_at > p.checked_at THEN 'changed'
                        WHEN p.checked_at < now() - %(max_age)s THEN 'stale'
                   END AS reason,
                   p.checked_at
              FROM listed l LEFT JOIN product_pages p ON p.product_key = l.product_key
        )
"""
DUE_REASONS = ("new", "changed", "retry", "stale")


def due_products(conn: psycopg.Connection, *, max_age: dt.timedelta, limit: int) -> list[DueProduct]:
    """Listed products to check now, most urgent first: never fetched (new), <lastmod> newer
    than the last check (changed), failed or blocked with their backoff over (retry), or last
    checked more than `max_age` ago (stale; oldest first, so checks spread over max_age)."""
    rows = conn.execute(
        _JUDGED_PRODUCTS
        + """
        SELECT product_key, reason, fetched_at FROM judged WHERE reason IS NOT NULL
         ORDER BY array_position(ARRAY['new', 'changed', 'retry', 'stale'], reason),
                  checked_at NULLS FIRST, product_key
         LIMIT %(limit)s
        """,
        {"max_age": max_age, "limit": limit},
    ).fetchall()
    return [DueProduct(*row) for row in rows]


def due_counts(conn: psycopg.Connection, max_age: dt.timedelta) -> dict[str, int]:
    """{reason: listed products due now for it}, every reason of DUE_REASONS present."""
    found: dict[str, int] = dict(
        conn.execute(
            _JUDGED_PRODUCTS + "SELECT reason, count(*) FROM judged WHERE reason IS NOT NULL GROUP BY reason",
            {"max_age": max_age},
        ).fetchall()
    )
    return {reason: found.get(reason, 0) for reason in DUE_REASONS}


def page_states(conn: psycopg.Connection, keys: list[str]) -> dict[str, str]:
    """{product_key: state} of the stored pages among `keys`."""
    return dict(
        conn.execute("SELECT product_key, state FROM product_pages WHERE product_key = ANY(%s)", (keys,)).fetchall()
    )


def page_attempts(conn: psycopg.Connection, keys: list[str]) -> dict[str, int]:
    """{product_key: failed or blocked checks in a row} of the stored pages among `keys`."""
    return dict(
        conn.execute("SELECT product_key, attempts FROM product_pages WHERE product_key = ANY(%s)", (keys,)).fetchall()
    )
