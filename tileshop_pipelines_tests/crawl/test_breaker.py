"""The circuit breaker (crawl.crawler.CircuitBreaker) on its own."""

from __future__ import annotations

from tileshop_pipelines.crawl.crawler import CircuitBreaker


def test_trips_at_the_ratio_only_after_the_minimum_attempts():
    breaker = CircuitBreaker(window=10, min_attempts=5, failure_ratio=0.8)
    for _ in range(4):
        breaker.record(False, "HTTP 503")
    assert breaker.tripped_reason is None  # 4 of 4 failed, but fewer than 5 attempts seen
    breaker.record(False, "timed out after 30 s")
    assert breaker.tripped_reason == ("5 of the latest 5 requests failed (last: timed out after 30 s); stopping "
                                      "the crawl so an outage is not recorded as failed products")


def test_only_the_latest_window_counts():
    breaker = CircuitBreaker(window=10, min_attempts=10, failure_ratio=0.8)
    for _ in range(20):
        breaker.record(True, "ok")
    for _ in range(7):
        breaker.record(False, "HTTP 500")
    assert breaker.tripped_reason is None  # 7 of the latest 10: under 80%
    breaker.record(False, "HTTP 500")
    assert breaker.tripped_reason.startswith("8 of the latest 10 requests failed (last: HTTP 500)")


def test_scattered_failures_never_trip():
    breaker = CircuitBreaker(window=20, min_attempts=10, failure_ratio=0.8)
    for i in range(200):
        breaker.record(i % 3 != 0, "HTTP 503")
    assert breaker.tripped_reason is None


def test_min_attempts_is_capped_at_the_window():
    breaker = CircuitBreaker(window=4, min_attempts=10, failure_ratio=1.0)
    for _ in range(4):
        breaker.record(False, "HTTP 503")
    assert breaker.tripped_reason is not None


def test_the_first_reason_stays():
    breaker = CircuitBreaker(window=2, min_attempts=2, failure_ratio=1.0)
    breaker.record(False, "first")
    breaker.record(False, "second")
    breaker.record(False, "third")
    assert "(last: second)" in breaker.tripped_reason


def test_an_overturned_success_counts_as_a_failure():
    breaker = CircuitBreaker(window=5, min_attempts=5, failure_ratio=0.8)
    answers = [breaker.record(True, "ok") for _ in range(5)]
    for answer in answers[:3]:
        breaker.overturn(answer, "home page")
    assert breaker.tripped_reason is None  # 3 of 5
    breaker.overturn(answers[3], "home page")
    assert breaker.tripped_reason.startswith("4 of the latest 5 requests failed (last: home page)")


def test_an_overturn_outside_the_window_no_longer_counts():
    breaker = CircuitBreaker(window=2, min_attempts=2, failure_ratio=0.5)
    old = breaker.record(True, "ok")
    breaker.record(True, "ok")
    breaker.record(True, "ok")
    breaker.overturn(old, "home page")
    assert breaker.tripped_reason is None
