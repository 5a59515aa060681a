"""Per-host politeness: a cap on concurrent requests and on requests per second.

The rate is enforced as evenly spaced start slots (one every 1/rate seconds per host), so a crawl
of N pages at rate r takes about N / r seconds however many workers wait. A host's robots.txt can
only widen that spacing (``floor_interval``). A host can also be paused (a 429/503 with
Retry-After pauses every request to that host, not just the one URL).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

# tileshop.com's politeness, the defaults of every crawl (CrawlPolicy, the crawler resource,
# TILESHOP_CRAWL_RATE / TILESHOP_CRAWL_CONCURRENCY).
DEFAULT_REQUESTS_PER_SECOND = 2.0  # per host; 0 turns the rate limit off
DEFAULT_CONCURRENCY_PER_HOST = 4


class HostLimiter:
    """`async with limiter.request(url):` waits for a free slot on the URL's host."""

    def __init__(
        self,
        *,
        requests_per_second: float,
        concurrency_per_host: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        if concurrency_per_host < 1:
            raise ValueError(f"concurrency per host must be >= 1, got {concurrency_per_host}")
        if requests_per_second < 0:
            raise ValueError(f"requests per second must be >= 0 (0 = no limit), got {requests_per_second}")
        self.interval_s = 1.0 / requests_per_second if requests_per_second else 0.0
        self.concurrency_per_host = concurrency_per_host
        self._clock, self._sleep = clock, sleep
        self._floor_s: dict[str, float] = {}
        self._next_start: dict[str, float] = {}
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    def request(self, url: str, host: str | None = None) -> _Turn:
        """The URL's turn on its host (`host`: its netloc, when the caller has split it already)."""
        if host is None:
            host = urlsplit(url).netloc
        semaphore = self._semaphores.get(host)
        if semaphore is None:
            semaphore = self._semaphores[host] = asyncio.Semaphore(self.concurrency_per_host)
        return _Turn(self, host, semaphore)

    def pause(self, url: str, seconds: float) -> None:
        """No request to this URL's host starts in the next `seconds` (e.g. Retry-After)."""
        host = urlsplit(url).netloc
        self._next_start[host] = max(self._next_start.get(host, 0.0), self._clock() + seconds)

    def floor_interval(self, url: str, seconds: float) -> None:
        """Requests to this URL's host start at least `seconds` apart, whatever the rate (robots.txt)."""
        host = urlsplit(url).netloc
        self._floor_s[host] = max(self._floor_s.get(host, 0.0), seconds)

    async def _wait_for_slot(self, host: str) -> None:
        # Take the slot only when it has come: a pause set while waiting still applies.
        while True:
            now = self._clock()
            start = max(now, self._next_start.get(host, 0.0))
            if start <= now:
                self._next_start[host] = now + max(self.interval_s, self._floor_s.get(host, 0.0))
                return
            await self._sleep(start - now)


class _Turn:
    """One request's turn on its host: a concurrency slot, then its start slot; the concurrency slot
    is given back when the block ends. A class, not @asynccontextmanager: a crawl takes one per
    request, and the generator-based one cost several times as much."""

    __slots__ = ("host", "limiter", "semaphore")

    def __init__(self, limiter: HostLimiter, host: str, semaphore: asyncio.Semaphore):
        self.limiter, self.host, self.semaphore = limiter, host, semaphore

    async def __aenter__(self) -> None:
        await self.semaphore.acquire()
        try:
            await self.limiter._wait_for_slot(self.host)
        except BaseException:
            self.semaphore.release()
            raise

    async def __aexit__(self, *exc) -> None:
        self.semaphore.release()
