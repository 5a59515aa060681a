"""The catalog export (`tileshop export`): wall time and peak RSS at 5,000 and 50,000 products, CSV
and Parquet, each in a process of its own (os.wait4's rusage: that process's peak alone), against
two baselines in the same run: the interpreter with the export's imports only (the floor), and the
whole table read into one DataFrame and written at once (pandas.read_sql: what the chunked export
avoids). The catalog is the sample catalog's pages parsed and stored as records
(bench.sample_index.load_records), in a database of its own on the embedded server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.sample_index import load_records
from tileshop_pipelines.sample_catalog import build_catalog
from tileshop_pipelines.store import db

ROOT = Path(__file__).resolve().parents[1]
IMPORTS_ONLY = "import pyarrow.parquet, psycopg; import tileshop_pipelines.catalog.export"
ALL_AT_ONCE = """
import sys, orjson, pandas as pd, psycopg
from tileshop_pipelines.store import db
with db.connect(sys.argv[1]) as conn:
    rows = conn.execute("SELECT product_key, version, parsed_at, gone_at, record FROM products ORDER BY product_key").fetchall()
frame = pd.DataFrame([{"product_key": k, "version": v, "parsed_at": p, "gone_at": g,
                       **{f: (orjson.dumps(x).decode() if isinstance(x, (list, dict)) else x) for f, x in r.items()}}
                      for k, v, p, g, r in rows])
frame.to_parquet(sys.argv[2]) if sys.argv[2].endswith(".parquet") else frame.to_csv(sys.argv[2], index=False)
"""


# The child's own peak RSS: VmHWM of its address space, read as it exits. Not its rusage: Linux
# carries the forking parent's peak over into the child's ru_maxrss (this process holds the whole
# catalog it loaded, so every child would "peak" at the parent's size).
MEASURED = """
import atexit, runpy, sys
out, mode, target = sys.argv[1:4]
def peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(out, "w") as f:
        f.write(kb)
atexit.register(peak)
sys.argv = [target, *sys.argv[4:]]
if mode == "module":
    runpy.run_module(target, run_name="__main__")
else:
    exec(compile(target, "<bench>", "exec"), {"__name__": "__main__"})
"""


def _measure(mode: str, target: str, args: list[str], env: dict, exit_code: int = 0) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".hwm") as hwm:
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", MEASURED, hwm.name, mode, target, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wall = time.perf_counter() - started
        if proc.returncode != exit_code:
            raise RuntimeError(f"{target[:60]} {args[:3]} failed: {proc.stderr.decode()[-2000:]}")
        return {"wall_s": round(wall, 2), "peak_rss_mb": round(int(hwm.read()) / 1024, 1)}


def _database(server: str) -> str:
    name = f"tileshop_bench_export_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(db.libpq_url(server), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(db.libpq_url(server))
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _drop(server: str, url: str) -> None:
    with psycopg.connect(db.libpq_url(server), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


def bench_export(sizes: tuple[int, ...] = (5000, 50_000)) -> dict:
    server = db.database_url()
    results = {}
    for n in sizes:
        url = _database(server)
        try:
            started = time.perf_counter()
            with db.connect(url) as conn:
                load_records(conn, build_catalog(n_products=n, seed=1))
                stored = db.one(conn.execute("SELECT count(*) FROM products"))[0]
            load_s = time.perf_counter() - started
            env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
            row = {
                "products": stored,
                "load_s": round(load_s, 1),
                "imports_only": _measure("code", IMPORTS_ONLY, [], env),
                # the `tileshop` command's own start (settings, logging), refused before any export
                "cli_start_only": _measure(
                    "module", "tileshop_pipelines.cli", ["export", "--format", "none"], env, exit_code=2
                ),
            }
            with tempfile.TemporaryDirectory() as tmp:
                for fmt in ("csv", "parquet"):
                    out = Path(tmp) / f"export.{fmt}"
                    row[f"export_{fmt}"] = {
                        **_measure(
                            "module", "tileshop_pipelines.cli", ["export", "--format", fmt, "--output", str(out)], env
                        ),
                        "bytes": out.stat().st_size,
                    }
                    whole = Path(tmp) / f"whole.{fmt}"
                    row[f"all_at_once_{fmt}"] = _measure("code", ALL_AT_ONCE, [url, str(whole)], env)
            results[str(n)] = row
            print(f"export at {n}: {row}", flush=True)
        finally:
            _drop(server, url)
    ratios = {
        f"{fmt}_rss_vs_all_at_once_at_{n}": round(
            r[f"export_{fmt}"]["peak_rss_mb"] / r[f"all_at_once_{fmt}"]["peak_rss_mb"], 2
        )
        for n, r in results.items()
        for fmt in ("csv", "parquet")
    }
    if len(results) > 1:
        small, large = results[min(results, key=int)], results[max(results, key=int)]
        ratios.update(
            {
                f"{fmt}_rss_largest_vs_smallest": round(
                    large[f"export_{fmt}"]["peak_rss_mb"] / small[f"export_{fmt}"]["peak_rss_mb"], 2
                )
                for fmt in ("csv", "parquet")
            }
        )
    return {"runs": results, "ratios": ratios}
