"""Python's cyclic garbage collector while a crawl runs: a young-generation pass every 50,000 objects, not 700.

A crawl allocates a few container objects per page and frees almost all of them by reference
counting: a 1,000-page crawl leaves about 200 objects in reference cycles (its connections, at
the end). At the default threshold (a young-generation pass every 700 net new objects) it still
ran ~15 young and ~1.5 middle passes per 1,000 pages, and now and then the middle passes brought a full
one over the whole process (110-310 ms of CPU in the bench's process, more beside Dagster's
objects). While any crawl runs, the young generation's threshold is raised instead; when the last
one ends, the default comes back and the next allocation past it (the crawl's own, as it returns)
collects the young generation. A collector the process turned off (threshold 0) stays off.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

CRAWL_GEN0_THRESHOLD = 50_000  # net new container objects between young passes while a crawl runs

_lock = threading.Lock()
_crawls = 0
_saved: tuple[int, ...] = ()


@contextlib.contextmanager
def collect_rarely(threshold: int = CRAWL_GEN0_THRESHOLD) -> Iterator[None]:
    """Raise the young generation's threshold to `threshold` for the block (never lower it); the
    thresholds come back when the last of overlapping blocks (crawls on other threads) ends."""
    global _crawls, _saved
    with _lock:
        if _crawls == 0:
            _saved = gc.get_threshold()
            if 0 < _saved[0] < threshold:
                gc.set_threshold(threshold, *_saved[1:])
        _crawls += 1
    try:
        yield
    finally:
        with _lock:
            _crawls -= 1
            if _crawls == 0:
                gc.set_threshold(*_saved)
