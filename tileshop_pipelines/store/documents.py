"""SQL for the documents tables (migrations 020, 021): one row per document URL however many
products name it, the products linking it, the text of each page, every version fetched.

A product's record names its documents (`record.documents`, `{name, url}`); only listed products'
records count. A link no listed product makes any more is unlinked (`unlinked_at`), never
deleted; named again, it is linked again. `content_hash` is of the bytes last fetched (200),
`parsed_hash` of the bytes whose text `document_pages` holds: equal when the document is read, and
a failed parse of new bytes leaves the last good text with its hash. So 304 or the same bytes
again is never parsed twice, and whatever reads the text (chunks, embeddings) redoes its work only
when `parsed_hash` moves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psycopg

from tileshop_pipelines.crawl.addresses import normalized_host
from tileshop_pipelines.store import db

# Backoff across runs for documents whose check failed: base * 2^(attempts-1), capped.
RETRY_BASE = dt.timedelta(minutes=30)
RETRY_MAX = dt.timedelta(days=1)
NAMED_COLUMNS = {"product_key": "text", "url": "text", "host": "text", "name": "text"}
PAGE_COLUMNS = {"document_id": "int8", "page_number": "int4", "content_hash": "text", "text": "text"}


@dataclass(frozen=True)
class NamedDocument:
    product_key: str
    url: str
    name: str


@dataclass(frozen=True)
class LinkChanges:
    documents_added: int  # URLs seen for the first time
    linked: int  # links made now (a product naming a document for the first time)
    relinked: int  # links made again after being unlinked
    unlinked: int  # links no listed product makes now
    active_links: int
    linked_documents: int  # documents at least one listed product names


@dataclass(frozen=True)
class LinkedDocument:
    """A document some listed product names, with what a conditional request and the judge need."""

    document_id: int
    url: str
    host: str
    name: str
    state: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    parsed_hash: str | None
    due: bool  # new, refused before, failed and past its backoff, or checked longer ago than the max age


@dataclass
class DocumentResult:
    """One document's check, as stored. outcome: ok (new bytes read), unchanged (304, or the
    bytes stored already), gone, failed (the fetch, or the parse of new bytes: then `content_hash`
    is set and `pages` None)."""

    document_id: int
    outcome: str
    status_code: int | None = None
    reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    content_hash: str | None = None  # new bytes fetched
    byte_size: int | None = None
    pages: list[str] | None = None  # their text, when read
    warnings: list[str] = field(default_factory=list)


def document_host(url: str) -> str:
    """The URL's host as the allow-list compares it ("" when it names none)."""
    try:
        return normalized_host(urlsplit(url).hostname or "")
    except ValueError:  # an unreadable netloc ("http://[::1")
        return ""


def named_documents(conn: psycopg.Connection) -> list[NamedDocument]:
    """(product, url, name) of every document a listed product's current record names; a document
    without a name gets its file name."""
    rows = conn.execute(
        """
        SELECT p.product_key, d ->> 'url', d ->> 'name'
          FROM products p
          JOIN (SELECT DISTINCT product_key FROM listed_product_urls) l USING (product_key)
          CROSS JOIN LATERAL jsonb_array_elements(
              CASE WHEN jsonb_typeof(p.record -> 'documents') = 'array' THEN p.record -> 'documents'
                   ELSE '[]'::jsonb END) d
         WHERE jsonb_typeof(d) = 'object' AND coalesce(d ->> 'url', '') <> ''
         ORDER BY 1, 2
        """
    ).fetchall()
    return [NamedDocument(key, url, name or url.rstrip("/").rsplit("/", 1)[-1] or url) for key, url, name in rows]


