"""The app's database connections: a psycopg_pool.ConnectionPool and the threads that use it.

Retrieval is plain synchronous psycopg (shared with `tileshop ask`); the app runs it on a thread
pool as wide as the connection pool, so a request never waits for a connection it can't get.
Each connection is checked as it is handed out, so connections that died with a Postgres restart
are replaced, not handed to a request. None is kept past db.CONNECTION_MAX_LIFETIME_S, and every
db.CONNECTION_MAX_IDLE_S the idle ones are checked (a round trip each): expired ones are replaced
and the others are no longer idle, so a proxy's idle close (Fly's, PgBouncer's) never finds them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import psycopg
from psycopg_pool import ConnectionPool

from tileshop_pipelines.store import db

T = TypeVar("T")
# A request waits this long for a connection, then it is a 503. Only while Postgres is unreachable
# or restarting (every thread has a connection of its own otherwise), so an outage answers 503
# within seconds rather than hanging requests.
CONNECTION_WAIT_S = 2.0
APPLICATION_NAME = "rag_app"  # the pool's sessions in pg_stat_activity


class Database:
    def __init__(
        self,
        url: str,
        size: int,
        *,
        max_lifetime_s: float = db.CONNECTION_MAX_LIFETIME_S,
        keepalive_s: float | None = db.CONNECTION_MAX_IDLE_S,
    ):
        self.pool = ConnectionPool(
            db.libpq_url(url),
            min_size=size,
            max_size=size,
            open=False,
            name=APPLICATION_NAME,
            kwargs={"autocommit": True, "application_name": APPLICATION_NAME},
            configure=db.configure_connection,
            check=self._check,
            timeout=CONNECTION_WAIT_S,
            max_lifetime=max_lifetime_s,
        )
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="db")
        self._keepalive_s = keepalive_s
        self._closed = threading.Event()

    def _check(self, conn: psycopg.Connection) -> None:
        """ConnectionPool.check_connection at checkout. A dead connection most likely died with the
        others (a Postgres restart): the idle ones are checked at once, so that the request does
        not meet each in turn, with a doubling backoff after each, past CONNECTION_WAIT_S (4 dead
        connections were a 503; checked together, the request waits ~1 s)."""
        try:
            ConnectionPool.check_connection(conn)
        except psycopg.Error:
            self.pool.check()
            raise

    def open(self) -> None:
        """Start connecting in the background: a database down at start fails requests (503),
        not the start."""
        self.pool.open(wait=False)
        if self._keepalive_s:
            threading.Thread(target=self._keep_alive, name="db-keepalive", daemon=True).start()

    def _keep_alive(self) -> None:
        while not self._closed.wait(self._keepalive_s):
            self.pool.check()  # expired: replaced; broken: replaced; alive: a round trip, no longer idle

    async def run(self, fn: Callable[[psycopg.Connection], T]) -> T:
        """fn(conn) on a pool thread with a pooled connection."""

        def call() -> T:
            with self.pool.connection() as conn:
                return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def describe_pool(self) -> str:
        """The pool's stats (psycopg_pool's get_stats) in a sentence; counters are since the start."""
        stats = self.pool.get_stats()
        broken = stats.get("connections_lost", 0) + stats.get("returns_bad", 0)  # at checkout, at return
        return (
            f"pool: {stats['pool_size']} of {stats['pool_max']} connections, {stats['pool_available']} idle, "
            f"{stats['requests_waiting']} requests waiting; {stats.get('connections_num', 0)} opened, "
            f"{stats.get('connections_errors', 0)} failed to open, {broken} found broken"
        )

    def close(self) -> None:
        self._closed.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.pool.close()
