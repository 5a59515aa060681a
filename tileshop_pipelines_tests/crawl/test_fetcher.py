"""The polite fetcher over crawl4ai's HTTP strategy, against the sample catalog's fault switches."""

from __future__ import annotations

import asyncio
import time

import pytest

from tileshop_pipelines.acquisition.refresh import extract_page
from tileshop_pipelines.crawl.fetcher import CircuitOpen, CrawlPolicy, PageFetcher, PageRequest, retry_after_seconds
from tileshop_pipelines.crawl.transports import HttpTransport
from tileshop_pipelines.sample_catalog import QUIRK_PATHS, CatalogServer, build_catalog

from ..support.local_server import LocalServer, QuietHandler

FAST = dict(
    requests_per_second=0, concurrency_per_host=4, timeout_s=5, max_attempts=3, backoff_base_s=0.05, backoff_max_s=0.2
)


@pytest.fixture(scope="module")
def server():
    with CatalogServer(build_catalog(n_products=80, seed=3), port=0) as srv:
        yield srv


@pytest.fixture(autouse=True)
def clean_faults(server):
    server.faults.clear()
    yield
    server.faults.clear()


def _crawl(requests, **policy):
    settings = {**FAST, **policy}
    policy = CrawlPolicy(**settings)

    async def go():
        crawler = PageFetcher(
            lambda: HttpTransport(
                user_agent=policy.user_agent, max_connections=4, timeout_s=policy.timeout_s, max_body_bytes=1_000_000
            ),
            policy,
        )
        return [f async for f in crawler.crawl(requests)]

    return asyncio.run(go())


def _requests(server, paths):
    return [PageRequest(f"{server.base_url}{p}", product_key=p) for p in paths]


def _paths(server, n, start=0):
    return [p.path for p in server.catalog.products[start : start + n]]


def test_every_page_once_with_the_user_agent_then_304_on_conditional_get(server):
    paths = _paths(server, 12)
    before = {p: server.hits[p] for p in paths}
    first = _crawl(_requests(server, paths), user_agent="TileshopPipelines-test/1.0")
    assert sorted(f.product_key for f in first) == sorted(paths)
    assert {f.outcome for f in first} == {"ok"} and all('"Product"' in f.html for f in first)
    assert all(server.hits[p] == before[p] + 1 for p in paths)
    assert server.last_user_agent == "TileshopPipelines-test/1.0"
    again = _crawl([PageRequest(f.url, f.etag, f.last_modified, product_key=f.product_key) for f in first])
    assert {f.outcome for f in again} == {"not_modified"} and all(f.html is None for f in again)
    assert all(f.etag and f.last_modified for f in first)
    by_date = _crawl([PageRequest(f.url, None, f.last_modified, product_key=f.product_key) for f in first[:3]])
    assert {f.outcome for f in by_date} == {"not_modified"}


def test_429_waits_for_retry_after_then_succeeds(server):
    path = _paths(server, 1)[0]
    server.faults.set_retry_after(path, times=2, seconds=1)
    started = time.monotonic()
    [fetch] = _crawl(_requests(server, [path]))
    assert fetch.outcome == "ok" and fetch.attempts == 3
    assert time.monotonic() - started >= 2.0  # two Retry-After: 1 waits, not the 0.05 s backoff


def test_retry_after_longer_than_the_cap_gives_up_for_this_run(server):
    path = _paths(server, 1)[0]
    server.faults.set_retry_after(path, times=1, seconds=3600)
    [fetch] = _crawl(_requests(server, [path]), max_retry_after_s=5)
    assert fetch.outcome == "failed" and fetch.attempts == 1 and "Retry-After" in fetch.error


def test_5xx_is_retried_with_backoff_then_failed(server):
    path = _paths(server, 1)[0]
    server.faults.set_status(path, 503)
    hits = server.hits[path]
    [fetch] = _crawl(_requests(server, [path]), max_attempts=3)
    assert (fetch.outcome, fetch.status_code, fetch.attempts) == ("failed", 503, 3)
    assert server.hits[path] == hits + 3


