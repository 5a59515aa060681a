"""Moving a 5,000-product database: `tileshop db dump` + `db restore` + `transfer verify` vs a raw
`pg_dump -Fc` + `pg_restore` of the same database, measured in the same run with the same binaries.

The database is the sample catalog loaded through the pipeline's own functions
(bench/sample_index.load_catalog: rendered pages -> extract_product -> products and history ->
chunks -> embeddings -> product_vectors with its HNSW and full-text indexes). Its vectors are not
the model's: each chunk gets a unit vector drawn from a generator seeded by the sha256 of its text
(deterministic, 384 float32 like MiniLM's, as incompressible as real ones), because dump and restore
move bytes and rebuild indexes whatever the values mean, and embedding ~20,000 chunks with the
model costs ~4 minutes of CPU here. The canary question of verify is embedded by the real model,
loaded before the timing (its load is reported apart).

What ours does beyond raw: the restore is one transaction and runs ANALYZE; verify reads both
databases whole (counts, a hash of every keyed row, vectors, indexes, functions, sequences) and
asks the search functions and the canary on both sides.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

DIMENSION = 384


def text_seeded_vectors(texts: list[str]) -> np.ndarray:
    """One unit vector per text, the same for the same text."""
    out = np.empty((len(texts), DIMENSION), dtype=np.float32)
    for i, text in enumerate(texts):
        seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
        vector = np.random.default_rng(seed).standard_normal(DIMENSION).astype(np.float32)
        out[i] = vector / np.linalg.norm(vector)
    return out


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def bench_transfer(products: int, repeats: int) -> dict:
    from bench.sample_index import load_catalog
    from tileshop_pipelines.assistant.retrieval import embed_question
    from tileshop_pipelines.sample_catalog import build_catalog
    from tileshop_pipelines.store import db, server
    from tileshop_pipelines.transfer import dumps
    from tileshop_pipelines.transfer.verify import CANARY_QUESTION, verify

    admin = db.database_url()
    source = server.create_scratch_database(admin, "tileshop_bench_transfer")
    created = [source]
    try:
        with db.connect(source) as conn:
            load_s, counts = _timed(
                lambda: load_catalog(conn, build_catalog(n_products=products, seed=7), embed=text_seeded_vectors)
            )
        model_load_s, query = _timed(lambda: embed_question(CANARY_QUESTION))
        with server.open_database(source) as conn:
            major = server.server_major_version(conn)
            size = db.one(conn.execute("SELECT pg_database_size(current_database())"))[0]
        pg_dump, pg_restore = dumps.find_tool("pg_dump", major), dumps.find_tool("pg_restore", major)
        dsn, _ = server.without_password(source)
        best: dict[str, dict] = {}
        with tempfile.TemporaryDirectory(prefix="tileshop-bench-") as folder:
            for round_ in range(repeats):
                ours_file, raw_file = Path(folder) / f"ours{round_}.dump", Path(folder) / f"raw{round_}.dump"
                ours_target = server.create_scratch_database(admin, "tileshop_bench_transfer")
                raw_target = server.create_scratch_database(admin, "tileshop_bench_transfer")
                created += [ours_target, raw_target]

                def raw_move(raw_file=raw_file, raw_target=raw_target):  # this round's
                    times = {
                        "raw_dump": _timed(
                            lambda: subprocess.run(
                                [str(pg_dump), "--format=custom", f"--file={raw_file}", f"--dbname={dsn}"], check=True
                            )
                        )[0]
                    }
                    times["raw_restore"] = _timed(
                        lambda: subprocess.run(
                            [str(pg_restore), f"--dbname={server.without_password(raw_target)[0]}", str(raw_file)],
                            check=True,
                        )
                    )[0]
                    return times

                def our_move(ours_file=ours_file, ours_target=ours_target):
                    times = {
                        "dump": _timed(lambda: dumps.dump(source, ours_file))[0],
                        "restore": _timed(lambda: dumps.restore(ours_file, ours_target))[0],
                    }
                    times["verify"], report = _timed(lambda: verify(source, ours_target, embed=lambda _q: query))
                    assert report["ok"], report["differences"][:10]
                    return times

                t = {}
                for move in (raw_move, our_move) if round_ % 2 == 0 else (our_move, raw_move):
                    t.update(move())  # alternating which goes first: the first one warms the page cache
                raw_dump_s, raw_restore_s = t["raw_dump"], t["raw_restore"]
                dump_s, restore_s, verify_s = t["dump"], t["restore"], t["verify"]
                rounds = {
                    "raw": {
                        "pg_dump_s": raw_dump_s,
                        "pg_restore_s": raw_restore_s,
                        "total_s": raw_dump_s + raw_restore_s,
                    },
                    "ours": {
                        "dump_s": dump_s,
                        "restore_s": restore_s,
                        "verify_s": verify_s,
                        "total_s": dump_s + restore_s + verify_s,
                    },
                }
                for name, row in rounds.items():
                    if name not in best or row["total_s"] < best[name]["total_s"]:
                        best[name] = {k: round(v, 3) for k, v in row.items()}
                best.setdefault("dump_bytes", {"raw": raw_file.stat().st_size, "ours": ours_file.stat().st_size})
                for target in (ours_target, raw_target):
                    server.drop_database(admin, target)
                    created.remove(target)
        ours, raw = best["ours"], best["raw"]
        return {
            "products": products,
            "repeats": repeats,
            "counts": counts,
            "database_bytes": size,
            "vectors": "sha256(text)-seeded unit vectors, 384 float32 (see bench/transfer.py)",
            "load_s": round(load_s, 1),
            "canary_model_load_s": round(model_load_s, 2),
            "tools": {"pg_dump": str(pg_dump), "pg_restore": str(pg_restore), "server_major": major},
            "runs": best,
            "ratios": {
                "wall_dump_restore_verify_vs_raw_dump_restore": round(ours["total_s"] / raw["total_s"], 3),
                "wall_dump_restore_vs_raw_dump_restore": round(
                    (ours["dump_s"] + ours["restore_s"]) / raw["total_s"], 3
                ),
            },
        }
    finally:
        for url in created:
            server.drop_database(admin, url)
