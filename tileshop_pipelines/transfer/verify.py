"""`tileshop transfer verify`: does the target hold what the source holds, and does its search work?

Compared (store/fingerprint.py reads both sides): row counts of every table (ours and Dagster's);
a hash of every product record, history version, chunk, embedding and vector row; vector columns'
declared type, row count and actual dimensions; indexes, functions, sequences and extensions.
Required of the target whatever the source has: the HNSW and full-text indexes, the search
functions answering, pgvector >= 0.8. And one canary question, asked through the app's own
retrieval (assistant.retrieval.retrieve, the real model embedding it once for both sides), must give
the same top 5 products with the same scores on both sides; its vector rankings are exact (index
scans off for the canary) so that two HNSW graphs built over the same rows cannot disagree (`inspect`).

A dump as the source is restored into a scratch database (on the target's server unless another
is given) and dropped afterwards. Every difference is listed; none means the transfer is whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import psycopg

from tileshop_pipelines.store import db, fingerprint, search, server
from tileshop_pipelines.transfer import dumps

CANARY_QUESTION = "Marmi Imperiali Zenobia porcelain"
CANARY_TOP = 5
SCRATCH_PREFIX = "tileshop_verify"


@dataclasses.dataclass(frozen=True)
class Difference:
    check: str  # what was compared: tables, rows, vectors, indexes, functions, sequences, extensions, search, canary
    item: str  # which table, row, index...
    source: object
    target: object

    def line(self) -> str:
        return f"{self.check} {self.item}: source {_shown(self.source)}, target {_shown(self.target)}"


def _shown(value) -> str:
    return value if isinstance(value, str) else repr(value)


def is_dsn(text: str) -> bool:
    return text.startswith(("postgres://", "postgresql://", "postgresql+")) or "=" in text


@contextlib.contextmanager
def source_database(source: str, scratch_server: str) -> Iterator[tuple[str, str]]:
    """(URL, label) of the source: a DSN as given, or a dump restored into a scratch database on
    `scratch_server`'s server, dropped on exit."""
    if Path(source).is_file():
        try:
            scratch = server.create_scratch_database(scratch_server, SCRATCH_PREFIX)
        except psycopg.errors.InsufficientPrivilege as exc:  # a managed database's user (Fly's fly-user)
            raise dumps.DumpError(
                f"cannot create a scratch database for the dump on {db.redacted(scratch_server)} ({exc}): compare "
                "with the live source instead (--source DSN), or pass --scratch-server with a server where this "
                "user may create databases (the embedded one: $(tileshop db url))"
            ) from exc
        try:
            dumps.restore(Path(source), scratch)
            yield scratch, f"dump {source}"
        finally:
            server.drop_database(scratch_server, scratch)
    elif is_dsn(source):
        yield source, db.redacted(source)
    else:
        raise dumps.DumpError(f"--source {source!r} is neither a dump file nor a postgresql:// DSN")


def inspect(url: str, question: str, query_embedding: np.ndarray) -> dict:
    """One side's fingerprint, its search functions' answers and the canary's top products."""
    from tileshop_pipelines.assistant.retrieval import retrieve

    with server.open_database(url) as conn:
        side = fingerprint.fingerprint(conn)
        # A restore builds its HNSW graph anew (random levels): at the app's ef_search two copies
        # of the same rows may return different approximate neighbours (5,000 products with random
        # vectors at ef_search 40: 5 of 5 differed), and match_products fixes ef_search itself
        # (migration 018). Without index scans its ranking is exact: both sides find the true
        # nearest. The indexes themselves are compared by the fingerprint.
        conn.execute("SET enable_indexscan = off")
        side["pgvector"] = server.pgvector(conn)["installed"]
        side["search"] = {}
        calls = {
            "match_products": lambda: search.match_products(conn, query_embedding, CANARY_TOP),
            "fulltext_search": lambda: search.fulltext_search(conn, question, CANARY_TOP),
            "hybrid_search": lambda: search.hybrid_search(conn, question, query_embedding, CANARY_TOP),
        }
        for name, call in calls.items():
            side["search"][name] = _attempt(lambda call=call: f"{len(call())} rows")
        side["canary"] = _attempt(
            lambda: [
                {"product_key": hit.product_key, "sku": hit.sku, "score": hit.score}
                for hit in retrieve(conn, question, query_embedding, limit=CANARY_TOP).hits
            ]
        )
    return side


def _attempt(call: Callable):
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - a failing search is a finding, reported as such
        return {"error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"}


