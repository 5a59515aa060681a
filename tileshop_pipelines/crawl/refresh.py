"""Refresh a set of product pages: fetch (conditionally), parse what changed, store, in batches.

Each batch of checks is written in one transaction together with the records parsed from it, so
a crawl killed at any point leaves whole batches behind; a resumed crawl skips pages checked in
the current refresh cycle (``store.acquisition.crawl_targets``) and first parses any stored page
whose parse did not land. Pages are parsed once, while they arrive (the parse also tells a
product page from a block page); an unchanged page (304, or the same content hash) is not parsed.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field

import psycopg

from tileshop_pipelines.catalog.extract import NotAProductPage, extract_product
from tileshop_pipelines.crawl.crawler import CircuitOpen, PageCrawler, PageFetch, PageRequest
from tileshop_pipelines.store import acquisition as acquisition_sql
from tileshop_pipelines.store import products as products_sql

WRITE_BATCH = 100
FLUSH_INTERVAL_S = 2.0  # a slow (polite) crawl still lands its pages every few seconds


@dataclass
class ProductOutcome:
    product_key: str
    url: str
    outcome: str  # ok | not_modified | gone | blocked | failed
    status_code: int | None
    error: str | None
    attempts: int
    changed: bool = False  # the page's content changed (or is new)
    version: int | None = None  # the new product version, when the record changed


@dataclass
class RefreshReport:
    outcomes: list[ProductOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # checked earlier in this refresh cycle
    reparsed: int = 0  # stored pages whose earlier parse had not landed
    circuit_open: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts = collections.Counter(o.outcome for o in self.outcomes)
        return {name: counts.get(name, 0) for name in ("ok", "not_modified", "gone", "blocked", "failed")} | {
            "changed": sum(o.changed for o in self.outcomes),
            "new_versions": sum(o.version is not None for o in self.outcomes),
            "skipped": len(self.skipped),
        }

    @property
    def success_rate(self) -> float:
        """Share of checked pages that answered as a product page (ok, not modified or gone)."""
        if not self.outcomes:
            return 1.0
        return sum(o.outcome in ("ok", "not_modified", "gone") for o in self.outcomes) / len(self.outcomes)


async def refresh_products(conn: psycopg.Connection, crawler: PageCrawler, keys: list[str], *,
                           skip_checked_in_cycle: bool = True, write_batch: int = WRITE_BATCH,
                           log=lambda message: None) -> RefreshReport:
    """Check every listed product among `keys`; see the module docstring. Never raises for a
    page's failure; a tripped circuit breaker ends the crawl with `circuit_open` set, after
    storing the pages that answered and without recording any failure of the crawl."""
    report = RefreshReport()
    report.reparsed = parse_stored_pages(conn, keys)
    cycle_start = acquisition_sql.current_cycle_start(conn) if skip_checked_in_cycle else None
    targets, report.skipped = acquisition_sql.crawl_targets(conn, keys, skip_checked_since=cycle_start)
    stored_hash = {t.url: t.content_hash for t in targets}
    parsed: dict[str, dict] = {}
    hashes: dict[str, str] = {}  # url -> content hash of the page just fetched

    def is_blocked(url: str, html: str) -> bool:
        digest = hashes[url] = acquisition_sql.content_hash(html)
        if digest == stored_hash.get(url):
            return False  # the stored page was a product page; same bytes, no need to parse again
        try:
            parsed[url] = extract_product(html, url)
        except NotAProductPage:
            return True
        return False

    requests = [PageRequest(t.url, t.etag, t.last_modified, key=t.product_key) for t in targets]
    batch: list[PageFetch] = []
    # Failed and blocked checks wait for the end of the crawl: if the breaker opens, they were
    # the outage, and are dropped instead of counted against the products.
    unanswered: list[PageFetch] = []
    flushed = time.monotonic()
    try:
        async for fetch in crawler.crawl(requests, is_blocked=is_blocked):
            (batch if fetch.ok or fetch.outcome == "gone" else unanswered).append(fetch)
            if len(batch) >= write_batch or batch and time.monotonic() - flushed >= FLUSH_INTERVAL_S:
                report.outcomes += _store_batch(conn, batch, parsed, hashes)
                batch.clear()
                flushed = time.monotonic()
                log(f"checked {len(report.outcomes)}/{len(targets)} pages")
    except CircuitOpen as exc:
        report.circuit_open = str(exc)
        unanswered.clear()
    report.outcomes += _store_batch(conn, batch + unanswered, parsed, hashes)
    return report


def _store_batch(conn: psycopg.Connection, batch: list[PageFetch], parsed: dict[str, dict],
                 hashes: dict[str, str]) -> list[ProductOutcome]:
    if not batch:
        return []
    checks = [acquisition_sql.PageCheck(f.key, f.url, f.outcome, f.status_code, f.html, f.headers.get("etag"),
                                        f.headers.get("last-modified"), f.error, hashes.get(f.url))
              for f in batch]
    with conn.transaction():
        changed = acquisition_sql.record_page_checks(conn, checks)
        records = [(f.key, hashes[f.url], parsed.pop(f.url))
                   for f in batch if f.outcome == "ok" and changed[f.key] and f.url in parsed]
        versions = products_sql.save_records(conn, records, [])
        products_sql.mark_gone(conn, [f.key for f in batch if f.outcome == "gone"])
    for f in batch:
        parsed.pop(f.url, None)
        hashes.pop(f.url, None)
    return [ProductOutcome(f.key, f.url, f.outcome, f.status_code, f.error, f.attempts, changed[f.key],
                           versions.get(f.key)) for f in batch]


def parse_stored_pages(conn: psycopg.Connection, keys: list[str]) -> int:
    """Parse stored pages among `keys` whose current content has no parse yet; returns how many."""
    pending = products_sql.keys_to_parse(conn, keys)
    records, failures = [], []
    for key, url, html, digest in products_sql.load_pages(conn, pending):
        try:
            records.append((key, digest, extract_product(html, url)))
        except NotAProductPage as exc:
            failures.append((key, digest, str(exc)))
    products_sql.save_records(conn, records, failures)
    return len(pending)
