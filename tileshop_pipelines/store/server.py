"""A database server as dump, restore and verify see it: its version, whether a database is empty,
its pgvector, and scratch databases. Connections here never create anything on their own (unlike
db.connect, which installs pgvector): a restore target and a verify source are only read until the
command means to write.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tileshop_pipelines.store import db

# pgvector's iterative index scans (store/search.py's filtered search) need 0.8.
MIN_PGVECTOR = (0, 8)
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def open_database(url: str) -> psycopg.Connection:
    """An autocommit connection that creates nothing; pgvector's types registered when the
    database has them. The error names the database with its password redacted."""
    try:
        conn = psycopg.connect(db.libpq_url(url), autocommit=True)
    except psycopg.OperationalError as exc:
        raise db.DatabaseConfigError(
            f"cannot connect to the database at {db.redacted(url)}: {db.redacted(str(exc)).strip()}"
        ) from exc
    if db.one(conn.execute("SELECT to_regtype('vector')"))[0] is not None:  # on the search path
        register_vector(conn)
    return conn


def with_database(url: str, name: str) -> str:
    """The same server and credentials, another database (a URL stays a URL, as DATABASE_URL
    wants; a key=value DSN stays one)."""
    parts = urlsplit(db.libpq_url(url))
    if parts.scheme:
        return urlunsplit((parts.scheme, parts.netloc, "/" + quote(name), parts.query, parts.fragment))
    return make_conninfo("", **{**conninfo_to_dict(url), "dbname": name})


def without_password(url: str) -> tuple[str, str | None]:
    """(DSN without its password, the password): the password goes to a child process through
    PGPASSWORD, never on its command line (which `ps` shows)."""
    params = conninfo_to_dict(db.libpq_url(url))
    password = params.pop("password", None)
    return make_conninfo("", **params), None if password is None else str(password)


def server_major_version(conn: psycopg.Connection) -> int:
    return int(db.one(conn.execute("SHOW server_version_num"))[0]) // 10000


def user_objects(conn: psycopg.Connection, schemas: list[str]) -> dict[str, int]:
    """Tables, views, sequences and functions in `schemas` that no extension owns, by kind: what
    makes a restore target non-empty (an installed extension alone does not)."""
    rows = conn.execute(
        """
        SELECT kind, count(*) FROM (
            SELECT CASE c.relkind WHEN 'S' THEN 'sequences' WHEN 'v' THEN 'views' WHEN 'm' THEN 'views'
                                  ELSE 'tables' END AS kind
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                  AND d.objid = c.oid AND d.deptype = 'e')
            UNION ALL
            SELECT 'functions' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = ANY(%(schemas)s)
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                  AND d.objid = p.oid AND d.deptype = 'e')
        ) o GROUP BY kind ORDER BY kind
        """,
        {"schemas": schemas},
    ).fetchall()
    return dict(rows)


def pgvector(conn: psycopg.Connection) -> dict:
    """pgvector on this server: the version it would install, and where and which version is
    installed in this database (None when not)."""
    row = conn.execute(
        """SELECT a.default_version, e.extversion, n.nspname
             FROM pg_available_extensions a
             LEFT JOIN pg_extension e ON e.extname = a.name
             LEFT JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE a.name = 'vector'"""
    ).fetchone()
    if row is None:
        return {"available": None, "installed": None, "schema": None}
    return {"available": row[0], "installed": row[1], "schema": row[2]}


def setting_names(conn: psycopg.Connection) -> set[str]:
    """The settings this server knows (a restore leaves out the SETs of newer ones)."""
    return {row[0] for row in conn.execute("SELECT name FROM pg_settings")}


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def create_scratch_database(url: str, prefix: str) -> str:
    """A new empty database on `url`'s server; returns its DSN."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with open_database(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(url, name)


def drop_database(admin_url: str, url: str) -> None:
    """Drop the database `url` names, connected to another database of its server (`admin_url`)."""
    name = str(conninfo_to_dict(db.libpq_url(url))["dbname"])
    with open_database(admin_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def analyze(conn: psycopg.Connection) -> None:
    """Planner statistics for every table (a restore brings none)."""
    conn.execute("ANALYZE")
