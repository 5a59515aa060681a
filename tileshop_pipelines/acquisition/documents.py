"""Refresh the documents listed products name: link, fetch (conditionally), read what changed, store.

1. The links: every document URL a listed product's record names becomes one `documents` row,
   linked to each product naming it (a data sheet shared by 200 grouts is fetched once); links no
   listed product makes any more are unlinked (store/documents.py).
2. The allow-list: a document whose host is not on it (TILESHOP_DOCUMENT_HOSTS: the site and its
   CDN) is `refused` with the reason and never fetched; a page naming a host is not enough. The
   fetch guard checks every redirect hop against the same list.
3. The fetch: the due documents (new, refused before, failed past their backoff, checked longer
   ago than the max age; every one with `force`) through the crawler resource's fetcher, so each
   host (the CDN is its own) gets its politeness, retries and circuit breaker; conditional GET
   from the stored validators, bodies bounded in bytes and time by the transport.
4. The read: bytes already stored (304, or the same hash) are not parsed again. New bytes go to
   the parser pool (pdf/pool.py: worker processes bounded in time and memory, pypdf bounded in
   pages, text and decoded bytes); a document it refuses is `failed` with the reason, its last
   good text kept, and those bytes are not parsed again until they change.
5. The store: in batches, each in one transaction. A document fails alone: every reason is in its
   row and in the report, and the other documents and the run go on. An open circuit breaker
   (the CDN down) ends the fetch without marking the unanswered documents failed.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field

import psycopg

from tileshop_pipelines.crawl.checks import Outcome, PageCheck
from tileshop_pipelines.crawl.fetcher import CircuitOpen, PageFetcher, PageRequest
from tileshop_pipelines.pdf.extract import header_refusal, shown
from tileshop_pipelines.pdf.pool import ParserPool
from tileshop_pipelines.store import documents as documents_sql
from tileshop_pipelines.store.documents import DocumentResult, LinkChanges, LinkedDocument

WRITE_BATCH = 50
FLUSH_INTERVAL_S = 2.0


class DocumentLinksLost(RuntimeError):
    """No listed product names a document while links exist: an acquisition fault (a redesign
    the extractor missed), not every document withdrawn; nothing is unlinked."""


@dataclass(frozen=True)
class DocumentPolicy:
    hosts: frozenset[str]  # the allow-list, normalized host names
    max_age: dt.timedelta  # a document checked longer ago is checked again (conditional GET)
    force: bool = False  # check every linked document now


@dataclass
class DocumentReport:
    links: LinkChanges
    results: list[DocumentResult] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # url -> reason, the linked documents refused
    newly_refused: set[str] = field(default_factory=set)  # of those, the ones refused by this run
    requests: int = 0  # HTTP requests made (retries included)
    parsed: int = 0  # documents handed to the parser
    parse_seconds: float = 0.0  # their parse time, summed (workers run in parallel)
    parse_cpu_seconds: float = 0.0  # the workers' CPU time for them
    circuit_open: str | None = None
    urls: dict[int, str] = field(default_factory=dict)  # document_id -> url, of the results

    @property
    def counts(self) -> dict[str, int]:
        outcomes = collections.Counter(r.outcome for r in self.results)
        return {
            "checked": len(self.results),
            **{k: outcomes.get(k, 0) for k in ("ok", "unchanged", "gone", "failed")},
            "refused": len(self.refused),
            "requests": self.requests,
            "parsed": self.parsed,
            "pages_read": sum(len(r.pages) for r in self.results if r.pages is not None),
            "bytes_fetched": sum(r.byte_size or 0 for r in self.results if r.content_hash),
        }

    def problems(self, *, new_only: bool = False) -> list[tuple[str, str, str]]:
        """(url, state, reason) of the documents that failed in this run and of the refused ones
        (`new_only`: those refused by this run; the others were reported when they were)."""
        failed = [(self.urls[r.document_id], r.outcome, r.reason or "") for r in self.results if r.outcome == "failed"]
        return failed + [
            (url, "refused", reason)
            for url, reason in self.refused.items()
            if not new_only or url in self.newly_refused
        ]


def host_refusal(url: str, hosts: frozenset[str]) -> str | None:
    """Why the document at `url` may not be fetched (not an http(s) URL, its host off the
    allow-list), or None."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    host = documents_sql.document_host(url)
    if scheme not in ("http", "https") or not host:
        return "not an absolute http(s) URL; refused"
    if host not in hosts:
        return (
            f"host {shown(host, 100)!r} is not on the document allow-list "
            f"(TILESHOP_DOCUMENT_HOSTS: {', '.join(sorted(hosts))}); never fetched"
        )
    return None


