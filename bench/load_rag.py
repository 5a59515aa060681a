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

The load generator is app_load.py; what the operations writes cost, monitoring_overhead.py (over
the same index).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from urllib.parse import urlsplit, urlunsplit

from bench.app_load import app_counters, open_loop, saturation, start_app, summarize_ms
from tileshop_pipelines import bootstrap

SATURATION_START_RATE = 5.0  # requests/s; raised by half each step

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
        for question, e in zip(questions[:samples], embeddings, strict=True):
            t = time.perf_counter()
            hybrid_search(conn, question, e, match_count=chunks_wanted)
            hybrid_ms.append(1000 * (time.perf_counter() - t))
        filters = ProductFilters(max_price=120, price_basis="box", material="Porcelain")
        for question, e in zip(questions[:samples], embeddings, strict=True):
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
