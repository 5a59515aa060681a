"""Polite, failure-aware page fetching over any transport (see ``crawl.transports``).

For each requested page the fetcher sends a conditional GET (If-None-Match / If-Modified-Since
from the last good fetch), within per-host politeness limits, and judges the answer by its
status and the response limits (``crawl.checks.Outcome``):

    ok            200 with a body of the transport's kind: HTML (whether it is the product page is
                  extraction's call), or a document's bytes
    not_modified  304: the stored page is current
    gone          404 or 410: the product no longer exists
    failed        retries exhausted (timeouts, connection errors, 5xx, 429), another 4xx, or a
                  response rejected by the limits (size, content type, charset)

Timeouts, connection errors, 5xx and 429 are retried with exponential backoff and full jitter;
429 and 503 wait for Retry-After (capped) and pause the whole host; each host's robots.txt
Crawl-delay / Request-rate is a floor on its request interval. A circuit breaker watches the
latest pages: when most of them are failing (an outage, or a block of the whole fetcher) it raises
CircuitOpen, and the caller stops instead of marking the catalog as failed. It counts pages, not
attempts: a page retried four times is one failing page (counting attempts, 5 of 70 pages
answering 500 opened it: "16 of the latest 20 requests failed"), and a 429 whose Retry-After is
honoured is the site pacing us, not failing (60 pages asked to wait opened it). An ok answer that
extraction finds is not the product page is reported back (``FetchRun.report_blocked``) and counts
as a failed page, as a block does.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import email.utils
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tileshop_pipelines.catalog.sitemap import SitemapError
from tileshop_pipelines.crawl.checks import Outcome, PageCheck
from tileshop_pipelines.crawl.politeness import DEFAULT_CONCURRENCY_PER_HOST, DEFAULT_REQUESTS_PER_SECOND, HostLimiter
from tileshop_pipelines.crawl.responses import RawResponse
from tileshop_pipelines.crawl.sitemaps import read_robots, robots_url
from tileshop_pipelines.crawl.transports import DEFAULT_USER_AGENT, Transport

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
GONE_STATUSES = frozenset({404, 410})


class CircuitOpen(RuntimeError):
    """Most recent requests failed: the crawl stops rather than record an outage as page failures."""


@dataclass(frozen=True)
class CrawlPolicy:
    user_agent: str = DEFAULT_USER_AGENT
    requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND  # per host; 0 turns the rate limit off
    concurrency_per_host: int = DEFAULT_CONCURRENCY_PER_HOST
    timeout_s: float = 30.0
    max_attempts: int = 4  # per page and run, the first included
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_retry_after_s: float = 300.0  # a longer Retry-After ends this run's tries for the page
    breaker_window: int = 20  # latest pages the breaker looks at
    breaker_min_pages: int = 10
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
    product_key: str | None = None  # handed back on the PageCheck


class CircuitBreaker:
    """Trips when at least `failure_ratio` of the latest `window` pages are failing, once it has
    seen `min_pages` of them (capped at the window). A page counts once, as its latest attempt
    went: retried, it moves to the newest place; answered after all, it stops counting as failed."""

    def __init__(self, window: int, min_pages: int, failure_ratio: float):
        self.window = window
        self.pages: collections.OrderedDict[str, bool] = collections.OrderedDict()  # page -> success
        self.failures = 0  # of the pages in the window (kept as they come and go, not summed per page)
        self.min_pages, self.failure_ratio = min(min_pages, window), failure_ratio
        self.tripped_reason: str | None = None

    def record(self, page: str, success: bool, what: str) -> None:
        if self.pages.pop(page, True) is False:
            self.failures -= 1
        self.pages[page] = success
        self.failures += not success
        while len(self.pages) > self.window:
            self.failures -= not self.pages.popitem(last=False)[1]
        self._judge(what)

    def overturn(self, page: str, what: str) -> None:
        """A page recorded as a success was a failure after all (a block page served as 200).
        One that has left the window already no longer counts either way."""
        if page in self.pages:
            self.failures += self.pages[page]
            self.pages[page] = False
            self._judge(what)

    def _judge(self, last: str) -> None:
        failures = self.failures
        if (
            self.tripped_reason is None
            and len(self.pages) >= self.min_pages
            and failures >= self.failure_ratio * len(self.pages)
        ):
            self.tripped_reason = (
                f"{failures} of the latest {len(self.pages)} pages failed "
                f"(last: {last}); stopping the crawl so an outage is not recorded "
                "as failed products"
            )


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
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, moment.timestamp() - now())


class PageFetcher:
    """Fetch pages through one transport under one policy; see the module docstring.

    `clock` and `sleep` are the politeness limiter's and the backoff's time (a fake clock in tests).
    """

    def __init__(
        self,
        transport_factory: Callable[[], Transport],
        policy: CrawlPolicy,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.transport_factory, self.policy = transport_factory, policy
        self.rng = rng or random.Random()
        self.clock, self.sleep = clock, sleep

    def crawl(self, requests: Iterable[PageRequest]) -> FetchRun:
        return FetchRun(self, list(requests))


class FetchRun:
    """One crawl of a list of pages: iterate it for one PageCheck per request, in completion order;
    it raises CircuitOpen when the breaker trips (checks already yielded stand; the rest are left
    untouched)."""

    def __init__(self, fetcher: PageFetcher, requests: list[PageRequest]):
        policy = fetcher.policy
        self.fetcher, self.policy, self.requests = fetcher, policy, requests
        self.limiter = HostLimiter(
            requests_per_second=policy.requests_per_second,
            concurrency_per_host=policy.concurrency_per_host,
            clock=fetcher.clock,
            sleep=fetcher.sleep,
        )
        self.breaker = CircuitBreaker(policy.breaker_window, policy.breaker_min_pages, policy.breaker_failure_ratio)
        # Each URL split once, for its host's politeness slots, the worker count and robots.txt
        # (it was split five times a page: a tenth of the fetcher's own work).
        self.url_parts = {request.url: urlsplit(request.url) for request in requests}

    def report_blocked(self, check: PageCheck) -> None:
        """`check` came back ok but is not the product page (extraction's verdict): the breaker
        counts its answer as a failure, as a block of the fetcher must open it. An opened breaker
        stops the crawl at the next check asked for."""
        self.breaker.overturn(check.url, check.error or check.outcome)

    def __aiter__(self) -> AsyncIterator[PageCheck]:
        return self._run()

    async def _run(self) -> AsyncIterator[PageCheck]:
        policy, breaker, pending = self.policy, self.breaker, self.requests
        await self._floor_intervals_from_robots()
        queue: asyncio.Queue[PageRequest] = asyncio.Queue()
        for request in pending:
            queue.put_nowait(request)
        results: asyncio.Queue[PageCheck | BaseException] = asyncio.Queue()
        hosts = len({parts.netloc for parts in self.url_parts.values()}) or 1

        async with self.fetcher.transport_factory() as transport:

            async def worker() -> None:
                while breaker.tripped_reason is None:
                    try:
                        request = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    try:
                        results.put_nowait(await self._fetch(transport, request))
                    except BaseException as exc:  # surfaces in the consumer, never lost in a task
                        results.put_nowait(exc)
                        return

            workers = [
                asyncio.create_task(worker())
                for _ in range(min(len(pending), policy.concurrency_per_host * hosts, 256) or 1)
            ]
            try:
                # The worker whose attempt trips the breaker hands CircuitOpen over through
                # `results`; a trip by report_blocked is seen before waiting for the next check.
                for _ in range(len(pending)):
                    self._raise_if_open()
                    item = await results.get()
                    if isinstance(item, BaseException):
                        raise item
                    self._raise_if_open()
                    yield item
                self._raise_if_open()
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)

    def _raise_if_open(self) -> None:
        if self.breaker.tripped_reason is not None:
            raise CircuitOpen(self.breaker.tripped_reason)

    async def _floor_intervals_from_robots(self) -> None:
        # Read at crawl start, not carried over from sitemap_urls: that is another run, maybe days
        # old, and this costs one small request per host and run. An unreadable robots.txt leaves
        # the policy's rate (sitemap_urls is where it stops acquisition, per RFC 9309).
        first_url: dict[tuple[str, str], str] = {}  # one URL per scheme and host, the first requested
        for url, parts in self.url_parts.items():
            if parts.scheme in ("http", "https"):
                first_url.setdefault((parts.scheme, parts.netloc), url)
        for url in map(robots_url, first_url.values()):
            try:
                robots = await asyncio.to_thread(
                    read_robots, url, user_agent=self.policy.user_agent, timeout_s=self.policy.timeout_s
                )
            except SitemapError:
                continue
            if robots.request_interval_s:
                self.limiter.floor_interval(url, robots.request_interval_s)

    async def _fetch(self, transport: Transport, request: PageRequest) -> PageCheck:
        policy, limiter, breaker = self.policy, self.limiter, self.breaker
        headers = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        attempt = 0
        while True:
            attempt += 1
            async with limiter.request(request.url, self.url_parts[request.url].netloc):
                raw = await transport.get(request.url, headers)
            check = _judge(request, raw, attempt)
            retryable = raw.error_kind in ("timeout", "connection") or raw.status_code in RETRYABLE_STATUSES
            last_try = not retryable or attempt >= policy.max_attempts
            asked = (
                retry_after_seconds(raw.headers.get("retry-after"))
                if raw.status_code in (429, 503) and not last_try
                else None
            )
            honoured = asked is not None and asked <= policy.max_retry_after_s
            # A 429 we wait out as asked is pacing, not failure; a 503 with Retry-After may be an outage.
            if not (honoured and raw.status_code == 429):
                breaker.record(request.url, not retryable, check.error or check.outcome)
            if breaker.tripped_reason is not None:
                raise CircuitOpen(breaker.tripped_reason)
            if last_try:
                return check
            wait = self._backoff(attempt)
            if asked is not None:
                if not honoured:
                    check.error = (
                        f"{check.error}; Retry-After {asked:.0f} s is over the {policy.max_retry_after_s:.0f} s cap"
                    )
                    return check
                wait = asked
                limiter.pause(request.url, asked)
            await self.fetcher.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(attempt-1))]."""
        ceiling = min(self.policy.backoff_max_s, self.policy.backoff_base_s * 2 ** (attempt - 1))
        return self.fetcher.rng.uniform(0, ceiling)


def _judge(request: PageRequest, raw: RawResponse, attempt: int) -> PageCheck:
    def result(outcome: Outcome, error: str | None = None, html: str | None = None) -> PageCheck:
        return PageCheck(
            request.product_key,
            request.url,
            outcome,
            raw.status_code,
            html,
            raw.headers.get("etag"),
            raw.headers.get("last-modified"),
            error,
            attempt,
            content_type=raw.headers.get("content-type"),
        )

    status = raw.status_code
    if raw.error_kind is not None:
        return result(Outcome.FAILED, raw.error or raw.error_kind)
    if status == 304:
        return result(Outcome.NOT_MODIFIED)
    if status in GONE_STATUSES:
        return result(Outcome.GONE, f"HTTP {status}")
    if status is None or not 200 <= status < 300:
        return result(Outcome.FAILED, f"HTTP {status}")
    if not raw.html and not raw.body:
        return result(Outcome.FAILED, "empty body")
    check = result(Outcome.OK, html=raw.html)
    check.body = raw.body
    if raw.warning:
        check.warnings.append(raw.warning)
    return check