@pytest.mark.parametrize("status", [404, 410])
def test_404_and_410_mean_gone_without_retry(server, status):
    path = _paths(server, 1, start=1)[0]
    server.faults.set_status(path, status)
    hits = server.hits[path]
    [fetch] = _crawl(_requests(server, [path]))
    assert (fetch.outcome, fetch.status_code, fetch.attempts) == ("gone", status, 1)
    assert server.hits[path] == hits + 1


def test_other_4xx_fails_without_retry(server):
    path = _paths(server, 1, start=2)[0]
    server.faults.set_status(path, 403)
    [fetch] = _crawl(_requests(server, [path]))
    assert (fetch.outcome, fetch.attempts, fetch.error) == ("failed", 1, "HTTP 403")


def test_home_page_for_a_product_url_is_blocked(server):
    path = _paths(server, 1, start=3)[0]
    server.faults.block(path)
    [fetch] = _crawl(_requests(server, [path]))
    assert fetch.outcome == "ok"  # a 200 with HTML, as far as HTTP goes: extraction tells the page
    extract_page(fetch, stored_hash=None)
    assert fetch.outcome == "blocked" and fetch.attempts == 1 and fetch.html is None and fetch.record is None


def test_timeouts_are_retried_then_failed(server):
    path = _paths(server, 1, start=4)[0]
    server.faults.set_slow(path, 1.5)
    [fetch] = _crawl(_requests(server, [path]), timeout_s=0.3, max_attempts=2)
    assert fetch.outcome == "failed" and fetch.attempts == 2 and "timed out" in fetch.error


def test_connection_refused_is_a_failure_not_an_exception():
    [fetch] = _crawl([PageRequest("http://127.0.0.1:9/products/x-12345", product_key="x")], max_attempts=2)
    assert fetch.outcome == "failed" and fetch.status_code is None and fetch.attempts == 2


def test_circuit_breaker_stops_an_outage_early(server):
    paths = _paths(server, 60)
    server.faults.apply({"fail_all_status": 503})
    before = sum(server.hits[p] for p in paths)
    with pytest.raises(CircuitOpen, match="latest 10 pages failed"):
        _crawl(_requests(server, paths), breaker_window=10, breaker_min_pages=10, max_attempts=3)
    made = sum(server.hits[p] for p in paths) - before
    # 10 pages had to fail (the breaker counts pages); with 4 in flight, at most 13 were tried, 3 times each
    assert made <= 13 * 3  # of 60 pages x 3 attempts


def test_seven_percent_of_pages_answering_500_are_failed_and_the_run_goes_on(server):
    paths = _paths(server, 70)
    broken = paths[30:35]  # 5 of 70, in a row: all four workers retry them at once
    for path in broken:
        server.faults.set_status(path, 500)
    fetches = _crawl(_requests(server, paths), max_attempts=4, backoff_base_s=0.05, backoff_max_s=0.1)
    assert {f.product_key for f in fetches if f.outcome == "failed"} == set(broken)
    assert sum(f.outcome == "ok" for f in fetches) == 65


def test_a_429_burst_with_retry_after_does_not_open_the_breaker(server):
    paths = _paths(server, 60)
    for path in paths:  # the site asks every page to wait, four times over, before it answers
        server.faults.set_retry_after(path, times=4, seconds=0)
    fetches = _crawl(_requests(server, paths), max_attempts=5)
    assert {f.outcome for f in fetches} == {"ok"} and {f.attempts for f in fetches} == {5}


def test_breaker_ignores_a_few_failures(server):
    paths = _paths(server, 30)
    server.faults.set_status(paths[0], 500)
    fetches = _crawl(_requests(server, paths), breaker_window=10, breaker_min_pages=10)
    assert sum(f.outcome == "ok" for f in fetches) == 29


def test_non_html_content_type_is_rejected(server):
    path = _paths(server, 1, start=5)[0]
    server.faults.apply({"content_type": {path: "application/pdf"}})
    [fetch] = _crawl(_requests(server, [path]))
    assert fetch.outcome == "failed" and fetch.attempts == 1 and "not HTML" in fetch.error and fetch.html is None