async def refresh_documents(
    conn: psycopg.Connection,
    fetcher: PageFetcher,
    pool: ParserPool,
    policy: DocumentPolicy,
    *,
    write_batch: int = WRITE_BATCH,
    log=lambda message: None,
) -> DocumentReport:
    """Steps 1-5 of the module docstring. Raises DocumentLinksLost (nothing written) when no
    listed product names a document although some are linked; never for one document."""
    named = documents_sql.named_documents(conn)
    if not named and documents_sql.document_stats(conn)["linked"]:
        raise DocumentLinksLost(
            "no listed product names a document any more, though documents are linked; "
            "refusing to unlink them all (check the products' records)"
        )
    report = DocumentReport(documents_sql.record_links(conn, named))
    linked = documents_sql.linked_documents(conn, policy.max_age)
    refusals = {d.document_id: reason for d in linked if (reason := host_refusal(d.url, policy.hosts))}
    documents_sql.mark_refused(conn, refusals)
    report.refused = {d.url: refusals[d.document_id] for d in linked if d.document_id in refusals}
    report.newly_refused = {d.url for d in linked if d.document_id in refusals and d.state != "refused"}
    targets = {d.url: d for d in linked if d.document_id not in refusals and (policy.force or d.due)}
    report.urls = {d.document_id: d.url for d in targets.values()}
    log(f"documents: {report.links.linked_documents} linked, {len(targets)} to check, {len(refusals)} refused")
    if any(d.content_hash is None for d in targets.values()):  # something will be read: workers start now
        pool.warm(len(targets))
    await _fetch_and_read(conn, fetcher, pool, targets, report, write_batch, log)
    return report


async def _fetch_and_read(
    conn,
    fetcher: PageFetcher,
    pool: ParserPool,
    targets: dict[str, LinkedDocument],
    report: DocumentReport,
    write_batch: int,
    log,
) -> None:
    crawl = fetcher.crawl(PageRequest(d.url, d.etag, d.last_modified) for d in targets.values())
    batch: list[DocumentResult] = []
    unanswered: list[DocumentResult] = []  # fetch failures wait for the end: an open breaker drops them
    reading: set[asyncio.Task] = set()
    # Twice the workers: a document waits at the pool for each busy worker, so a worker that answers
    # gets its next request from a thread already waiting, not after the event loop comes round.
    slots = asyncio.Semaphore(2 * pool.workers)
    flushed = time.monotonic()

    def flush(force: bool = False) -> None:
        nonlocal flushed
        if batch and (force or len(batch) >= write_batch or time.monotonic() - flushed >= FLUSH_INTERVAL_S):
            documents_sql.save_results(conn, batch)
            report.results += batch
            batch.clear()
            flushed = time.monotonic()
            log(f"documents: {len(report.results)}/{len(targets)} stored")

    async def read(document: LinkedDocument, check: PageCheck, digest: str, data: bytes) -> None:
        try:
            outcome = await asyncio.to_thread(pool.parse, data)
        finally:
            slots.release()
        report.parse_seconds += outcome.seconds
        report.parse_cpu_seconds += outcome.cpu_s
        result = _fetched(document, check, digest, len(data))
        if outcome.refused is not None:
            result.outcome, result.reason = "failed", f"not read: {outcome.refused}"
        else:
            result.outcome, result.pages, result.warnings = "ok", outcome.pages, outcome.warnings
        batch.append(result)

    try:
        async for check in crawl:
            report.requests += check.attempts
            document = targets[check.url]
            result, digest = judge(document, check)
            if result is not None:
                (batch if check.answered else unanswered).append(result)
            else:
                assert digest is not None and check.body is not None  # judged: new bytes to read
                await slots.acquire()
                report.parsed += 1
                task = asyncio.create_task(read(document, check, digest, check.body))
                reading.add(task)
                task.add_done_callback(reading.discard)
            check.body = None  # the read task holds it while it needs it
            flush()
    except CircuitOpen as exc:
        report.circuit_open = str(exc)
        unanswered.clear()
    if reading:
        await asyncio.gather(*reading)
    batch.extend(unanswered)
    flush(force=True)


def judge(document: LinkedDocument, check: PageCheck) -> tuple[DocumentResult | None, str | None]:
    """(the result, None) when the check needs no parse; (None, the bytes' hash) when it does."""
    if check.outcome is Outcome.NOT_MODIFIED:
        return DocumentResult(
            document.document_id, "unchanged", 304, etag=check.etag, last_modified=check.last_modified
        ), None
    if check.outcome is Outcome.GONE:
        return DocumentResult(document.document_id, "gone", check.status_code, f"HTTP {check.status_code}"), None
    if check.outcome is not Outcome.OK or check.body is None:
        reason = shown(check.error or f"HTTP {check.status_code}", 500)
        return DocumentResult(document.document_id, "failed", check.status_code, f"not fetched: {reason}"), None
    digest = hashlib.sha256(check.body).hexdigest()
    if digest == document.content_hash:  # the bytes stored already: read before, or refused before
        return DocumentResult(
            document.document_id, "unchanged", check.status_code, etag=check.etag, last_modified=check.last_modified
        ), None
    refused = header_refusal(check.body)
    if refused is not None:
        result = _fetched(document, check, digest, len(check.body))
        result.outcome, result.reason = "failed", f"not read: {refused}"
        return result, None
    return None, digest


def _fetched(document: LinkedDocument, check: PageCheck, digest: str, size: int) -> DocumentResult:
    """New bytes fetched, not read yet (the caller sets the outcome)."""
    return DocumentResult(
        document.document_id,
        "failed",
        check.status_code,
        etag=check.etag,
        last_modified=check.last_modified,
        content_type=check.content_type,
        content_hash=digest,
        byte_size=size,
    )
