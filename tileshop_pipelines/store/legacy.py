"""SQL of the predecessor import (tileshop_pipelines/legacy): checkpoint state into sitemap_urls and
product_pages, and the lock and dry run every import shares (product_data rows into products /
product_history: store/legacy_versions.py). Bound parameters only; each import is one transaction
(a killed import leaves nothing), serialized by an advisory lock.

Never downgrade what the pipeline wrote:
- sitemap_urls: once the pipeline has refreshed the sitemap (a sitemap_refreshes row), its listing
  is the truth: the import only adds URLs it does not know, as not listed. Before that, the rows
  are the import's and follow the predecessor's latest download.
- product_pages: a row is the import's while it equals what the import wrote (legacy_page_states;
  every pipeline check sets fetched_at = now()). Any other row is the pipeline's and is kept.
- products: see store/legacy_versions.py.
"""

from __future__ import annotations

from collections import Counter

import psycopg
from psycopg.types.json import Jsonb

from tileshop_pipelines.legacy.checkpoints import (
    Checkpoint,
    Evidence,
    Listing,
    merge_evidence,
    merge_listings,
    removed_at,
    winners_by_product,
)
from tileshop_pipelines.store import db

# Any constant (distinct from db.MIGRATION_LOCK_ID): one predecessor import at a time.
LEGACY_IMPORT_LOCK_ID = 7_407_114


class DryRun(Exception):
    """Raised inside the import transaction to roll a dry run back after its report is made."""


# --- checkpoints -----------------------------------------------------------------------------

_EVIDENCE_COLUMNS = {
    "url": "text",
    "kind": "text",
    "product_key": "text",
    "sku": "text",
    "scrape_status": "text",
    "evidence_at": "timestamptz",
    "scraped_at": "timestamptz",
    "error": "text",
    "previous_error": "text",
    "source_file": "text",
    "first_listed_at": "timestamptz",
    "last_listed_at": "timestamptz",
    "removed_at": "timestamptz",
}
_PAGE_COLUMNS = {"product_key": "text", "url": "text", "state": "text", "error": "text", "fetched_at": "timestamptz"}


def import_checkpoints(conn: psycopg.Connection, checkpoints: list[Checkpoint], *, dry_run: bool = False) -> dict:
    """Bring the files' evidence into the pipeline's state in one transaction; returns the report."""
    report: dict = {}
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (LEGACY_IMPORT_LOCK_ID,))
            files = {
                sha: (name, at)
                for sha, name, at in cur.execute("SELECT sha256, file_name, downloaded_at FROM legacy_checkpoint_files")
            }
            stored_evidence, stored_listings = _stored_checkpoint_urls(cur)
            evidence = merge_evidence(stored_evidence, checkpoints)
            listings = merge_listings(stored_listings, checkpoints)
            downloads = sorted({at for _, at in files.values()} | {c.downloaded_at for c in checkpoints})
            report["files_already_imported"] = sorted({c.file_name for c in checkpoints if c.sha256 in files})
            report["written"] = written = Counter[str]()

            db.stage(
                cur,
                "legacy_evidence_load",
                _EVIDENCE_COLUMNS,
                [
                    (
                        e.url,
                        e.kind,
                        e.product_key,
                        e.sku,
                        e.scrape_status,
                        e.evidence_at,
                        e.scraped_at,
                        e.error,
                        e.previous_error,
                        e.source_file,
                        listings[url].first_listed_at,
                        listings[url].last_listed_at,
                        removed_at(listings[url], downloads),
                    )
                    for url, e in evidence.items()
                ],
            )
            written["evidence"] = cur.execute(
                """
                INSERT INTO legacy_checkpoint_urls AS u (url, kind, product_key, sku, scrape_status, evidence_at,
                       scraped_at, error, previous_error, source_file, first_listed_at, last_listed_at)
                SELECT url, kind, product_key, sku, scrape_status, evidence_at, scraped_at, error, previous_error,
                       source_file, first_listed_at, last_listed_at FROM legacy_evidence_load
                ON CONFLICT (url) DO UPDATE SET
                    scrape_status = EXCLUDED.scrape_status, evidence_at = EXCLUDED.evidence_at,
                    scraped_at = EXCLUDED.scraped_at, error = EXCLUDED.error,
                    previous_error = EXCLUDED.previous_error, source_file = EXCLUDED.source_file,
                    first_listed_at = EXCLUDED.first_listed_at, last_listed_at = EXCLUDED.last_listed_at
                WHERE (u.scrape_status, u.evidence_at, u.scraped_at, u.error, u.previous_error, u.source_file,
                       u.first_listed_at, u.last_listed_at) IS DISTINCT FROM
                      (EXCLUDED.scrape_status, EXCLUDED.evidence_at, EXCLUDED.scraped_at, EXCLUDED.error,
                       EXCLUDED.previous_error, EXCLUDED.source_file, EXCLUDED.first_listed_at,
                       EXCLUDED.last_listed_at)
                """
            ).rowcount

            _write_sitemap_urls(cur, written)
            report["pages_kept_pipeline_state"] = _write_page_states(cur, winners_by_product(evidence), written)

            cur.executemany(
                "INSERT INTO legacy_checkpoint_files (sha256, file_name, downloaded_at, entries)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (sha256) DO NOTHING",
                [(c.sha256, c.file_name, c.downloaded_at, c.entries) for c in checkpoints if c.sha256 not in files],
            )
            written["files"] = sum(1 for c in checkpoints if c.sha256 not in files)
            report["changed"] = sum(written.values()) > 0
            report["state"] = checkpoint_state_counts(cur)
            report["written"] = dict(sorted(written.items()))
            if report["changed"] and not dry_run:
                cur.execute(
                    "INSERT INTO legacy_import_runs (command, source, report) VALUES (%s, %s, %s)",
                    ("checkpoint", ", ".join(c.file_name for c in checkpoints), Jsonb(report)),
                )
            if dry_run:
                raise DryRun
    except DryRun:
        pass
    return report


