"""Open-loop load on the app (rag_app) over a 5,000-product sample index.

- The index: the sample catalog loaded through the pipeline's store functions and embedder
  (bench/sample_index.py) into its own database, kept between runs (a marker file in
  .tileshop/bench/ names it); built once, in several minutes on two cores.
- The app runs in its own process (`python -m rag_app`), offline answer mode, rate limits raised.
- Open loop: simulated users each send a question after an exponential pause (mean 2 s), whether
  or not earlier answers came back, so a slow server meets the same arrival rate (no coordinated
  omission). Questions come from a pool of distinct shopper questions built from the catalog.
- Baselines in the same run: one question's raw embedding (`model.encode`, one thread, and the
  ONNX encoder the app uses by default) and the raw search SQL on the same database (the plain
  vector search, the hybrid search SQL function the app calls for unfiltered questions, and the
  filtered search it issues otherwise), so the app's own overhead shows.
- From the first second: the chat load starts as soon as the app serves (no warm-up load), and
  the answers to requests sent in its first 10 s are also summarized on their own; the ratios
  are to the raw parts (ONNX encoding + hybrid search SQL) measured in the same run.
- Saturation: the arrival rate is raised step by step until p95 passes 500 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit, urlunsplit

from tileshop_pipelines import bootstrap
from tileshop_pipelines.processes import wait_until_serving

SATURATION_START_RATE = 5.0  # requests/s; raised by half each step
FIRST_WINDOW_S = 10.0  # the seconds right after the app starts serving, reported on their own

QUESTION_TEMPLATES = (
    "{color} {material} tile for a {application}",
    "{finish} {color} tile under ${price} per box",
    "{material} {application} tile under ${sqft} per sq ft",
    "do you have {name}?",
    "what does SKU {sku} cost?",
    "{color} tile {size}",
    "grout for {color} {material} tile",
    "{name} price",
)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarize_ms(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "p99_ms": round(percentile(values, 99), 2),
        "mean_ms": round(statistics.fmean(values), 2) if values else None,
    }


# --- the index ------------------------------------------------------------------------------
def bench_database_url(products: int, seed: int) -> str:
    """A database of its own on the project's server, holding the sample index; built if missing."""
    import psycopg

    from bench.sample_index import load_catalog
    from tileshop_pipelines.sample_catalog import build_catalog
    from tileshop_pipelines.store import db

    server = db.libpq_url(db.database_url())
    name = f"tileshop_bench_rag_{products}_s{seed}"
    split = urlsplit(server)
    url = urlunsplit((split.scheme, split.netloc, f"/{name}", split.query, split.fragment))
    marker = bootstrap.tileshop_home() / "bench" / f"{name}.json"
    with psycopg.connect(server, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and marker.exists():
            with db.connect(url) as conn:
                n = db.one(conn.execute("SELECT count(*) FROM products"))[0]
                v = db.one(conn.execute("SELECT count(*) FROM product_vectors"))[0]
            if n == products and v > 0:
                print(f"rag index: reusing database {name} ({n} products, {v} vectors)", flush=True)
                return url
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    print(f"rag index: building {products} products into database {name} (several minutes on 2 cores)", flush=True)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done == total or done % 2560 == 0:
            print(f"  embedded {done}/{total} chunks ({time.perf_counter() - started:.0f} s)", flush=True)

    with db.connect(url) as conn:
        counts = load_catalog(conn, build_catalog(n_products=products, seed=seed), progress=progress)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"database": name, **counts, "seconds": round(time.perf_counter() - started, 1)}))
    print(f"rag index: {counts} in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def question_pool(url: str, size: int, seed: int) -> tuple[list[str], list[dict]]:
    """Distinct shopper questions and search requests built from the catalog's own values."""
    from tileshop_pipelines.store import db

    with db.connect(url) as conn:
        rows = conn.execute(
            "SELECT sku, name, record->>'color', record->>'material', record->>'finish', record->>'size', "
            "record->'applications'->>0 FROM products ORDER BY product_key"
        ).fetchall()
    rng = random.Random(seed)
    questions: set[str] = set()
    searches: list[dict] = []
    for _ in range(20 * size):  # a small catalog has fewer distinct questions than `size`
        if len(questions) >= size:
            break
        sku, name, color, material, finish, size_text, application = rng.choice(rows)
        values = {
            "sku": sku or "",
            "name": name or "tile",
            "color": (color or "white").split(",")[0].lower(),
            "material": (material or "porcelain").lower(),
            "finish": (finish or "matte").lower(),
            "size": size_text or "12 x 24 in",
            "application": (application or "floor").lower(),
            "price": rng.choice((40, 60, 80, 120, 200)),
            "sqft": rng.choice((3, 5, 8, 12)),
        }
        template = rng.choice(QUESTION_TEMPLATES)
        if "{sku}" in template and not sku:
            continue
        questions.add(template.format(**values))
        if len(searches) < size:
            params = {"q": rng.choice((values["name"], f"{values['color']} {values['material']} tile")), "limit": 10}
            if rng.random() < 0.5:
                params["max_price"] = values["price"]
                params["price_basis"] = "box"
            searches.append(params)
    return sorted(questions), searches


# --- baselines ------------------------------------------------------------------------------
def raw_baselines(url: str, questions: list[str], samples: int) -> dict:
    import torch

    from tileshop_pipelines.assistant.retrieval import CHUNKS_PER_PRODUCT_WANTED
    from tileshop_pipelines.embedding.model import DEFAULT_MODEL, embed_texts, load_model
    from tileshop_pipelines.embedding.onnx_encoder import load_onnx_encoder
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.search import ProductFilters, hybrid_search, match_products, search_chunks

    model = load_model()
    torch.set_num_threads(1)  # as the app runs it
    embed_texts(model, questions[:8])
    embed_ms, embeddings = [], []
    for question in questions[:samples]:
        t = time.perf_counter()
        embeddings.append(embed_texts(model, [question])[0])
        embed_ms.append(1000 * (time.perf_counter() - t))
    batch = questions[:16]
    t = time.perf_counter()
    embed_texts(model, batch)
    batch_ms_per_question = 1000 * (time.perf_counter() - t) / len(batch)
    # The app's default encoder: the same model on ONNX Runtime (embedding.onnx_encoder).
    encoder = load_onnx_encoder(DEFAULT_MODEL, bootstrap.onnx_folder(), threads=1)
    onnx_ms = []
    for question in questions[:samples]:
        t = time.perf_counter()
        encoder.encode([question])
        onnx_ms.append(1000 * (time.perf_counter() - t))
    sql_ms, hybrid_ms, filtered_ms = [], [], []
    chunks_wanted = 5 * CHUNKS_PER_PRODUCT_WANTED  # as the app asks for a 5-product answer
    with db.connect(url) as conn:
        for e in embeddings[:10]:
            match_products(conn, e, 20)  # warm the index pages
        for e in embeddings:
            t = time.perf_counter()
            match_products(conn, e, 20)
            sql_ms.append(1000 * (time.perf_counter() - t))
        for question, e in zip(questions, embeddings, strict=True):
            t = time.perf_counter()
            hybrid_search(conn, question, e, match_count=chunks_wanted)
            hybrid_ms.append(1000 * (time.perf_counter() - t))
        filters = ProductFilters(max_price=120, price_basis="box", material="Porcelain")
        for question, e in zip(questions, embeddings, strict=True):
            t = time.perf_counter()
            search_chunks(conn, question, e, chunks_wanted, filters)
            filtered_ms.append(1000 * (time.perf_counter() - t))
    return {
        "query_embedding": summarize_ms(embed_ms),
        "query_embedding_batched16_ms_per_question": round(batch_ms_per_question, 2),
        "query_embedding_onnx": summarize_ms(onnx_ms),
        "vector_search_sql": summarize_ms(sql_ms),
        "hybrid_search_sql": summarize_ms(hybrid_ms),
        "filtered_vector_search_sql": summarize_ms(filtered_ms),
    }


# --- the app under load ---------------------------------------------------------------------
def start_app(
    url: str,
    port: int,
    max_in_flight: int | None = None,
    analytics: bool = True,
    log_to: str | None = None,
    metrics_port: int = 0,
) -> subprocess.Popen:
    """The app as deployed, but for rate limits (every simulated user shares one address) and,
    when given, the admission limit (a very high one measures the app without shedding);
    `analytics` False: no monitoring rollups or search analytics written (TILESHOP_ANALYTICS=off);
    `log_to`: a file for its log lines as the image writes them (LOG_FORMAT=json at INFO: one access
    line per request), else warnings only; `metrics_port`: its /metrics listener's (0: none)."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TILESHOP_RATE_LIMIT_PER_MINUTE": "1000000",
        "TILESHOP_RATE_LIMIT_BURST": "1000000",
        "ANTHROPIC_API_KEY": "",
        "TILESHOP_ANALYTICS": "on" if analytics else "off",
        "LOG_FORMAT": "json",
        "METRICS_PORT": str(metrics_port),
    }
    if max_in_flight is not None:
        env["TILESHOP_MAX_IN_FLIGHT_SEARCHES"] = str(max_in_flight)
    stderr = open(log_to, "ab") if log_to else None
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag_app", "--port", str(port), "--log-level", "info" if log_to else "warning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    finally:
        if stderr is not None:
            stderr.close()
    return wait_until_serving(proc, f"http://127.0.0.1:{port}/api/system/health", "the app", 120)


async def open_loop(
    base: str, endpoint: str, payloads: list, rate: float, duration_s: float, users: int, seed: int
) -> dict:
    """`users` simulated users with exponential think times (mean users/rate s) for `duration_s`.

    The client is aiohttp: it shares the two cores with the app, and costs a fraction of httpx's
    CPU per request, so less of the measurement is the load generator itself."""
    import aiohttp

    rng = random.Random(seed)
    latencies: list[float] = []
    first_window: list[float] = []  # answers to requests sent in the first FIRST_WINDOW_S
    errors: dict[str, int] = {}
    pending: set[asyncio.Task] = set()
    mean_pause = users / rate
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(
        base_url=base, timeout=timeout, connector=aiohttp.TCPConnector(limit=1000)
    ) as client:

        async def one(payload) -> None:
            t = time.perf_counter()
            try:
                if endpoint == "/api/chat":
                    request = client.post(endpoint, json={"query": payload})
                else:
                    request = client.get(endpoint, params={k: str(v) for k, v in payload.items()})
                async with request as response:
                    await response.read()
                    if response.status != 200:
                        errors[str(response.status)] = errors.get(str(response.status), 0) + 1
                        return
            except (TimeoutError, aiohttp.ClientError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                return
            latencies.append(1000 * (time.perf_counter() - t))
            if t - started < FIRST_WINDOW_S:
                first_window.append(latencies[-1])

        async def user(index: int) -> None:
            end = started + duration_s
            await asyncio.sleep(rng.uniform(0, mean_pause))
            while time.perf_counter() < end:
                task = asyncio.create_task(one(rng.choice(payloads)))
                pending.add(task)
                task.add_done_callback(pending.discard)
                await asyncio.sleep(rng.expovariate(1 / mean_pause))

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(users)))  # every send falls inside duration_s
        if pending:
            await asyncio.gather(*pending)
    sent = len(latencies) + sum(errors.values())
    return {
        "endpoint": endpoint,
        "target_rate": rate,
        "users": users,
        "duration_s": duration_s,
        "sent": sent,
        "achieved_rate": round(sent / duration_s, 1),
        "ok": len(latencies),
        "errors": errors,
        "error_rate": round(sum(errors.values()) / sent, 4) if sent else None,
        **summarize_ms(latencies),
        "first_10s": summarize_ms(first_window),
    }


def app_counters(metrics_url: str) -> dict:
    text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
    wanted = (
        "tileshop_query_embedding_duration_seconds_sum",
        "tileshop_query_embedding_duration_seconds_count",
        "tileshop_retrieval_duration_seconds_sum",
        "tileshop_retrieval_duration_seconds_count",
    )
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line.split(" ")[0] in wanted}


def saturation(base: str, endpoint: str, payloads: list, start_rate: float, step_s: float, seed: int) -> dict:
    """Raise the arrival rate by half each step until p95 passes 500 ms (or errors pass 1%)."""
    steps = []
    rate = start_rate
    while rate <= 2000:
        row = asyncio.run(open_loop(base, endpoint, payloads, rate, step_s, users=max(50, int(rate * 2)), seed=seed))
        steps.append({k: row[k] for k in ("target_rate", "achieved_rate", "p50_ms", "p95_ms", "error_rate", "errors")})
        print(f"  {endpoint} at {rate:.0f}/s: p95 {row['p95_ms']} ms, errors {row['error_rate']}", flush=True)
        if row["p95_ms"] > 500 or (row["error_rate"] or 0) > 0.01:
            return {
                "saturation_rate": rate,
                "last_good_rate": steps[-2]["target_rate"] if len(steps) > 1 else None,
                "steps": steps,
            }
        rate *= 1.5
    return {"saturation_rate": None, "steps": steps}


def bench_rag_load(
    products: int,
    duration_s: float,
    rate: float,
    users: int,
    saturation_step_s: float,
    max_in_flight: int | None = None,
    seed: int = 7,
) -> dict:
    from bench.harness import free_port

    url = bench_database_url(products, seed)
    questions, searches = question_pool(url, 3000, seed)
    baselines = raw_baselines(url, questions, samples=200)
    print("raw baselines:", json.dumps(baselines), flush=True)
    port, metrics_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    scrape = f"http://127.0.0.1:{metrics_port}/metrics"
    proc = start_app(url, port, max_in_flight, metrics_port=metrics_port)
    try:
        # No warm-up load: the first seconds after the start are part of the figure (what the app
        # warms in its lifespan is all the warming there is).
        before = app_counters(scrape)
        chat = asyncio.run(open_loop(base, "/api/chat", questions, rate, duration_s, users, seed))
        after = app_counters(scrape)
        print("chat load:", json.dumps(chat), flush=True)
        search = asyncio.run(open_loop(base, "/api/products/search", searches, rate, duration_s, users, seed))
        print("search load:", json.dumps(search), flush=True)
        inside = {
            "query_embedding_mean_ms": round(
                1000
                * (
                    after["tileshop_query_embedding_duration_seconds_sum"]
                    - before["tileshop_query_embedding_duration_seconds_sum"]
                )
                / max(
                    1,
                    after["tileshop_query_embedding_duration_seconds_count"]
                    - before["tileshop_query_embedding_duration_seconds_count"],
                ),
                2,
            ),
            "retrieval_mean_ms": round(
                1000
                * (after["tileshop_retrieval_duration_seconds_sum"] - before["tileshop_retrieval_duration_seconds_sum"])
                / max(
                    1,
                    after["tileshop_retrieval_duration_seconds_count"]
                    - before["tileshop_retrieval_duration_seconds_count"],
                ),
                2,
            ),
        }
        print("saturation:", flush=True)
        chat_saturation = saturation(base, "/api/chat", questions, SATURATION_START_RATE, saturation_step_s, seed + 2)
        search_saturation = saturation(
            base, "/api/products/search", searches, SATURATION_START_RATE, saturation_step_s, seed + 3
        )
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # the raw parts of one question as the app runs them: ONNX encoding + the hybrid search SQL
    raw_pipeline_ms = baselines["query_embedding_onnx"]["p50_ms"] + baselines["hybrid_search_sql"]["p50_ms"]
    raw_p95_ms = baselines["query_embedding_onnx"]["p95_ms"] + baselines["hybrid_search_sql"]["p95_ms"]
    return {
        "products": products,
        "questions": len(questions),
        "max_in_flight_searches": max_in_flight or "default",
        "baselines": baselines,
        "chat": chat,
        "search": search,
        "inside_app_during_chat_load": inside,
        "saturation": {"chat": chat_saturation, "search": search_saturation},
        "targets": {
            "error_rate_below": 0.01,
            "p95_ms_at_most": 150,
            "chat_p50_vs_raw_p50_at_most": 1.5,
            "chat_p95_vs_raw_p50_at_most": 3.0,
        },
        "passed": {
            name: (row["error_rate"] or 0) < 0.01 and row["p95_ms"] <= 150
            for name, row in (("chat", chat), ("search", search))
        },
        "ratios": {
            "chat_p50_vs_raw_embedding_plus_hybrid_sql_p50": round(chat["p50_ms"] / raw_pipeline_ms, 2),
            "chat_p95_vs_raw_embedding_plus_hybrid_sql_p50": round(chat["p95_ms"] / raw_pipeline_ms, 2),
            "chat_p95_vs_raw_embedding_plus_hybrid_sql_p95": round(chat["p95_ms"] / raw_p95_ms, 2),
            "chat_first_10s_p50_vs_raw_p50": round(chat["first_10s"]["p50_ms"] / raw_pipeline_ms, 2),
            "chat_first_10s_p95_vs_raw_p50": round(chat["first_10s"]["p95_ms"] / raw_pipeline_ms, 2),
            "search_p50_vs_raw_embedding_plus_hybrid_sql_p50": round(search["p50_ms"] / raw_pipeline_ms, 2),
        },
    }


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