def record_links(conn: psycopg.Connection, named: list[NamedDocument]) -> LinkChanges:
    """Make `named` the links of the listed products, in one transaction: new URLs become
    pending documents, a document's name is the first of its names in order, links not in
    `named` are unlinked, links in it are linked (again)."""
    unique = {(n.product_key, n.url): n for n in named}.values()
    with db.atomic(conn), conn.cursor() as cur:
        db.stage(
            cur,
            "named_documents",
            NAMED_COLUMNS,
            ((n.product_key, n.url, document_host(n.url), n.name) for n in unique),
        )
        added = db.one(
            cur.execute(
                """
            WITH named AS (SELECT DISTINCT ON (url) url, host, name FROM named_documents ORDER BY url, name),
                 upserted AS (
                INSERT INTO documents (url, host, name) SELECT url, host, name FROM named
                ON CONFLICT (url) DO UPDATE SET name = EXCLUDED.name WHERE documents.name <> EXCLUDED.name
                RETURNING (xmax = 0) AS inserted)
            SELECT count(*) FILTER (WHERE inserted) FROM upserted
            """
            )
        )[0]
        relinked = db.one(
            cur.execute(
                """
            SELECT count(*) FROM document_links l JOIN documents d USING (document_id)
              JOIN named_documents n ON n.url = d.url AND n.product_key = l.product_key
             WHERE l.unlinked_at IS NOT NULL
            """
            )
        )[0]
        linked = db.one(
            cur.execute(
                """
            WITH upserted AS (
                INSERT INTO document_links (document_id, product_key, name)
                SELECT d.document_id, n.product_key, n.name FROM named_documents n JOIN documents d USING (url)
                ON CONFLICT (document_id, product_key) DO UPDATE SET name = EXCLUDED.name, unlinked_at = NULL
                 WHERE document_links.unlinked_at IS NOT NULL OR document_links.name <> EXCLUDED.name
                RETURNING (xmax = 0) AS inserted)
            SELECT count(*) FILTER (WHERE inserted) FROM upserted
            """
            )
        )[0]
        unlinked = cur.execute(
            """
            UPDATE document_links l SET unlinked_at = now()
             WHERE l.unlinked_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM named_documents n JOIN documents d USING (url)
                                WHERE d.document_id = l.document_id AND n.product_key = l.product_key)
            """
        ).rowcount
        active, documents = db.one(
            cur.execute("SELECT count(*), count(DISTINCT document_id) FROM document_links WHERE unlinked_at IS NULL")
        )
    return LinkChanges(added, linked, relinked, unlinked, active, documents)


def linked_documents(conn: psycopg.Connection, max_age: dt.timedelta) -> list[LinkedDocument]:
    """Every document a listed product names now, with whether a check is due (see LinkedDocument.due)."""
    rows = conn.execute(
        """
        SELECT d.document_id, d.url, d.host, d.name, d.state, d.etag, d.last_modified, d.content_hash,
               d.parsed_hash,
               d.state IN ('pending', 'refused') OR d.checked_at IS NULL
               OR (d.state = 'failed'
                   AND d.checked_at + LEAST(%(base)s * power(2, greatest(d.attempts - 1, 0)), %(cap)s) <= now())
               OR d.checked_at <= now() - %(max_age)s
          FROM documents d
         WHERE EXISTS (SELECT 1 FROM document_links l WHERE l.document_id = d.document_id AND l.unlinked_at IS NULL)
         ORDER BY d.document_id
        """,
        {"base": RETRY_BASE, "cap": RETRY_MAX, "max_age": max_age},
    ).fetchall()
    return [LinkedDocument(*row) for row in rows]


def mark_refused(conn: psycopg.Connection, refusals: dict[int, str]) -> int:
    """Documents never to be fetched as things stand (a host off the allow-list): state refused
    with the reason; their stored text, if any, stays. Returns how many changed."""
    if not refusals:
        return 0
    with db.atomic(conn), conn.cursor() as cur:
        cur.executemany(
            """
            UPDATE documents SET state = 'refused', reason = %s, checked_at = now()
             WHERE document_id = %s AND (state <> 'refused' OR reason IS DISTINCT FROM %s)
            """,
            [(reason, document_id, reason) for document_id, reason in refusals.items()],
        )
        return cur.rowcount


