"""The per-host limiter (crawl.politeness) on a fake clock: rate, robots floor, concurrency, pauses."""

from __future__ import annotations

import asyncio

import pytest

from tileshop_pipelines.crawl.politeness import HostLimiter
from tileshop_pipelines_tests.crawl.fake_clock import FakeClock

A, B = "https://a.example/products/p-1", "https://b.example/products/p-2"


def _starts(limiter: HostLimiter, clock: FakeClock, urls: list[str]) -> list[tuple[str, float]]:
    """(url, start time) of one request per URL, all sent at once, in start order."""
    starts = []

    async def one(url):
        async with limiter.request(url):
            starts.append((url, clock()))

    async def go():
        await asyncio.gather(*(one(url) for url in urls))

    clock.run(go())
    return starts


def _limiter(clock, **kwargs):
    return HostLimiter(
        clock=clock, sleep=clock.sleep, **{"requests_per_second": 0, "concurrency_per_host": 8, **kwargs}
    )


def test_requests_to_a_host_start_one_interval_apart():
    clock = FakeClock()
    starts = _starts(_limiter(clock, requests_per_second=2), clock, [A] * 5)
    assert [t for _, t in starts] == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_each_host_has_its_own_slots():
    clock = FakeClock()
    starts = _starts(_limiter(clock, requests_per_second=1), clock, [A, B, A, B])
    assert sorted(t for url, t in starts if url == A) == [0.0, 1.0]
    assert sorted(t for url, t in starts if url == B) == [0.0, 1.0]


def test_no_rate_means_no_waiting():
    clock = FakeClock()
    assert {t for _, t in _starts(_limiter(clock), clock, [A] * 5)} == {0.0}


def test_a_robots_floor_widens_the_interval_and_never_narrows_it():
    clock = FakeClock()
    limiter = _limiter(clock, requests_per_second=2)
    limiter.floor_interval("https://a.example/robots.txt", 1.5)
    starts = _starts(limiter, clock, [A] * 3 + [B] * 3)
    assert [t for url, t in starts if url == A] == [0.0, 1.5, 3.0]
    assert [t for url, t in starts if url == B] == [0.0, 0.5, 1.0]  # another host keeps the rate

    clock = FakeClock()
    limiter = _limiter(clock, requests_per_second=2)
    limiter.floor_interval(A, 0.1)  # robots allows faster than our rate: our rate stands
    assert [t for _, t in _starts(limiter, clock, [A] * 3)] == [0.0, 0.5, 1.0]


def test_concurrent_requests_per_host_are_capped():
    clock = FakeClock()
    limiter = _limiter(clock, concurrency_per_host=2)
    active = {A: 0, B: 0}
    most = {A: 0, B: 0}

    async def one(url):
        async with limiter.request(url):
            active[url] += 1
            most[url] = max(most[url], active[url])
            for _ in range(5):
                await asyncio.sleep(0)
            active[url] -= 1

    async def go():
        await asyncio.gather(*(one(url) for url in [A] * 6 + [B] * 6))

    clock.run(go())
    assert most == {A: 2, B: 2}


def test_pause_holds_every_request_to_the_host():
    clock = FakeClock()
    limiter = _limiter(clock, requests_per_second=1)
    limiter.pause(A, 30)  # a Retry-After: 30 on any URL of host a
    starts = _starts(limiter, clock, ["https://a.example/other", A, B])
    assert sorted(t for url, t in starts if url != B) == [30.0, 31.0]
    assert [t for url, t in starts if url == B] == [0.0]


def test_a_pause_set_while_waiting_still_applies():
    clock = FakeClock()
    limiter = _limiter(clock, requests_per_second=1)
    starts = []

    async def one():
        async with limiter.request(A):
            starts.append(clock())

    async def go():
        first = asyncio.create_task(one())
        second = asyncio.create_task(one())  # waits for the slot at t=1
        await asyncio.sleep(0)
        limiter.pause(A, 10)
        await asyncio.gather(first, second)

    clock.run(go())
    assert starts == [0.0, 10.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"concurrency_per_host": 0}, "concurrency"), ({"requests_per_second": -1}, "requests per second")],
)
def test_bad_limits_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HostLimiter(**{"requests_per_second": 1, "concurrency_per_host": 1, **kwargs})