def differences(source: dict, target: dict) -> list[Difference]:
    """Every way the target differs from the source, and every search requirement it misses."""
    found: list[Difference] = []
    found += _compare_maps("tables", source["tables"], target["tables"])
    for table in fingerprint.HASHED_TABLES:
        found += _compare_maps(
            "rows",
            source["rows"][table],
            target["rows"][table],
            prefix=f"{table} ",
            shown=lambda h: "present" if h else "missing",
            changed="differs",
        )
    for column in sorted(source["vectors"].keys() | target["vectors"].keys()):
        s, t = source["vectors"].get(column), target["vectors"].get(column)
        if s is None or t is None:
            found.append(Difference("vectors", column, s or "missing", t or "missing"))
            continue
        for aspect in ("declared", "count", "dimensions"):
            if s[aspect] != t[aspect]:
                found.append(Difference("vectors", f"{column} {aspect}", s[aspect], t[aspect]))
    found += _compare_maps("indexes", source["indexes"], target["indexes"])
    found += _compare_maps(
        "functions",
        source["functions"],
        target["functions"],
        shown=lambda h: "present" if h else "missing",
        changed="definition differs",
    )
    found += _compare_maps("sequences", source["sequences"], target["sequences"])
    for name in sorted(source["extensions"].keys() - target["extensions"].keys()):
        found.append(Difference("extensions", name, source["extensions"][name], "missing"))
    found += _target_requirements(target)
    if source["canary"] != target["canary"]:
        found.append(
            Difference("canary", f"top {CANARY_TOP}", _canary_shown(source["canary"]), _canary_shown(target["canary"]))
        )
    return found


def _compare_maps(
    check: str, source: dict, target: dict, prefix: str = "", shown=lambda v: v, changed: str | None = None
) -> list[Difference]:
    found = []
    for key in sorted(source.keys() | target.keys()):
        if key not in target:
            found.append(Difference(check, f"{prefix}{key}", shown(source[key]), "missing"))
        elif key not in source:
            found.append(Difference(check, f"{prefix}{key}", "missing", shown(target[key])))
        elif (s := source[key]) != (t := target[key]):
            found.append(
                Difference(
                    check,
                    f"{prefix}{key}",
                    changed and "hash " + s[:8] or s,
                    changed and f"{changed} (hash {t[:8]})" or t,
                )
            )
    return found


def _target_requirements(target: dict) -> list[Difference]:
    found = []
    for name, method in fingerprint.SEARCH_INDEXES.items():
        definition = target["indexes"].get(name, "")
        if f"USING {method} " not in definition:
            found.append(Difference("search", f"index {name}", f"a {method} index", definition or "missing"))
    for name, outcome in target["search"].items():
        if isinstance(outcome, dict):
            found.append(Difference("search", f"function {name}", "callable", outcome["error"]))
    minimum = ".".join(map(str, server.MIN_PGVECTOR))
    if not target["pgvector"] or server.version_tuple(target["pgvector"]) < server.MIN_PGVECTOR:
        found.append(Difference("search", "pgvector", f">= {minimum}", target["pgvector"] or "missing"))
    return found


def _canary_shown(canary) -> object:
    if isinstance(canary, dict):
        return canary["error"]
    return [f"{hit['sku']} {hit['score']}" for hit in canary]


def verify(
    source: str,
    target: str,
    *,
    question: str = CANARY_QUESTION,
    scratch_server: str | None = None,
    embed: Callable[[str], np.ndarray] | None = None,
) -> dict:
    """The report: what was compared on each side and every difference (none: the transfer is whole)."""
    if embed is None:
        from tileshop_pipelines.assistant.retrieval import embed_question

        embed = embed_question
    query_embedding = embed(question)
    target_side = inspect(target, question, query_embedding)  # an unreachable target fails first
    with source_database(source, scratch_server or target) as (source_url, source_label):
        source_side = inspect(source_url, question, query_embedding)
    found = differences(source_side, target_side)
    return {
        "source": source_label,
        "target": db.redacted(target),
        "question": question,
        "compared": {
            "tables": len(source_side["tables"]),
            "rows": sum(map(len, source_side["rows"].values())),
            "vectors": {c: v["count"] for c, v in source_side["vectors"].items()},
            "indexes": len(source_side["indexes"]),
            "functions": len(source_side["functions"]),
            "sequences": len(source_side["sequences"]),
        },
        "canary": {"source": source_side["canary"], "target": target_side["canary"]},
        "ok": not found,
        "differences": [dataclasses.asdict(d) for d in found],
    }


def report_lines(report: dict, limit_per_check: int = 50) -> list[str]:
    """The report for a terminal: every difference up to `limit_per_check` per kind (--json: all)."""
    c = report["compared"]
    lines = [
        f"source {report['source']}",
        f"target {report['target']}",
        f"compared {c['tables']} tables, {c['rows']} hashed rows, vectors {c['vectors']}, {c['indexes']} indexes, "
        f"{c['functions']} functions, {c['sequences']} sequences; canary {report['question']!r}",
    ]
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for d in report["differences"]:
        difference = Difference(**d)
        if shown.get(difference.check, 0) < limit_per_check:
            shown[difference.check] = shown.get(difference.check, 0) + 1
            lines.append("  " + difference.line())
        else:
            hidden[difference.check] = hidden.get(difference.check, 0) + 1
    for check, n in hidden.items():
        lines.append(f"  ... and {n} more {check} differences (--json lists every one)")
    n = len(report["differences"])
    lines.append(
        "verified: the target holds everything the source holds and its search works" if not n else f"{n} differences"
    )
    return lines
