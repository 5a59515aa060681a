"""Refresh a set of product pages: fetch (conditionally), parse what changed, store, in batches.

Each batch of checks is written in one transaction together with the records parsed from it, so
a crawl killed at any point leaves whole batches behind; a resumed crawl skips pages checked in
the current refresh cycle (``store.acquisition.crawl_targets``) and first parses any stored page
whose parse did not land. Pages are parsed once, while they arrive (``extract_page``: the parse
also tells a product page from a block page); an unchanged page (304, or the same content hash)
is not parsed.

One page never stops the others: its HTML is made storable (``catalog.sanitize``) before it is
hashed; an exception while parsing it marks it failed (``parse_error (<kind>): ...``), and a
batch the store rejects is stored page by page, the page it rejects marked failed
(``store_error (<kind>): ...``) with its record not written.

While it crawls, Python's cyclic garbage collector runs rarely (``garbage_collection``): a crawl
makes almost no reference cycles, and the default threshold's passes were CPU for nothing.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field

import psycopg

from tileshop_pipelines.acquisition.garbage_collection import collect_rarely
from tileshop_pipelines.catalog.extract import NotAProductPage, extract_product
from tileshop_pipelines.catalog.sanitize import storable_text
from tileshop_pipelines.crawl.checks import Outcome, PageCheck
from tileshop_pipelines.crawl.fetcher import CircuitOpen, PageFetcher, PageRequest
from tileshop_pipelines.store import acquisition as acquisition_sql
from tileshop_pipelines.store import products as products_sql

WRITE_BATCH = 100
FLUSH_INTERVAL_S = 2.0  # a slow (polite) crawl still lands its pages every few seconds
BLOCKED_ERROR = "a page other than the product page came back (e.g. the home page)"


@dataclass
class RefreshReport:
    checks: list[PageCheck] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # checked earlier in this refresh cycle
    reparsed: int = 0  # stored pages whose earlier parse had not landed
    circuit_open: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts = collections.Counter(c.outcome for c in self.checks)
        return {outcome.value: counts.get(outcome, 0) for outcome in Outcome} | {
            "changed": sum(c.changed for c in self.checks),
            "new_versions": sum(c.version is not None for c in self.checks),
            "skipped": len(self.skipped),
        }

    @property
    def success_rate(self) -> float:
        """Share of checked pages that answered as a product page (ok, not modified or gone)."""
        if not self.checks:
            return 1.0
        return sum(c.answered for c in self.checks) / len(self.checks)


async def refresh_products(
    conn: psycopg.Connection,
    crawler: PageFetcher,
    keys: list[str],
    *,
    skip_checked_in_cycle: bool = True,
    write_batch: int = WRITE_BATCH,
    log=lambda message: None,
    on_stored=lambda checks: None,
) -> RefreshReport:
    """Check every listed product among `keys`; see the module docstring. Never raises for a
    page's failure; a tripped circuit breaker ends the crawl with `circuit_open` set, after
    storing the pages that answered and without recording any failure of the crawl.
    `on_stored(checks)` is called with each batch once it is stored."""
    with collect_rarely():  # the whole crawl step: its targets, fetches, parses and stores
        report = RefreshReport()
        report.reparsed = parse_stored_pages(conn, keys)
        cycle_start = acquisition_sql.current_cycle_start(conn) if skip_checked_in_cycle else None
        targets, report.skipped = acquisition_sql.crawl_targets(conn, keys, skip_checked_since=cycle_start)
        stored_hash = {t.url: t.content_hash for t in targets}
        crawl = crawler.crawl(PageRequest(t.url, t.etag, t.last_modified, product_key=t.product_key) for t in targets)
        batch: list[PageCheck] = []
        # Failed and blocked checks wait for the end of the crawl: if the breaker opens, they were
        # the outage, and are dropped instead of counted against the products.
        unanswered: list[PageCheck] = []
        flushed = time.monotonic()
        try:
            async for check in crawl:
                extract_page(check, stored_hash.get(check.url))
                if check.outcome is Outcome.BLOCKED:
                    crawl.report_blocked(check)
                (batch if check.answered else unanswered).append(check)
                if len(batch) >= write_batch or batch and time.monotonic() - flushed >= FLUSH_INTERVAL_S:
                    report.checks += (stored := _store_batch(conn, batch))
                    on_stored(list(stored))  # a copy: `batch` (which _store returns) is reused
                    batch.clear()
                    flushed = time.monotonic()
                    log(f"checked {len(report.checks)}/{len(targets)} pages")
        except CircuitOpen as exc:
            report.circuit_open = str(exc)
            unanswered.clear()
        report.checks += (stored := _store_batch(conn, batch + unanswered))
        on_stored(stored)
        return report


def extract_page(check: PageCheck, stored_hash: str | None) -> None:
    """Make an ok page storable, hash it and parse it, unless it is the stored page byte for byte
    (that one was a product page: no need to parse it again); a page that is not a product page is
    blocked, one the parser fails on is failed."""
    if check.outcome is not Outcome.OK or check.html is None:  # (an ok page has its html)
        return
    check.html, reasons = storable_text(check.html, "html")
    check.warnings += reasons
    check.content_hash = acquisition_sql.content_hash(check.html)
    if check.content_hash == stored_hash:
        return
    try:
        check.record = extract_product(check.html, check.url)
    except NotAProductPage as exc:
        check.outcome, check.error, check.html, check.content_hash = (
            Outcome.BLOCKED,
            f"{BLOCKED_ERROR}: {exc.reason}",
            None,
            None,
        )
        return
    except Exception as exc:  # any parser failure is this page's, never the run's
        _fail(check, "parse_error", exc)
        return
    if check.warnings:
        check.record["warnings"] = [*check.warnings, *check.record.get("warnings", [])]


def _fail(check: PageCheck, kind: str, exc: BaseException) -> None:
    check.outcome, check.error = Outcome.FAILED, f"{kind} ({type(exc).__name__}): {str(exc)[:300]}"
    check.html = check.record = check.content_hash = None


def _store_batch(conn: psycopg.Connection, batch: list[PageCheck]) -> list[PageCheck]:
    """Store the batch in one transaction; if the store rejects it, page by page, so that only
    the page it rejects (marked failed) is lost. A failure storing that mark too (the database is
    gone) is raised: that is an outage, not a page."""
    if not batch:
        return []
    try:
        return _store(conn, batch)
    except psycopg.OperationalError:
        raise
    except Exception:
        if len(batch) == 1:
            return _store_rejected(conn, batch[0])
    stored = []
    for check in batch:
        try:
            stored += _store(conn, [check])
        except psycopg.OperationalError:
            raise
        except Exception:
            stored += _store_rejected(conn, check)
    return stored


def _store_rejected(conn: psycopg.Connection, check: PageCheck) -> list[PageCheck]:
    try:
        _store(conn, [check])
    except psycopg.OperationalError:
        raise
    except Exception as exc:
        _fail(check, "store_error", exc)
        return _store(conn, [check])
    return [check]  # stored after all (the batch failed for another page's sake)


def _key(check: PageCheck) -> str:
    if check.product_key is None:
        raise ValueError(f"{check.url}: a product page's check with no product key")
    return check.product_key


def _store(conn: psycopg.Connection, batch: list[PageCheck]) -> list[PageCheck]:
    with conn.transaction():
        changed = acquisition_sql.record_page_checks(conn, batch)
        records = [
            (_key(c), c.content_hash, c.record)
            for c in batch  # (a record comes with its page's hash)
            if c.outcome is Outcome.OK and changed[_key(c)] and c.record is not None and c.content_hash
        ]
        versions = products_sql.save_records(conn, records, [])
        products_sql.mark_gone(conn, [_key(c) for c in batch if c.outcome is Outcome.GONE])
    for c in batch:
        c.changed, c.version = changed[_key(c)], versions.get(_key(c))
        c.html = c.record = None  # stored: the report keeps what it counts, not a run's worth of pages
    return batch


def parse_stored_pages(conn: psycopg.Connection, keys: list[str]) -> int:
    """Parse stored pages among `keys` whose current content has no parse yet; returns how many."""
    pending = products_sql.keys_to_parse(conn, keys)
    records, failures = [], []
    for key, url, html, digest in products_sql.load_pages(conn, pending):
        try:
            records.append((key, digest, extract_product(html, url)))
        except NotAProductPage as exc:
            failures.append((key, digest, str(exc)))
        except Exception as exc:  # recorded on the page; tried again when its content changes
            failures.append((key, digest, f"parse_error ({type(exc).__name__}): {str(exc)[:300]}"))
    products_sql.save_records(conn, records, failures)
    return len(pending)