def test_body_over_the_limit_is_rejected(server):
    path = _paths(server, 1, start=6)[0]
    server.faults.apply({"oversize": {path: 2_000_000}})
    [fetch] = _crawl(_requests(server, [path]))
    assert fetch.outcome == "failed" and "limit" in fetch.error and fetch.html is None


def test_page_is_decoded_per_its_declared_charset(server):
    path = QUIRK_PATHS["non_ascii"]
    server.faults.apply({"charset": {path: "iso-8859-1"}})
    [fetch] = _crawl(_requests(server, [path]))
    assert fetch.outcome == "ok"
    assert "½" in fetch.html and "\ufffd" not in fetch.html


def test_rate_limit_spaces_requests(server):
    paths = _paths(server, 10, start=10)
    started = time.monotonic()
    fetches = _crawl(_requests(server, paths), requests_per_second=10, concurrency_per_host=4)
    elapsed = time.monotonic() - started
    assert len(fetches) == 10
    assert 0.85 <= elapsed < 3.0  # 10 requests at 10/s: the 10th starts ~0.9 s after the first


def test_retry_after_parsing():
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 1445412480 - 60) == 60
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_blocked_pages_reported_back_open_the_breaker(server):
    paths = _paths(server, 15, start=20)
    for path in paths:
        server.faults.block(path)
    policy = CrawlPolicy(**FAST, breaker_window=10, breaker_min_pages=10)

    async def go(report: bool):
        crawl = PageFetcher(
            lambda: HttpTransport(user_agent=policy.user_agent, max_connections=4, timeout_s=5), policy
        ).crawl(_requests(server, paths))
        checks = []
        async for check in crawl:
            extract_page(check, stored_hash=None)
            if report:
                crawl.report_blocked(check)
            checks.append(check)
        return checks

    # unreported, a block page is an ok answer to the crawler: 15 of them never trip it
    assert {c.outcome for c in asyncio.run(go(report=False))} == {"blocked"}
    with pytest.raises(CircuitOpen, match="latest 10 pages failed"):
        asyncio.run(go(report=True))


class _RobotsSite(LocalServer):
    """A local site with the given robots.txt and product pages at /products/p-<n>."""

    def __init__(self, robots_txt: str):
        site = self
        self.hits: list[str] = []
        self.robots_agents: list[str] = []

        class Handler(QuietHandler):
            def do_GET(self):
                if self.path == "/robots.txt":
                    site.robots_agents.append(self.headers["User-Agent"])
                    body, kind = robots_txt.encode(), "text/plain"
                else:
                    site.hits.append(self.path)
                    body, kind = b"<html><body>a product</body></html>", "text/html"
                self.answer(200, body, kind)

        super().__init__(Handler)
        self.start()


@pytest.mark.parametrize(
    ("robots_txt", "interval"),
    [
        ("User-agent: *\nCrawl-delay: 1\n", 1.0),
        ("User-agent: *\nCrawl-delay: 5\n\nUser-agent: TileshopPipelines\nCrawl-delay: 1\n", 1.0),  # ours wins
        ("User-agent: *\nRequest-rate: 1/2s\n", 2.0),
        ("User-agent: *\nDisallow: /cart\n", 0.0),  # no delay asked: the policy's rate (none here)
    ],
)
def test_robots_crawl_delay_floors_the_request_interval(robots_txt, interval):
    from tileshop_pipelines_tests.crawl.fake_clock import FakeClock

    site = _RobotsSite(robots_txt)
    try:
        clock = FakeClock()
        policy = CrawlPolicy(**FAST)  # requests_per_second=0: no rate limit of our own
        crawler = PageFetcher(
            lambda: HttpTransport(user_agent=policy.user_agent, max_connections=4, timeout_s=5),
            policy,
            clock=clock,
            sleep=clock.sleep,
        )
        n = 4

        async def go():
            return [c async for c in crawler.crawl(PageRequest(f"{site.base_url}/products/p-{i}") for i in range(n))]

        checks = clock.run(go())
    finally:
        site.close()
    assert {c.outcome for c in checks} == {"ok"} and len(site.hits) == n
    assert site.robots_agents == [policy.user_agent]  # read once per crawl, as ourselves
    assert clock.now == pytest.approx((n - 1) * interval)  # N requests take (N - 1) intervals
