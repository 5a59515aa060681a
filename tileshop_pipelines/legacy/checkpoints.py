"""The predecessor's checkpoint files (``tileshop_sitemap*.json``): reading them and merging their evidence.

A checkpoint is ``{downloaded_at, total_urls, status, source_url?, urls: [{url, lastmod,
scraped_at, scrape_status: pending|completed|failed, error?, previous_error?}]}``, one file per
saved version. Every URL goes through the project's URL rules (``classify_url``). For each URL the
most recent evidence wins: the entry's own ``scraped_at``, else its file's ``downloaded_at``; ties
are broken by a fixed order (failed > completed > pending, then error texts, then file name), so
the outcome never depends on the order the files are given in.

Timestamps in these files carry no zone; the predecessor wrote local times of a machine we do not
know, read here as UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # defined there (C or Python); typeshed omits it
from pathlib import Path

from tileshop_pipelines.catalog.urls import classify_url

STATUSES = ("pending", "completed", "failed")
_STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}


class CheckpointError(ValueError):
    """A file that is not valid JSON or not a checkpoint: names the file and the byte offset."""

    def __init__(self, file_name: str, offset: int, reason: str):
        self.file_name, self.offset, self.reason = file_name, offset, reason
        super().__init__(f"{file_name}: byte {offset}: {reason}")


@dataclass(frozen=True)
class Evidence:
    """What one checkpoint entry says about one URL."""

    url: str  # canonical (classify_url)
    kind: str
    product_key: str | None
    sku: str | None
    scrape_status: str
    evidence_at: dt.datetime
    scraped_at: dt.datetime | None
    error: str | None
    previous_error: str | None
    source_file: str

    def order(self) -> tuple:
        return (
            self.evidence_at,
            _STATUS_RANK[self.scrape_status],
            self.error or "",
            self.previous_error or "",
            self.source_file,
        )


@dataclass
class Checkpoint:
    file_name: str
    sha256: str
    downloaded_at: dt.datetime
    source_url: str | None
    total_urls: int | None
    evidence: dict[str, Evidence]  # url -> the entry that wins within this file
    entries: int = 0
    statuses: Counter = field(default_factory=Counter)  # entries per scrape_status, as written
    duplicates: int = 0  # entries naming a URL an earlier entry of the file named
    other_urls: int = 0  # distinct URLs that are not product pages
    stale_errors: int = 0  # `error` kept on an entry that is not failed: ignored

    def summary(self) -> dict:
        return {
            "file": self.file_name,
            "downloaded_at": self.downloaded_at.isoformat(),
            "source_url": self.source_url,
            "total_urls": self.total_urls,
            "entries": self.entries,
            "statuses": dict(sorted(self.statuses.items())),
            "urls": len(self.evidence),
            "duplicates": self.duplicates,
            "other_urls": self.other_urls,
            "stale_errors": self.stale_errors,
        }


def read_checkpoint(path: Path) -> Checkpoint:
    """Parse and validate one checkpoint file; raises CheckpointError (file + byte offset)."""
    name = str(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointError(name, exc.start, "not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(name, _byte_offset(text, exc.pos), f"invalid JSON: {exc.msg}") from None
    try:
        return _checkpoint(name, hashlib.sha256(data).hexdigest(), document)
    except _FormatError as exc:
        raise CheckpointError(name, _byte_offset(text, _locate(text, exc.where)), exc.reason) from None


class _FormatError(ValueError):
    def __init__(self, where: tuple, reason: str):
        self.where, self.reason = where, reason  # where: () the document, ("key",), ("urls", index)
        super().__init__(reason)


def _checkpoint(name: str, digest: str, document) -> Checkpoint:
    if not isinstance(document, dict):
        raise _FormatError((), "not a checkpoint: the document is not a JSON object")
    for key in ("downloaded_at", "urls"):
        if key not in document:
            raise _FormatError((), f"not a checkpoint: no {key!r} key")
    downloaded_at = _timestamp(document["downloaded_at"])
    if downloaded_at is None:
        raise _FormatError(("downloaded_at",), "not a checkpoint: 'downloaded_at' is not an ISO timestamp")
    if not isinstance(document["urls"], list):
        raise _FormatError(("urls",), "not a checkpoint: 'urls' is not a list")
    total = document.get("total_urls")
    if total is not None and (not isinstance(total, int) or isinstance(total, bool)):
        raise _FormatError(("total_urls",), "not a checkpoint: 'total_urls' is not an integer")
    source_url = document.get("source_url")
    checkpoint = Checkpoint(
        file_name=Path(name).name,
        sha256=digest,
        downloaded_at=downloaded_at,
        source_url=source_url if isinstance(source_url, str) else None,
        total_urls=total,
        evidence={},
    )
    for index, entry in enumerate(document["urls"]):
        evidence = _entry(entry, ("urls", index), checkpoint)
        checkpoint.entries += 1
        checkpoint.statuses[evidence.scrape_status] += 1
        previous = checkpoint.evidence.get(evidence.url)
        if previous is None:
            if evidence.kind != "product":
                checkpoint.other_urls += 1
        else:
            checkpoint.duplicates += 1
        if previous is None or evidence.order() > previous.order():
            checkpoint.evidence[evidence.url] = evidence
    return checkpoint


def _entry(entry, where: tuple, checkpoint: Checkpoint) -> Evidence:
    if not isinstance(entry, dict):
        raise _FormatError(where, "not a checkpoint entry: not a JSON object")
    url, status = entry.get("url"), entry.get("scrape_status")
    if not isinstance(url, str) or not url.strip():
        raise _FormatError(where, "not a checkpoint entry: no 'url' string")
    if status not in STATUSES:
        raise _FormatError(where, f"not a checkpoint entry: scrape_status {status!r} is not one of {STATUSES}")
    scraped_at = _timestamp(entry.get("scraped_at"))
    if entry.get("scraped_at") is not None and scraped_at is None:
        raise _FormatError(where, "not a checkpoint entry: 'scraped_at' is not an ISO timestamp")
    texts = {}
    for key in ("error", "previous_error"):
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise _FormatError(where, f"not a checkpoint entry: {key!r} is not a string")
        texts[key] = value.strip() or None if isinstance(value, str) else None
    try:
        info = classify_url(url)
    except ValueError as exc:
        raise _FormatError(where, f"not a checkpoint entry: {exc}") from None
    if status != "failed" and (texts["error"] or texts["previous_error"]):
        checkpoint.stale_errors += 1  # an error left over from an earlier attempt: not this entry's state
        texts = {"error": None, "previous_error": None}
    return Evidence(
        url=info.url,
        kind=info.kind,
        product_key=info.product_key,
        sku=info.sku,
        scrape_status=status,
        evidence_at=scraped_at or checkpoint.downloaded_at,
        scraped_at=scraped_at,
        error=texts["error"],
        previous_error=texts["previous_error"],
        source_file=checkpoint.file_name,
    )


def _timestamp(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _byte_offset(text: str, char_offset: int) -> int:
    return len(text[:char_offset].encode("utf-8"))


def _locate(text: str, where: tuple) -> int:
    """Character offset of a top-level value (("key",)) or of an entry of "urls" (("urls", i)) in
    a document already known to be valid JSON; 0 for the document itself."""
    if not where:
        return 0
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0) + 1  # past "{"
    while True:
        position = _skip_space(text, position)
        if text[position] == "}":
            return 0
        key, position = scanstring(text, position + 1)
        position = _skip_space(text, _skip_space(text, position) + 1)  # past ":"
        if key == where[0]:
            if len(where) == 1:
                return position
            position = _skip_space(text, position + 1)  # past "["
            for _ in range(where[1]):
                _, position = decoder.raw_decode(text, position)
                position = _skip_space(text, _skip_space(text, position) + 1)  # past ","
            return position
        _, position = decoder.raw_decode(text, position)
        position = _skip_space(text, position)
        if text[position] == ",":
            position += 1


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


# --- merging ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """When the predecessor listed a URL: the first and last download that had it."""

    first_listed_at: dt.datetime
    last_listed_at: dt.datetime


def merge_evidence(stored: dict[str, Evidence], checkpoints: list[Checkpoint]) -> dict[str, Evidence]:
    """url -> the most recent evidence among what is stored and every file given."""
    merged = dict(stored)
    for checkpoint in checkpoints:
        for url, evidence in checkpoint.evidence.items():
            current = merged.get(url)
            if current is None or evidence.order() > current.order():
                merged[url] = evidence
    return merged


def merge_listings(stored: dict[str, Listing], checkpoints: list[Checkpoint]) -> dict[str, Listing]:
    merged = dict(stored)
    for checkpoint in checkpoints:
        at = checkpoint.downloaded_at
        for url in checkpoint.evidence:
            current = merged.get(url)
            merged[url] = (
                Listing(at, at)
                if current is None
                else Listing(min(current.first_listed_at, at), max(current.last_listed_at, at))
            )
    return merged


def removed_at(listing: Listing, downloads: list[dt.datetime]) -> dt.datetime | None:
    """None while the latest download lists the URL; else the first download after its last listing."""
    later = [at for at in downloads if at > listing.last_listed_at]
    return min(later) if later else None


def winners_by_product(evidence: dict[str, Evidence]) -> dict[str, Evidence]:
    """product_key -> the most recent evidence among its URLs (crawl state is kept per product)."""
    winners: dict[str, Evidence] = {}
    for item in evidence.values():
        if item.kind != "product" or item.product_key is None:  # a product URL always has its key
            continue
        current = winners.get(item.product_key)
        if current is None or item.order() > current.order():
            winners[item.product_key] = item
    return winners
