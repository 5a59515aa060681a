"""Polite, failure-aware page crawling over any transport (see ``crawl.transports``).

For each requested page the crawler sends a conditional GET (If-None-Match / If-Modified-Since
from the last good fetch), within per-host politeness limits, and judges the answer:

    ok            200 with an HTML page that is not the home page
    not_modified  304: the stored page is current
    gone          404 or 410: the product no longer exists
    blocked       200 with the home page (or another non-product page) for a product URL
    failed        retries exhausted (timeouts, connection errors, 5xx, 429), another 4xx, or a
                  response rejected by the limits (size, content type, charset)

Timeouts, connection errors, 5xx and 429 are retried with exponential backoff and full jitter;
429 and 503 wait for Retry-After (capped) and pause the whole host. A circuit breaker watches the
latest attempts: when most of them fail (an outage, or a block of the whole crawler) it raises
CircuitOpen, and the caller stops instead of marking the catalog as failed.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import email.utils
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

from tileshop_pipelines.catalog.extract import is_blocked_page
from tileshop_pipelines.crawl.politeness import HostLimiter
from tileshop_pipelines.crawl.transports import RawResponse, Transport

DEFAULT_USER_AGENT = "TileshopPipelines/0.1 (product catalog indexer)"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
GONE_STATUSES = frozenset({404, 410})


class CircuitOpen(RuntimeError):
    """Most recent requests failed: the crawl stops rather than record an outage as page failures."""


@dataclass(frozen=True)
class CrawlPolicy:
    user_agent: str = DEFAULT_USER_AGENT
    requests_per_second: float = 2.0  # per host; 0 turns the rate limit off
    concurrency_per_host: int = 4
    timeout_s: float = 30.0
    max_attempts: int = 4  # per page and run, the first included
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_retry_after_s: float = 300.0  # a longer Retry-After ends this run's tries for the page
    breaker_window: int = 20  # latest attempts the breaker looks at
    breaker_min_attempts: int = 10
    breaker_failure_ratio: float = 0.8

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if not 0 < self.breaker_failure_ratio <= 1:
            raise ValueError(f"breaker_failure_ratio must be in (0, 1], got {self.breaker_failure_ratio}")


@dataclass(frozen=True)
class PageRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    key: str | None = None  # the caller's key (product key), handed back on the PageFetch


@dataclass
class PageFetch:
    url: str
    key: str | None
    outcome: str  # ok | not_modified | gone | blocked | failed
    status_code: int | None
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    attempts: int = 1
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome in ("ok", "not_modified")


class CircuitBreaker:
    def __init__(self, window: int, min_attempts: int, failure_ratio: float):
        self.results: collections.deque[bool] = collections.deque(maxlen=window)
        self.min_attempts, self.failure_ratio = min(min_attempts, window), failure_ratio
        self.tripped_reason: str | None = None

    def record(self, success: bool, what: str) -> None:
        self.results.append(success)
        failures = self.results.count(False)
        if (self.tripped_reason is None and len(self.results) >= self.min_attempts
                and failures >= self.failure_ratio * len(self.results)):
            self.tripped_reason = (f"{failures} of the latest {len(self.results)} requests failed "
                                   f"(last: {what}); stopping the crawl so an outage is not recorded "
                                   "as failed products")


def retry_after_seconds(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After as seconds: a delay ("120") or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return max(0.0, moment.timestamp() - now())


class PageCrawler:
    """Crawl pages through one transport under one policy; see the module docstring."""

    def __init__(self, transport_factory: Callable[[], Transport], policy: CrawlPolicy, *,
                 rng: random.Random | None = None):
        self.transport_factory, self.policy = transport_factory, policy
        self.rng = rng or random.Random()

    async def crawl(self, requests: Iterable[PageRequest], *,
                    is_blocked: Callable[[str, str], bool] | None = None) -> AsyncIterator[PageFetch]:
        """Yield one PageFetch per request, in completion order; raise CircuitOpen when tripped
        (pages already yielded stand; the rest are left untouched).

        `is_blocked(url, html)` says whether a 200 answer is not the product page asked for; by
        default, whether it is the home page.
        """
        policy = self.policy
        judge_blocked = is_blocked or (lambda url, html: is_blocked_page(html))
        pending = list(requests)
        limiter = HostLimiter(requests_per_second=policy.requests_per_second,
                              concurrency_per_host=policy.concurrency_per_host)
        breaker = CircuitBreaker(policy.breaker_window, policy.breaker_min_attempts, policy.breaker_failure_ratio)
        queue: asyncio.Queue[PageRequest] = asyncio.Queue()
        for request in pending:
            queue.put_nowait(request)
        results: asyncio.Queue[PageFetch | BaseException] = asyncio.Queue()
        hosts = len({request.url.split("/")[2] for request in pending if "//" in request.url}) or 1

        async with self.transport_factory() as transport:
            async def worker() -> None:
                while breaker.tripped_reason is None:
                    try:
                        request = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    try:
                        results.put_nowait(await self._fetch(transport, limiter, breaker, judge_blocked, request))
                    except BaseException as exc:  # surfaces in the consumer, never lost in a task
                        results.put_nowait(exc)
                        return

            workers = [asyncio.create_task(worker())
                       for _ in range(min(len(pending), policy.concurrency_per_host * hosts, 256) or 1)]
            try:
                # The worker whose attempt trips the breaker hands CircuitOpen over through
                # `results`, so waiting on the queue alone sees it at once.
                for _ in range(len(pending)):
                    item = await results.get()
                    if isinstance(item, BaseException):
                        raise item
                    if breaker.tripped_reason is not None:
                        raise CircuitOpen(breaker.tripped_reason)
                    yield item
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)

    async def _fetch(self, transport: Transport, limiter: HostLimiter, breaker: CircuitBreaker,
                     is_blocked: Callable[[str, str], bool], request: PageRequest) -> PageFetch:
        policy = self.policy
        headers = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        started = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            async with limiter.request(request.url):
                raw = await transport.get(request.url, headers)
            fetch = self._judge(request, raw, attempt, is_blocked)
            fetch.elapsed_s = time.perf_counter() - started
            retryable = raw.error_kind in ("timeout", "connection") or raw.status_code in RETRYABLE_STATUSES
            breaker.record(not retryable and fetch.outcome != "blocked", fetch.error or fetch.outcome)
            if breaker.tripped_reason is not None:
                raise CircuitOpen(breaker.tripped_reason)
            if not retryable or attempt >= policy.max_attempts:
                return fetch
            wait = self._backoff(attempt)
            if raw.status_code in (429, 503):
                asked = retry_after_seconds(raw.headers.get("retry-after"))
                if asked is not None:
                    if asked > policy.max_retry_after_s:
                        fetch.error = f"{fetch.error}; Retry-After {asked:.0f} s is over the {policy.max_retry_after_s:.0f} s cap"
                        return fetch
                    wait = asked
                    limiter.pause(request.url, asked)
            await asyncio.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(attempt-1))]."""
        ceiling = min(self.policy.backoff_max_s, self.policy.backoff_base_s * 2 ** (attempt - 1))
        return self.rng.uniform(0, ceiling)

    @staticmethod
    def _judge(request: PageRequest, raw: RawResponse, attempt: int, is_blocked: Callable[[str, str], bool]
               ) -> PageFetch:
        def result(outcome: str, error: str | None = None, html: str | None = None) -> PageFetch:
            return PageFetch(request.url, request.key, outcome, raw.status_code, html, raw.headers, error, attempt)

        status = raw.status_code
        if raw.error_kind is not None:
            return result("failed", raw.error or raw.error_kind)
        if status == 304:
            return result("not_modified")
        if status in GONE_STATUSES:
            return result("gone", f"HTTP {status}")
        if status is None or not 200 <= status < 300:
            return result("failed", f"HTTP {status}")
        if not raw.html:
            return result("failed", "empty body")
        if is_blocked(request.url, raw.html):
            return result("blocked", "a page other than the product page came back (e.g. the home page)")
        return result("ok", html=raw.html)
