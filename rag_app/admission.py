"""Admission control: a bound on the searches in flight (query embedding + search SQL).

Past the bound the app is saturated: a new question would only queue behind the others on the
encoder and the connection pool, and every answer would get slower. Refusing it at once with 503
and `Retry-After` keeps the admitted answers fast and tells the client when to come back, instead
of growing an unbounded queue that times everyone out.

The gate lives on the event loop: entered and left only from coroutines, so a plain counter is
enough (no lock).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class Overloaded(Exception):
    """The gate is full; the request is refused, not queued."""

    def __init__(self, limit: int, retry_after_s: int):
        super().__init__(f"{limit} searches already in flight; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class AdmissionGate:
    def __init__(self, limit: int, retry_after_s: int = 1):
        if limit < 1:
            raise ValueError(f"the admission limit must be at least 1, got {limit}")
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.in_flight = 0

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one of the `limit` places for the block, or raise Overloaded at once."""
        if self.in_flight >= self.limit:
            raise Overloaded(self.limit, self.retry_after_s)
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
