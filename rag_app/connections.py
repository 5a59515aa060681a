"""A small pool of psycopg connections for the app's worker threads (psycopg_pool isn't installed).

Retrieval is plain synchronous psycopg (shared with `tileshop ask`); the app runs it on a thread
pool as wide as this connection pool, so a request never waits for a connection it can't get.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import psycopg

from tileshop_pipelines.store import db

T = TypeVar("T")


class ConnectionPool:
    def __init__(self, url: str, size: int):
        self.url = url
        self.size = size
        self._idle: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue()
        self._opened = 0
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="db")

    @contextmanager
    def connection(self, timeout_s: float = 10.0) -> Iterator[psycopg.Connection]:
        conn = self._take(timeout_s)
        try:
            yield conn
        except psycopg.OperationalError:
            conn.close()  # broken: the next taker opens a fresh one
            raise
        finally:
            self._give_back(conn)

    def _take(self, timeout_s: float) -> psycopg.Connection:
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                may_open = self._opened < self.size
                if may_open:
                    self._opened += 1
            if may_open:
                return self._open()
            conn = self._idle.get(timeout=timeout_s)
        if conn.closed or conn.broken:
            return self._open()
        return conn

    def _open(self) -> psycopg.Connection:
        try:
            return db.connect(self.url)
        except Exception:
            with self._lock:
                self._opened -= 1
            raise

    def _give_back(self, conn: psycopg.Connection) -> None:
        if conn.closed or conn.broken:
            try:
                conn = db.connect(self.url)
            except Exception:
                with self._lock:
                    self._opened -= 1
                return
        self._idle.put(conn)

    async def run(self, fn: Callable[[psycopg.Connection], T]) -> T:
        """fn(conn) on a pool thread with a pooled connection."""

        def call() -> T:
            with self.connection() as conn:
                return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
