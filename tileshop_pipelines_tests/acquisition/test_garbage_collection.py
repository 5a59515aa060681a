"""collect_rarely: the young generation's threshold raised while any crawl runs, the process's
thresholds back (and its young objects collected) when the last one ends."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from tileshop_pipelines.acquisition.garbage_collection import collect_rarely


@pytest.fixture(autouse=True)
def _thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


class _Cyclic:
    def __init__(self):
        self.me = self


def test_the_threshold_is_raised_in_the_block_and_restored_after_it():
    with collect_rarely(50_000):
        assert gc.get_threshold() == (50_000, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_the_threshold_is_restored_when_the_block_raises():
    with pytest.raises(RuntimeError), collect_rarely(50_000):
        raise RuntimeError("a crawl's error")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_is_not_lowered_and_a_disabled_collector_stays_disabled():
    gc.set_threshold(100_000, 10, 10)
    with collect_rarely(50_000):
        assert gc.get_threshold() == (100_000, 10, 10)
    gc.set_threshold(0, 10, 10)
    with collect_rarely(50_000):
        assert gc.get_threshold() == (0, 10, 10)
    assert gc.get_threshold() == (0, 10, 10)


def test_no_pass_runs_in_the_block_and_a_cycle_made_in_it_is_collected_once_it_ends():
    passes = []

    def record(phase, info):
        if phase == "stop":
            passes.append((info["generation"], in_block))

    gc.callbacks.append(record)
    try:
        in_block = True
        with collect_rarely(50_000):
            cycle = _Cyclic()
            ref = weakref.ref(cycle)
            del cycle
            kept = [[] for _ in range(5_000)]  # 5,000 net new objects: seven passes at the default threshold
            in_block = False
        assert ref() is None
    finally:
        gc.callbacks.remove(record)
    assert passes[:1] == [(0, False)] and not [p for p in passes if p[1]]
    assert len(kept) == 5_000


def test_overlapping_crawls_restore_the_thresholds_when_the_last_one_ends():
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collect_rarely(50_000):
            first_in.set()
            second_in.wait(10)
        seen["after first"] = gc.get_threshold()
        first_out.set()

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(10)
    with collect_rarely(50_000):
        second_in.set()
        first_out.wait(10)
        seen["second, after first ended"] = gc.get_threshold()
    thread.join(10)
    assert seen == {"after first": (50_000, 10, 10), "second, after first ended": (50_000, 10, 10)}
    assert gc.get_threshold() == (700, 10, 10)