def save_results(conn: psycopg.Connection, results: list[DocumentResult]) -> None:
    """Store a batch of checks in one transaction (see DocumentResult and the module docstring)."""
    if not results:
        return
    read = [r for r in results if r.outcome == "ok"]
    with db.atomic(conn), conn.cursor() as cur:
        if read:
            cur.executemany(
                """
                UPDATE documents SET state = 'ok', reason = NULL, attempts = 0, content_hash = %(hash)s,
                       parsed_hash = %(hash)s, etag = %(etag)s, last_modified = %(last_modified)s,
                       content_type = %(content_type)s, byte_size = %(size)s, page_count = %(pages)s,
                       warnings = %(warnings)s, checked_at = now(), fetched_at = now(), parsed_at = now()
                 WHERE document_id = %(id)s
                """,
                [_params(r) for r in read],
            )
            ids = [r.document_id for r in read]
            cur.execute("DELETE FROM document_pages WHERE document_id = ANY(%s)", (ids,))
            db.stage(
                cur,
                "document_pages_load",
                PAGE_COLUMNS,
                (
                    (r.document_id, number, r.content_hash, text)
                    for r in read
                    for number, text in enumerate(r.pages or (), 1)
                ),
            )  # (an ok result has pages)
            cur.execute(
                "INSERT INTO document_pages SELECT document_id, page_number, content_hash, text "
                "FROM document_pages_load"
            )
        unreadable = [r for r in results if r.outcome == "failed" and r.content_hash is not None]
        if unreadable:  # new bytes that did not parse: remembered (not parsed again), the last good text stays
            cur.executemany(
                """
                UPDATE documents SET state = 'failed', reason = %(reason)s, attempts = attempts + 1,
                       content_hash = %(hash)s, etag = %(etag)s, last_modified = %(last_modified)s,
                       content_type = %(content_type)s, byte_size = %(size)s, checked_at = now(), fetched_at = now()
                 WHERE document_id = %(id)s
                """,
                [_params(r) for r in unreadable],
            )
        fetched = read + unreadable
        if fetched:
            cur.executemany(
                """
                INSERT INTO document_history (document_id, content_hash, etag, last_modified, byte_size, page_count)
                VALUES (%(id)s, %(hash)s, %(etag)s, %(last_modified)s, %(size)s, %(pages)s)
                ON CONFLICT (document_id, content_hash) DO NOTHING
                """,
                [_params(r) for r in fetched],
            )
        unchanged = [r for r in results if r.outcome == "unchanged"]
        if unchanged:  # current as stored: read if its bytes were, still failed if they were not
            cur.executemany(
                """
                UPDATE documents SET checked_at = now(), etag = coalesce(%(etag)s, etag),
                       last_modified = coalesce(%(last_modified)s, last_modified),
                       state = CASE WHEN parsed_hash = content_hash THEN 'ok' ELSE 'failed' END,
                       reason = CASE WHEN parsed_hash = content_hash THEN NULL ELSE reason END,
                       attempts = CASE WHEN parsed_hash = content_hash THEN 0 ELSE attempts + 1 END
                 WHERE document_id = %(id)s
                """,
                [_params(r) for r in unchanged],
            )
        gone = [r for r in results if r.outcome == "gone"]
        if gone:
            cur.executemany(
                "UPDATE documents SET state = 'gone', reason = %(reason)s, attempts = 0, "
                "checked_at = now() WHERE document_id = %(id)s",
                [_params(r) for r in gone],
            )
        failed = [r for r in results if r.outcome == "failed" and r.content_hash is None]
        if failed:
            cur.executemany(
                "UPDATE documents SET state = 'failed', reason = %(reason)s, attempts = attempts + 1, "
                "checked_at = now() WHERE document_id = %(id)s",
                [_params(r) for r in failed],
            )


def _params(r: DocumentResult) -> dict:
    return {
        "id": r.document_id,
        "hash": r.content_hash,
        "etag": r.etag,
        "last_modified": r.last_modified,
        "content_type": r.content_type,
        "size": r.byte_size,
        "reason": r.reason,
        "warnings": r.warnings,
        "pages": len(r.pages) if r.pages is not None else None,
    }


def document_stats(conn: psycopg.Connection) -> dict[str, int]:
    """Of the documents listed products name now: how many, per state, fetched (bytes held),
    read (their current bytes' text stored), with text (some page has text); and page rows."""
    row = db.one(
        conn.execute(
            """
        WITH linked AS (
            SELECT d.* FROM documents d
             WHERE EXISTS (SELECT 1 FROM document_links l WHERE l.document_id = d.document_id
                             AND l.unlinked_at IS NULL))
        SELECT count(*),
               count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'ok'),
               count(*) FILTER (WHERE state = 'failed'), count(*) FILTER (WHERE state = 'refused'),
               count(*) FILTER (WHERE state = 'gone'),
               count(*) FILTER (WHERE state <> 'refused'),
               count(*) FILTER (WHERE state <> 'refused' AND content_hash IS NOT NULL),
               count(*) FILTER (WHERE content_hash IS NOT NULL AND parsed_hash = content_hash),
               count(*) FILTER (WHERE content_hash IS NOT NULL AND parsed_hash = content_hash
                                  AND EXISTS (SELECT 1 FROM document_pages p WHERE p.document_id = linked.document_id
                                                AND p.text ~ '[[:alnum:]]')),
               coalesce(sum(page_count) FILTER (WHERE parsed_hash IS NOT NULL), 0)
          FROM linked
        """
        )
    )
    names = ("linked", "pending", "ok", "failed", "refused", "gone", "allowed", "fetched", "read", "with_text", "pages")
    return dict(zip(names, map(int, row), strict=True))


def failing_documents(conn: psycopg.Connection, limit: int = 50) -> list[tuple[str, str, str]]:
    """(url, state, reason) of linked documents failed or refused, most recent check first."""
    return [
        tuple(row)
        for row in conn.execute(
            """
        SELECT url, state, coalesce(reason, '') FROM documents d
         WHERE state IN ('failed', 'refused')
           AND EXISTS (SELECT 1 FROM document_links l WHERE l.document_id = d.document_id AND l.unlinked_at IS NULL)
         ORDER BY checked_at DESC NULLS LAST, document_id LIMIT %s
        """,
            (limit,),
        )
    ]


def document_pages(conn: psycopg.Connection, url: str) -> list[str]:
    """The stored text of the document at `url`, page 1 first (empty when none is stored)."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT p.text FROM document_pages p JOIN documents d USING (document_id) WHERE d.url = %s "
            "ORDER BY p.page_number",
            (url,),
        )
    ]
