"""What the operations writes cost a chat answer (`python -m bench --only monitoring`): the
monitoring rollups, search analytics and JSON log lines at INFO, on and off, in fresh app processes
alternating over rounds, and paired in one process, over load_rag.py's sample index.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time

from bench.app_load import open_loop, percentile, start_app, summarize_ms
from bench.load_rag import bench_database_url, question_pool


def bench_monitoring_overhead(
    products: int, rate: float, duration_s: float, users: int, rounds: int = 2, seed: int = 7
) -> dict:
    """Chat p50/p95 at `rate` with the operations writes (monitoring rollups, search analytics, and
    JSON log lines at INFO, one access line per request, to a file) and without (TILESHOP_ANALYTICS
    off, warnings only), in the same run: a fresh app process per measurement, on and off
    alternating over `rounds`, so drift on a shared machine falls on both alike."""
    import tempfile

    from bench.harness import free_port

    log_dir = tempfile.mkdtemp(prefix="bench-app-logs-")

    url = bench_database_url(products, seed)
    questions, _ = question_pool(url, 3000, seed)
    runs = []
    for round_ in range(rounds):
        for analytics in (True, False) if round_ % 2 == 0 else (False, True):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc = start_app(
                url, port, analytics=analytics, log_to=os.path.join(log_dir, f"app-{round_}.log") if analytics else None
            )
            try:
                asyncio.run(open_loop(base, "/api/chat", questions, rate=10, duration_s=5, users=10, seed=seed + 1))
                row = asyncio.run(open_loop(base, "/api/chat", questions, rate, duration_s, users, seed + round_))
            finally:
                proc.terminate()
                proc.wait(timeout=20)
            runs.append(
                {
                    "analytics": analytics,
                    **{k: row[k] for k in ("achieved_rate", "ok", "error_rate", "p50_ms", "p95_ms", "p99_ms")},
                }
            )
            print(
                f"  writes (analytics + INFO logs) {'on ' if analytics else 'off'}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, "
                f"errors {row['error_rate']}",
                flush=True,
            )

    log_lines = 0
    for name in os.listdir(log_dir):
        with open(os.path.join(log_dir, name), "rb") as f:
            log_lines += sum(1 for _ in f)
        os.remove(os.path.join(log_dir, name))
    os.rmdir(log_dir)
    print(f"  log lines written by the 'on' runs: {log_lines}", flush=True)
    paired = paired_monitoring_cost(url, questions, pairs=1000, seed=seed)
    print(f"  paired in one process: {paired}", flush=True)

    def median(analytics: bool, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["analytics"] is analytics)

    summary = {
        mode: {"p50_ms": median(on, "p50_ms"), "p95_ms": median(on, "p95_ms")}
        for mode, on in (("analytics_on", True), ("analytics_off", False))
    }
    return {
        "products": products,
        "rate": rate,
        "duration_s": duration_s,
        "users": users,
        "rounds": rounds,
        "runs": runs,
        **summary,
        "log_lines_on": log_lines,
        "paired_in_process": paired,
        "ratios": {
            "p50_on_vs_off": round(summary["analytics_on"]["p50_ms"] / summary["analytics_off"]["p50_ms"], 3),
            "p95_on_vs_off": round(summary["analytics_on"]["p95_ms"] / summary["analytics_off"]["p95_ms"], 3),
        },
        "added_ms": {
            "p50": round(summary["analytics_on"]["p50_ms"] - summary["analytics_off"]["p50_ms"], 2),
            "p95": round(summary["analytics_on"]["p95_ms"] - summary["analytics_off"]["p95_ms"], 2),
        },
    }


def paired_monitoring_cost(url: str, questions: list[str], pairs: int, seed: int) -> dict:
    """The same question to an app with the writes and to one without, in one process, one after
    the other in random order, `pairs` times: the per-request difference with the machine's drift
    (other processes on the two cores) shared by both sides of each pair."""
    from fastapi.testclient import TestClient

    from rag_app.config import load_settings
    from rag_app.main import create_app

    limits = {"rate_limit_per_minute": 1_000_000, "rate_limit_burst": 1_000_000}
    apps = {on: create_app(load_settings({}, **limits, analytics=on), database_url=url) for on in (True, False)}
    rng = random.Random(seed)
    latencies: dict[bool, list[float]] = {True: [], False: []}
    with TestClient(apps[True]) as with_writes, TestClient(apps[False]) as without:
        clients = {True: with_writes, False: without}
        for question in questions[:100]:  # warm both
            for client in clients.values():
                client.post("/api/chat", json={"query": question})
        for question in questions[100 : 100 + pairs]:
            order = [True, False]
            rng.shuffle(order)
            for on in order:
                t = time.perf_counter()
                clients[on].post("/api/chat", json={"query": question}).raise_for_status()
                latencies[on].append(1000 * (time.perf_counter() - t))
    differences = [a - b for a, b in zip(latencies[True], latencies[False], strict=True)]
    return {
        "pairs": len(differences),
        "on": summarize_ms(latencies[True]),
        "off": summarize_ms(latencies[False]),
        "paired_difference_median_ms": round(percentile(differences, 50), 3),
        "paired_difference_mean_ms": round(statistics.fmean(differences), 3),
    }