def _stored_checkpoint_urls(cur: psycopg.Cursor) -> tuple[dict[str, Evidence], dict[str, Listing]]:
    evidence, listings = {}, {}
    for (
        url,
        kind,
        key,
        sku,
        status,
        evidence_at,
        scraped_at,
        error,
        previous_error,
        source_file,
        first_listed,
        last_listed,
    ) in cur.execute(
        "SELECT url, kind, product_key, sku, scrape_status, evidence_at, scraped_at, error, previous_error,"
        " source_file, first_listed_at, last_listed_at FROM legacy_checkpoint_urls"
    ):
        evidence[url] = Evidence(
            url, kind, key, sku, status, evidence_at, scraped_at, error, previous_error, source_file
        )
        listings[url] = Listing(first_listed, last_listed)
    return evidence, listings


def _write_sitemap_urls(cur: psycopg.Cursor, written: Counter) -> None:
    pipeline_listed = db.one(cur.execute("SELECT min(started_at) FROM sitemap_refreshes"))[0]
    if pipeline_listed is None:
        # No listing of the pipeline's own yet: the rows follow the predecessor's latest download.
        rows = cur.execute(
            """
            INSERT INTO sitemap_urls AS s (url, kind, product_key, sku, first_seen, last_seen, removed_at)
            SELECT url, kind, product_key, sku, first_listed_at, last_listed_at, removed_at FROM legacy_evidence_load
            ON CONFLICT (url) DO UPDATE SET
                kind = EXCLUDED.kind, product_key = EXCLUDED.product_key, sku = EXCLUDED.sku,
                first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, removed_at = EXCLUDED.removed_at
            WHERE (s.kind, s.product_key, s.sku, s.first_seen, s.last_seen, s.removed_at) IS DISTINCT FROM
                  (EXCLUDED.kind, EXCLUDED.product_key, EXCLUDED.sku, EXCLUDED.first_seen, EXCLUDED.last_seen,
                   EXCLUDED.removed_at)
            RETURNING xmax = 0
            """
        ).fetchall()
    else:
        # The pipeline's listing is the truth: URLs it does not list are added as no longer listed
        # (since the predecessor's last download without them, else the pipeline's first listing).
        rows = cur.execute(
            """
            INSERT INTO sitemap_urls (url, kind, product_key, sku, first_seen, last_seen, removed_at)
            SELECT url, kind, product_key, sku, first_listed_at, last_listed_at, COALESCE(removed_at, %s)
              FROM legacy_evidence_load
            ON CONFLICT (url) DO NOTHING
            RETURNING true
            """,
            (pipeline_listed,),
        ).fetchall()
    written["sitemap_urls_inserted"] = sum(1 for (inserted,) in rows if inserted)
    written["sitemap_urls_updated"] = sum(1 for (inserted,) in rows if not inserted)


