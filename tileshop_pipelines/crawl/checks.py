"""A page check: what one product page request found, carried from fetch to store in one object.

``crawl.fetcher`` fills in the answer (outcome, status, HTML, validators, attempts); extraction
(``acquisition.refresh.extract_page``) adds the content hash and the parsed record, or turns a page
that is not a product page into ``blocked``; ``store.acquisition.record_page_checks`` writes it,
and the crawl report counts it (``changed`` and ``version`` come from the store). A document
fetch (``acquisition.documents``) gets the same check with the document's bytes in ``body``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """A StrEnum: the stored states and the run metadata are these plain strings."""

    OK = "ok"  # 200 with the product page
    NOT_MODIFIED = "not_modified"  # 304: the stored page is current
    GONE = "gone"  # 404 or 410: the product no longer exists
    BLOCKED = "blocked"  # 200 with another page (the home page) for a product URL
    FAILED = "failed"  # retries exhausted, another 4xx, or a response over the limits


# The site answered for the product: these count toward the success rate and are stored at once;
# blocked and failed checks wait for the end of the crawl (an open breaker drops them).
ANSWERED = frozenset({Outcome.OK, Outcome.NOT_MODIFIED, Outcome.GONE})


@dataclass
class PageCheck:
    product_key: str | None
    url: str
    outcome: Outcome
    status_code: int | None
    html: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    attempts: int = 1  # requests made for this page in this run
    content_hash: str | None = None  # of html, set by extraction
    record: dict | None = None  # the parsed product record, when the content is new to the store
    changed: bool = False  # the stored content changed (or is new)
    version: int | None = None  # the product's new version, when its record changed
    warnings: list[str] = field(default_factory=list)  # what was decoded or sanitized, kept on the record
    content_type: str | None = None  # as the answer declared it
    body: bytes | None = None  # a document's bytes (a binary fetch), where a page has `html`

    def __post_init__(self) -> None:
        self.outcome = Outcome(self.outcome)

    @property
    def answered(self) -> bool:
        return self.outcome in ANSWERED
