"""Fetch product pages with crawl4ai's HTTP strategy.

We call ``AsyncHTTPCrawlerStrategy.crawl()`` directly rather than ``AsyncWebCrawler.arun_many``:
the latter cleans every page and renders markdown (~19 ms CPU/page here) and its dispatcher adds
per-domain delays, none of which we use; the strategy alone is ~0.6 ms CPU/page. Extraction reads
the raw HTML's structured data (see ``catalog.extract``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

DEFAULT_USER_AGENT = "TileshopPipelines/0.1 (product catalog indexer)"


@dataclass
class PageFetch:
    url: str
    status_code: int | None
    html: str | None
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


class PageFetcher:
    """Bounded-concurrency page fetching over one crawl4ai HTTP session."""

    def __init__(self, *, user_agent: str = DEFAULT_USER_AGENT, concurrency: int = 8, timeout_s: float = 30.0):
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.user_agent = user_agent
        self.concurrency = concurrency
        self.timeout_s = timeout_s

    async def fetch_iter(self, urls: Iterable[str]) -> AsyncIterator[PageFetch]:
        """Yield one PageFetch per URL, in completion order."""
        from crawl4ai.async_configs import CrawlerRunConfig, HTTPCrawlerConfig
        from crawl4ai.async_crawler_strategy import AsyncHTTPCrawlerStrategy

        config = CrawlerRunConfig(page_timeout=int(self.timeout_s * 1000))
        strategy = AsyncHTTPCrawlerStrategy(
            browser_config=HTTPCrawlerConfig(headers={"User-Agent": self.user_agent}),
            max_connections=self.concurrency,
        )
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        results: asyncio.Queue[PageFetch] = asyncio.Queue()
        count = 0
        for url in urls:
            queue.put_nowait(url)
            count += 1

        async def worker() -> None:
            while True:
                try:
                    url = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                results.put_nowait(await self._fetch_one(strategy, config, url))

        async with strategy:
            workers = [asyncio.create_task(worker()) for _ in range(min(self.concurrency, count) or 1)]
            try:
                for _ in range(count):
                    yield await results.get()
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)

    @staticmethod
    async def _fetch_one(strategy, config, url: str) -> PageFetch:
        from crawl4ai.async_crawler_strategy import HTTPStatusError

        started = time.perf_counter()
        try:
            response = await strategy.crawl(url, config)
        except Exception as exc:  # statuses, connection errors, timeouts: recorded per URL, never raised
            status = _http_status(exc, HTTPStatusError)
            error = f"HTTP {status}" if status else f"{type(exc).__name__}: {exc}"
            return PageFetch(url, status, None, error=error, elapsed_s=time.perf_counter() - started)
        return PageFetch(
            url,
            response.status_code,
            response.html,
            headers={k.lower(): v for k, v in (response.response_headers or {}).items()},
            elapsed_s=time.perf_counter() - started,
        )


def _http_status(exc: BaseException, status_error_type: type) -> int | None:
    """The HTTP status behind a crawl4ai error: its HTTP strategy re-wraps HTTPStatusError in a
    generic HTTPCrawlerError, keeping the original only as the exception context."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, status_error_type):
            return exc.status_code
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None