def _write_page_states(cur: psycopg.Cursor, winners: dict[str, Evidence], written: Counter) -> int:
    """completed -> a known page due for a check (state ok, no HTML, never checked: due as new);
    failed -> failed with its error, due for a retry now; pending -> no page row (new). Returns
    how many products kept the state the pipeline wrote."""
    db.stage(
        cur,
        "legacy_page_load",
        _PAGE_COLUMNS,
        [
            (
                key,
                e.url,
                "ok" if e.scrape_status == "completed" else e.scrape_status,
                e.error if e.scrape_status == "failed" else None,
                e.scraped_at or e.evidence_at,
            )
            for key, e in winners.items()
        ],
    )
    # Rows the import may change: none yet, or still exactly as the import wrote them.
    cur.execute(
        """
        CREATE TEMP TABLE legacy_page_owned ON COMMIT DROP AS
        SELECT l.product_key, p.product_key IS NOT NULL AS exists
          FROM legacy_page_load l
          LEFT JOIN product_pages p ON p.product_key = l.product_key
          LEFT JOIN legacy_page_states w ON w.product_key = l.product_key
         WHERE p.product_key IS NULL
            OR (w.product_key IS NOT NULL AND p.html IS NULL AND p.checked_at IS NULL
                AND p.fetched_at = w.fetched_at AND p.state = w.state AND p.error IS NOT DISTINCT FROM w.error)
        """
    )
    written["pages_deleted"] = cur.execute(
        """
        DELETE FROM product_pages p USING legacy_page_load l, legacy_page_owned o
         WHERE p.product_key = l.product_key AND o.product_key = l.product_key AND o.exists
           AND l.state = 'pending'
        """
    ).rowcount
    rows = cur.execute(
        """
        INSERT INTO product_pages AS p (product_key, url, state, error, attempts, fetched_at, next_attempt_at)
        SELECT l.product_key, l.url, l.state, l.error, CASE WHEN l.state = 'failed' THEN 1 ELSE 0 END,
               l.fetched_at, CASE WHEN l.state = 'failed' THEN now() END
          FROM legacy_page_load l JOIN legacy_page_owned o USING (product_key)
         WHERE l.state <> 'pending'
        ON CONFLICT (product_key) DO UPDATE SET
            url = EXCLUDED.url, state = EXCLUDED.state, error = EXCLUDED.error, attempts = EXCLUDED.attempts,
            fetched_at = EXCLUDED.fetched_at, next_attempt_at = EXCLUDED.next_attempt_at, status_code = NULL
        WHERE (p.url, p.state, p.error, p.fetched_at) IS DISTINCT FROM
              (EXCLUDED.url, EXCLUDED.state, EXCLUDED.error, EXCLUDED.fetched_at)
        RETURNING xmax = 0
        """
    ).fetchall()
    written["pages_inserted"] = sum(1 for (inserted,) in rows if inserted)
    written["pages_updated"] = sum(1 for (inserted,) in rows if not inserted)
    cur.execute(
        "DELETE FROM legacy_page_states w USING legacy_page_load l, legacy_page_owned o"
        " WHERE w.product_key = l.product_key AND o.product_key = l.product_key"
    )
    cur.execute(
        """
        INSERT INTO legacy_page_states (product_key, url, state, error, fetched_at)
        SELECT l.product_key, l.url, l.state, l.error, l.fetched_at
          FROM legacy_page_load l JOIN legacy_page_owned o USING (product_key) WHERE l.state <> 'pending'
        """
    )
    # Not a write: the products whose page state the pipeline wrote, kept as they are.
    return db.one(
        cur.execute(
            "SELECT count(*) FROM legacy_page_load l WHERE NOT EXISTS"
            " (SELECT 1 FROM legacy_page_owned o WHERE o.product_key = l.product_key)"
        )
    )[0]


def checkpoint_state_counts(cur: psycopg.Cursor) -> dict:
    """The state of every URL the predecessor's checkpoints named, as the pipeline now holds it."""
    row = db.one(
        cur.execute(
            """
        WITH keys AS (
            SELECT DISTINCT product_key FROM legacy_checkpoint_urls WHERE kind = 'product'
        ), listed AS (
            SELECT DISTINCT product_key FROM listed_product_urls
        )
        SELECT
            (SELECT count(*) FROM legacy_checkpoint_urls),
            (SELECT count(*) FROM legacy_checkpoint_urls WHERE kind = 'other'),
            (SELECT count(*) FROM keys),
            (SELECT count(*) FROM keys k WHERE NOT EXISTS (SELECT 1 FROM listed l WHERE l.product_key = k.product_key)),
            (SELECT count(*) FROM keys k WHERE NOT EXISTS (SELECT 1 FROM product_pages p
                                                            WHERE p.product_key = k.product_key)),
            (SELECT count(*) FROM keys k JOIN product_pages p USING (product_key)
              WHERE p.state = 'ok' AND p.html IS NULL AND p.checked_at IS NULL),
            (SELECT count(*) FROM keys k JOIN product_pages p USING (product_key) WHERE p.state = 'failed'),
            (SELECT count(*) FROM keys k JOIN product_pages p USING (product_key) JOIN legacy_page_states w
                 USING (product_key) WHERE p.fetched_at = w.fetched_at AND p.html IS NULL AND p.checked_at IS NULL)
        """
        )
    )
    urls, other, products, not_listed, new, known, failed, legacy_pages = row
    return {
        "urls": urls,
        "other_urls": other,
        "products": products,
        "products_no_longer_listed": not_listed,
        "new": new,
        "known_due_for_check": known,
        "failed_due_for_retry": failed,
        "pages_written_by_import": legacy_pages,
        "pages_pipeline_state": products - new - legacy_pages,
    }
