"""The circuit breaker (crawl.fetcher.CircuitBreaker) on its own: it counts pages, not attempts."""

from __future__ import annotations

import random

from tileshop_pipelines.crawl.fetcher import CircuitBreaker


def test_trips_at_the_ratio_only_after_the_minimum_pages():
    breaker = CircuitBreaker(window=10, min_pages=5, failure_ratio=0.8)
    for page in range(4):
        breaker.record(f"p{page}", False, "HTTP 503")
    assert breaker.tripped_reason is None  # 4 of 4 failed, but fewer than 5 pages seen
    breaker.record("p4", False, "timed out after 30 s")
    assert breaker.tripped_reason == (
        "5 of the latest 5 pages failed (last: timed out after 30 s); stopping "
        "the crawl so an outage is not recorded as failed products"
    )


def test_retries_of_one_page_count_once():
    breaker = CircuitBreaker(window=20, min_pages=10, failure_ratio=0.8)
    for page in range(12):
        breaker.record(f"ok{page}", True, "ok")
    for page in range(3):  # three broken pages, each retried four times: 12 failed attempts
        for _ in range(4):
            breaker.record(f"broken{page}", False, "HTTP 500")
    assert breaker.tripped_reason is None and len(breaker.pages) == 15


def test_a_page_answered_on_retry_stops_counting_as_failed():
    breaker = CircuitBreaker(window=4, min_pages=4, failure_ratio=1.0)
    for page in range(3):
        breaker.record(f"p{page}", False, "HTTP 503")
    breaker.record("p0", True, "ok")
    breaker.record("p3", False, "HTTP 503")
    assert breaker.tripped_reason is None  # 3 of 4 pages failing


def test_only_the_latest_window_counts():
    breaker = CircuitBreaker(window=10, min_pages=10, failure_ratio=0.8)
    for page in range(20):
        breaker.record(f"ok{page}", True, "ok")
    for page in range(7):
        breaker.record(f"bad{page}", False, "HTTP 500")
    assert breaker.tripped_reason is None  # 7 of the latest 10: under 80%
    breaker.record("bad7", False, "HTTP 500")
    assert breaker.tripped_reason.startswith("8 of the latest 10 pages failed (last: HTTP 500)")


def test_scattered_failures_never_trip():
    breaker = CircuitBreaker(window=20, min_pages=10, failure_ratio=0.8)
    for i in range(200):
        breaker.record(f"p{i}", i % 3 != 0, "HTTP 503")
    assert breaker.tripped_reason is None


def test_min_pages_is_capped_at_the_window():
    breaker = CircuitBreaker(window=4, min_pages=10, failure_ratio=1.0)
    for page in range(4):
        breaker.record(f"p{page}", False, "HTTP 503")
    assert breaker.tripped_reason is not None


def test_the_first_reason_stays():
    breaker = CircuitBreaker(window=2, min_pages=2, failure_ratio=1.0)
    for page, what in enumerate(("first", "second", "third")):
        breaker.record(f"p{page}", False, what)
    assert "(last: second)" in breaker.tripped_reason


def test_an_overturned_success_counts_as_a_failure():
    breaker = CircuitBreaker(window=5, min_pages=5, failure_ratio=0.8)
    for page in range(5):
        breaker.record(f"p{page}", True, "ok")
    for page in range(3):
        breaker.overturn(f"p{page}", "home page")
    assert breaker.tripped_reason is None  # 3 of 5
    breaker.overturn("p3", "home page")
    assert breaker.tripped_reason.startswith("4 of the latest 5 pages failed (last: home page)")


def test_an_overturn_outside_the_window_no_longer_counts():
    breaker = CircuitBreaker(window=2, min_pages=2, failure_ratio=0.5)
    for page in ("old", "p1", "p2"):
        breaker.record(page, True, "ok")
    breaker.overturn("old", "home page")
    assert breaker.tripped_reason is None


def test_the_failures_kept_are_the_failing_pages_in_the_window():
    """The count is kept as pages come, are retried, overturned and leave the window, not summed
    each time: after every step it is what a count of the window gives."""
    rng = random.Random(5)
    breaker = CircuitBreaker(window=7, min_pages=100, failure_ratio=1.0)  # never trips: every step is seen
    for _ in range(5_000):
        page = f"p{rng.randrange(12)}"
        if rng.random() < 0.2:
            breaker.overturn(page, "blocked")
        else:
            breaker.record(page, rng.random() < 0.6, "HTTP 500")
        assert breaker.failures == sum(not success for success in breaker.pages.values())
        assert len(breaker.pages) <= 7
