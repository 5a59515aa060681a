"""`make bench`: the pipeline's hot paths against baselines measured in the same run.

1. fetch+parse(+store): the pipeline's crawl (PageFetcher over crawl4ai's HTTP strategy, politeness
   off) + extract_product, and the same plus storing pages, records and history in Postgres
   (acquisition.refresh), over every product page of a local sample catalog; vs crawl4ai's bare
   `AsyncHTTPCrawlerStrategy.crawl()` + selectolax JSON-LD extraction, and httpx + selectolax (same
   pages, same concurrency). CPU is this process's; Postgres' own CPU is not in it.
2. politeness: a crawl at a fixed requests/second; wall time vs N / rate.
3. incremental: after the full crawl, 1% of the products change; a refresh with conditional
   requests re-parses, re-versions and re-embeds exactly those; wall time vs the full run's.
4. embedding: the embedding asset's work on product chunk texts vs raw `model.encode` on the same texts;
   backends: the whole catalog's chunks (20,000) embedded by torch and by ONNX Runtime, same texts,
   cosine >= 0.9999 or ONNX is refused.
5. vectors (bench/vectors.py): the vector load vs a raw binary COPY of the same rows; HNSW top-10
   p95 latency and recall@10 against exact search on real MiniLM chunk embeddings, over a curve of
   ef_search values, and the filtered HNSW path at pgvector's default and the app's ef_search.
6. rag: open-loop load on the app over a 5,000-product index (bench/load_rag.py), beside the raw
   query embedding and search SQL latency measured in the same run; saturation point.
7. migration (bench/migration.py): `tileshop db dump` + `db restore` + `transfer verify` of a
   5,000-product database with vectors vs raw pg_dump + pg_restore of the same database.
8. monitoring: chat p50/p95 at --rag-rate with the operations writes (monitoring rollups, search
   analytics, JSON log lines at INFO to a file) and without (TILESHOP_ANALYTICS=off, warnings only),
   alternating fresh app processes in the same run.
9. production (bench/production.py): a full and a no-change catalog refresh through dagster-daemon
   and sensor-launched runs, vs N/rate and vs the same pages crawled in one step; run launch time,
   the handover between crawl runs, events per run and the cost per partition event.
10. cold_start (bench/cold_start.py): `python -m rag_app` from process start to the first answered
   /api/chat, ONNX export cached, vs a bare interpreter and the framework's imports.
Peak RSS of the crawl stages is reported before the model is loaded.

Results go to bench/results/<name>.json; the ratios are printed. Run: python -m bench [--only fetch|embedding|backends|vectors|rag|migration|monitoring|production|cold_start] [--products N] [--rag-products N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).with_name("results")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_catalog(products: int) -> tuple[subprocess.Popen, str]:
    from tileshop_pipelines.processes import start_catalog_process

    port = free_port()
    return start_catalog_process(port, products, seed=7), f"http://127.0.0.1:{port}"


def product_urls(base: str) -> list[str]:
    from tileshop_pipelines.catalog.urls import classify_url
    from tileshop_pipelines.crawl.sitemaps import collect_sitemap_entries

    urls = {}
    for entry in collect_sitemap_entries(f"{base}/sitemap.xml", user_agent="bench"):
        info = classify_url(entry.loc)
        if info.kind == "product":
            urls[info.product_key] = info.url
    return sorted(urls.values())


class Meter:
    """Wall time and this process's CPU time (user + system) of a block."""

    def __enter__(self):
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def jsonld_products(html: str) -> list[dict]:
    """Baseline extraction: the Product objects of a page's JSON-LD, via selectolax."""
    from selectolax.lexbor import LexborHTMLParser

    found = []
    for node in LexborHTMLParser(html).css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text())
        except ValueError:
            continue
        for item in data if isinstance(data, list) else data.get("@graph", [data]):
            if isinstance(item, dict) and item.get("@type") == "Product":
                found.append(item)
    return found


def pipeline_crawler(concurrency: int, requests_per_second: float = 0):
    from tileshop_pipelines.defs.resources import CrawlerResource

    return CrawlerResource(requests_per_second=requests_per_second, concurrency=concurrency).crawler()


async def pipeline_fetch_parse(urls: list[str], concurrency: int) -> int:
    from tileshop_pipelines.catalog.extract import NotAProductPage, extract_product
    from tileshop_pipelines.crawl.checks import Outcome
    from tileshop_pipelines.crawl.fetcher import PageRequest

    parsed = 0
    async for check in pipeline_crawler(concurrency).crawl([PageRequest(u) for u in urls]):
        if check.outcome is Outcome.OK:
            try:
                extract_product(check.html, check.url)
                parsed += 1
            except NotAProductPage:
                pass
    return parsed


class BenchDatabase:
    """A fresh database on the project's Postgres (embedded unless DATABASE_URL), dropped at the end."""

    def __enter__(self):
        import uuid

        import psycopg

        from tileshop_pipelines.store import db
        from tileshop_pipelines.store.migrations import migrate

        self.server = db.libpq_url(db.database_url())
        self.name = f"tileshop_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.server, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        parts = self.server.split("?", 1)
        base = parts[0].rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}" + (f"?{parts[1]}" if len(parts) > 1 else "")
        self.conn = db.connect(self.url)
        migrate(self.conn)
        return self

    def __exit__(self, *exc):
        import psycopg

        self.conn.close()
        with psycopg.connect(self.server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def list_sitemap(self, urls: list[str]) -> list[str]:
        from tileshop_pipelines.catalog.urls import classify_url
        from tileshop_pipelines.store.acquisition import ListedUrl, record_sitemap

        listed = [ListedUrl(i.url, i.kind, i.product_key, i.sku, None) for i in map(classify_url, urls)]
        record_sitemap(self.conn, listed)
        return [u.product_key for u in listed]

    def reset_pages(self) -> None:
        self.conn.execute("TRUNCATE product_pages, products, product_history, product_chunks, product_embeddings")


def pipeline_refresh(bench_db: BenchDatabase, keys: list[str], concurrency: int, requests_per_second: float = 0):
    from tileshop_pipelines.acquisition.refresh import refresh_products

    return asyncio.run(refresh_products(bench_db.conn, pipeline_crawler(concurrency, requests_per_second), keys,
                                        skip_checked_in_cycle=False))


async def httpx_baseline(urls: list[str], concurrency: int) -> int:
    import httpx

    parsed = 0
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        async def one(url: str) -> None:
            nonlocal parsed
            async with sem:
                response = await client.get(url)
            if response.status_code == 200 and jsonld_products(response.text):
                parsed += 1

        await asyncio.gather(*(one(u) for u in urls))
    return parsed


async def crawl4ai_strategy_baseline(urls: list[str], concurrency: int) -> int:
    from crawl4ai.async_configs import CrawlerRunConfig
    from crawl4ai.async_crawler_strategy import AsyncHTTPCrawlerStrategy

    parsed = 0
    sem = asyncio.Semaphore(concurrency)
    config = CrawlerRunConfig()
    async with AsyncHTTPCrawlerStrategy(max_connections=concurrency) as strategy:
        async def one(url: str) -> None:
            nonlocal parsed
            async with sem:
                response = await strategy.crawl(url, config)
            if jsonld_products(response.html):
                parsed += 1

        await asyncio.gather(*(one(u) for u in urls))
    return parsed


def bench_fetch_parse(products: int, concurrency: int, repeats: int, politeness_products: int,
                      politeness_rate: float, embed_incremental: bool) -> dict:
    from tileshop_pipelines.acquisition.refresh import refresh_products

    proc, base = start_catalog(products)
    try:
        urls = product_urls(base)
        asyncio.run(httpx_baseline(urls[:200], concurrency))  # warm the server's page cache
        with BenchDatabase() as bench_db:
            keys = bench_db.list_sitemap(urls)

            async def fetch_parse_store(urls, concurrency):
                bench_db.reset_pages()
                report = await refresh_products(bench_db.conn, pipeline_crawler(concurrency), keys,
                                                skip_checked_in_cycle=False)
                return report.counts["new_versions"]

            runs = {"pipeline_fetch_parse": pipeline_fetch_parse, "pipeline_fetch_parse_store": fetch_parse_store,
                    "httpx_selectolax": httpx_baseline, "crawl4ai_strategy_selectolax": crawl4ai_strategy_baseline}
            for fn in runs.values():  # imports and first-use costs out of the measurement
                asyncio.run(fn(urls[:50], concurrency))
            best: dict[str, dict] = {}
            for _ in range(repeats):
                for name, fn in runs.items():
                    with Meter() as m:
                        parsed = asyncio.run(fn(urls, concurrency))
                    row = {"pages": len(urls), "parsed": parsed, "wall_s": round(m.wall, 3),
                           "cpu_s": round(m.cpu, 3), "pages_per_s": round(len(urls) / m.wall, 1),
                           "cpu_ms_per_page": round(1000 * m.cpu / len(urls), 3)}
                    if name not in best or row["cpu_s"] < best[name]["cpu_s"]:
                        best[name] = row
            crawl_peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            incremental = bench_incremental(bench_db, base, keys, concurrency, embed_incremental)
            politeness = bench_politeness(bench_db, keys[:politeness_products], politeness_rate)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    bare = best["crawl4ai_strategy_selectolax"]
    return {
        "products": products, "concurrency": concurrency, "repeats": repeats, "runs": best,
        "incremental": incremental, "politeness": politeness,
        "crawl_peak_rss_mb": round(crawl_peak_rss_mb),
        "ratios": {
            "cpu_per_page_fetch_parse_store_vs_crawl4ai_strategy":
                round(best["pipeline_fetch_parse_store"]["cpu_s"] / bare["cpu_s"], 3),
            "cpu_per_page_fetch_parse_vs_crawl4ai_strategy":
                round(best["pipeline_fetch_parse"]["cpu_s"] / bare["cpu_s"], 3),
            "cpu_per_page_fetch_parse_store_vs_httpx_selectolax":
                round(best["pipeline_fetch_parse_store"]["cpu_s"] / best["httpx_selectolax"]["cpu_s"], 3),
            "politeness_wall_vs_n_over_rate": politeness["wall_vs_n_over_rate"],
            "incremental_wall_vs_full": incremental["wall_vs_full"],
        },
    }


def bench_incremental(bench_db: BenchDatabase, base: str, keys: list[str], concurrency: int, embed: bool) -> dict:
    """Full crawl (+ index), change 1% of the products on the server, refresh again (+ index)."""
    import urllib.request

    from tileshop_pipelines.store import chunks as chunks_sql

    def index() -> dict:
        """What the product_chunks and product_embeddings assets do, through the same functions:
        chunk the products whose record changed, then embed the chunks whose text changed (with
        `embed`; otherwise the chunks that would be embedded are only counted)."""
        from tileshop_pipelines.defs.resources import EmbedderResource
        from tileshop_pipelines.embedding.pending import embed_pending_chunks
        from tileshop_pipelines.text.chunks import chunk_product, chunker_signature

        embedder = EmbedderResource()
        spans = embedder.word_piece_spans()

        def pending() -> set[tuple[str, str]]:
            return {(cid, th) for cid, _, th in chunks_sql.chunks_to_embed(bench_db.conn, embedder.model_id,
                                                                             embedder.dimension)}

        before = set() if embed else pending()  # unembedded chunks from earlier rounds are not new work
        chunks_sql.rechunk_changed_products(bench_db.conn, chunker_signature(embedder.model_name),
                                             lambda key, record: chunk_product(key, record, spans))
        new = pending() - before
        if embed:
            embed_pending_chunks(bench_db.conn, embedder.embed, embedder.model_id, embedder.dimension)
        return {"chunks_to_embed": len(new), "products_to_embed": {cid.rsplit(":", 2)[0] for cid, _ in new}}

    bench_db.reset_pages()
    with Meter() as full:
        full_report = pipeline_refresh(bench_db, keys, concurrency)
        full_index = index()
    changed_keys = set()
    step = 100  # 1%
    for key in keys[::step]:
        url = bench_db.conn.execute("SELECT url FROM sitemap_urls WHERE product_key = %s", (key,)).fetchone()[0]
        body = json.dumps({"path_or_sku": url, "name": f"Renamed {key[:20]}"}).encode()
        request = urllib.request.Request(f"{base}/__update", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).read()
        changed_keys.add(key)
    with Meter() as incremental:
        report = pipeline_refresh(bench_db, keys, concurrency)
        incremental_index = index()
    reparsed = {c.product_key for c in report.checks if c.changed}
    versioned = {c.product_key for c in report.checks if c.version is not None}
    result = {
        "products": len(keys), "changed_on_site": len(changed_keys),
        "full": {"wall_s": round(full.wall, 2), "counts": full_report.counts,
                 "chunks_to_embed": full_index["chunks_to_embed"]},
        "incremental": {"wall_s": round(incremental.wall, 2), "counts": report.counts,
                        "chunks_to_embed": incremental_index["chunks_to_embed"]},
        "reparsed_exactly_the_changed": reparsed == changed_keys,
        "reversioned_exactly_the_changed": versioned == changed_keys,
        "reembeds_exactly_the_changed": incremental_index["products_to_embed"] == changed_keys,
        "embedding_included_in_wall_time": embed,
        "wall_vs_full": round(incremental.wall / full.wall, 3),
    }
    return result


def bench_politeness(bench_db: BenchDatabase, keys: list[str], rate: float) -> dict:
    """A crawl at `rate` requests/s (concurrency 4): wall time vs N / rate."""
    bench_db.reset_pages()
    with Meter() as m:
        report = pipeline_refresh(bench_db, keys, concurrency=4, requests_per_second=rate)
    ideal = len(keys) / rate
    return {"pages": len(keys), "rate": rate, "wall_s": round(m.wall, 2), "n_over_rate_s": round(ideal, 2),
            "ok": report.counts["ok"], "wall_vs_n_over_rate": round(m.wall / ideal, 3)}


def bench_embedding(texts_wanted: int, repeats: int) -> dict:
    """The embedding asset's work (chunks_to_embed -> encode per 512 -> binary COPY) vs raw
    model.encode on the same texts, same batch size and threads."""
    from bench.corpus import chunk_texts
    from bench.vectors import scratch_database
    from tileshop_pipelines.defs.resources import EmbedderResource
    from tileshop_pipelines.embedding.model import embed_texts, load_model, set_torch_threads
    from tileshop_pipelines.embedding.pending import embed_pending_chunks
    from tileshop_pipelines.store import chunks as chunks_sql
    from tileshop_pipelines.text.chunks import Chunk

    rows = chunk_texts(texts_wanted)
    texts = [content for _, _, _, content in rows]
    embedder = EmbedderResource(torch_threads=2)
    set_torch_threads(embedder.torch_threads)
    model = load_model(embedder.model_name, embedder.device)
    embed_texts(model, texts[:64])  # warm-up
    best: dict[str, dict] = {}
    with scratch_database() as conn:
        chunks_sql.sync_chunks(conn, [Chunk(cid, key, kind, int(cid.rsplit(":", 1)[1]), content)
                                       for cid, key, kind, content in rows])
        for _ in range(repeats):
            conn.execute("TRUNCATE product_embeddings")
            with Meter() as raw:
                model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True)
            with Meter() as ours:
                done = embed_pending_chunks(conn, embedder.embed, embedder.model_id, embedder.dimension)
            assert done == len(texts), done
            for name, m in (("raw_model_encode", raw), ("embedding_asset", ours)):
                row = {"texts": len(texts), "wall_s": round(m.wall, 3), "texts_per_s": round(len(texts) / m.wall, 1)}
                if name not in best or row["wall_s"] < best[name]["wall_s"]:
                    best[name] = row
    avg_words = sum(len(t.split()) for t in texts) / len(texts)
    return {"texts": len(texts), "avg_words": round(avg_words, 1), "batch_size": embedder.batch_size,
            "torch_threads": embedder.torch_threads, "runs": best, "ratios": {
                "throughput_embedding_asset_vs_raw_encode":
                    round(best["embedding_asset"]["texts_per_s"] / best["raw_model_encode"]["texts_per_s"], 3)}}


def bench_embedding_backends(texts_wanted: int) -> dict:
    """Whole-catalog embedding through the embedding asset's encoder (EmbedderResource.embed, batch
    32, 2 threads): torch vs ONNX Runtime on the same chunk texts in the same run. ONNX is refused
    unless every vector's cosine to torch's is >= 0.9999."""
    from bench.corpus import chunk_texts
    from tileshop_pipelines.defs.resources import EmbedderResource
    from tileshop_pipelines.embedding.onnx_encoder import MIN_PROBE_COSINE

    texts = [content for _, _, _, content in chunk_texts(texts_wanted)]
    runs, vectors = {}, {}
    for backend in ("torch", "onnx"):
        embedder = EmbedderResource(backend=backend, torch_threads=2)
        embedder.embed(texts[:64])  # model load and first-batch costs out of the measurement
        with Meter() as m:
            vectors[backend] = embedder.embed(texts)
        runs[backend] = {"texts": len(texts), "wall_s": round(m.wall, 2), "texts_per_s": round(len(texts) / m.wall, 1)}
    cosine = (vectors["torch"] * vectors["onnx"]).sum(axis=1)
    return {"texts": len(texts), "runs": runs, "cosine_min": round(float(cosine.min()), 6),
            "cosine_mean": round(float(cosine.mean()), 6), "onnx_accepted": bool(cosine.min() >= MIN_PROBE_COSINE),
            "ratios": {"onnx_wall_vs_torch": round(runs["onnx"]["wall_s"] / runs["torch"]["wall_s"], 3)}}


def bench_vector_store(args, env: dict) -> None:
    from bench.corpus import cached_rows, chunk_texts
    from bench.vectors import QUERIES, bench_hnsw, bench_vector_load
    from tileshop_pipelines.store.db import tileshop_home

    if args.load_rows:
        # Loading speed does not depend on the vector values: real chunk rows, unit random vectors.
        rows = chunk_texts(args.load_rows)
        vectors = np.random.default_rng(7).standard_normal((len(rows), 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        load = bench_vector_load(rows, vectors, repeats=args.repeats)
        (RESULTS / "vector_load.json").write_text(json.dumps({**load, "env": env}, indent=2))
        print("vector load:", json.dumps(load, indent=1))
    if args.hnsw_chunks:
        rows, vectors = cached_rows(args.hnsw_chunks + QUERIES, tileshop_home() / "bench" / "all-MiniLM-L6-v2.npz")
        hnsw = bench_hnsw(rows, vectors)
        (RESULTS / "hnsw.json").write_text(json.dumps({**hnsw, "env": env}, indent=2))
        print("hnsw:", json.dumps(hnsw, indent=1))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--politeness-products", type=int, default=1000)
    parser.add_argument("--politeness-rate", type=float, default=4.0)
    parser.add_argument("--embed", action="store_true",
                        help="also run the embedding model in the incremental bench (slow at 5,000 products)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--backend-texts", type=int, default=20_000,
                        help="chunk texts embedded by torch and by ONNX Runtime (whole-catalog size)")
    parser.add_argument("--load-rows", type=int, default=50_000,
                        help="rows for the vector load benchmark; 0 skips it")
    parser.add_argument("--hnsw-chunks", type=int, default=50_000,
                        help="real MiniLM chunk embeddings for the HNSW benchmark (cached in .tileshop/bench; "
                             "the first run embeds them: ~10 min per 50,000 on 2 cores); 0 skips it")
    parser.add_argument("--production-products", type=int, default=4800)
    parser.add_argument("--production-rate", type=float, default=20.0, help="requests/s of the production refresh")
    parser.add_argument("--production-batch-size", type=int, default=None,
                        help="TILESHOP_CRAWL_BATCH_SIZE of the production refresh (default: unset, ten minutes at the rate)")
    parser.add_argument("--only", choices=("fetch", "embedding", "backends", "vectors", "rag", "migration", "monitoring",
                                         "production", "cold_start"),
                        action="append",
                        help="run only these benchmarks (repeatable); default all")
    parser.add_argument("--rag-products", type=int, default=5000, help="catalog size of the app's load test")
    parser.add_argument("--rag-duration", type=float, default=60.0, help="seconds of load per endpoint")
    parser.add_argument("--rag-users", type=int, default=100, help="simulated users")
    parser.add_argument("--rag-rate", type=float, default=50.0, help="requests per second, all users together")
    parser.add_argument("--rag-saturation-step", type=float, default=15.0, help="seconds per saturation step")
    parser.add_argument("--monitoring-rounds", type=int, default=2,
                        help="on/off pairs of the monitoring-overhead bench (chat at --rag-rate, --rag-duration each)")
    parser.add_argument("--rag-max-in-flight", type=int, default=None,
                        help="the app's TILESHOP_MAX_IN_FLIGHT_SEARCHES (default: the app's own); a very high "
                             "value measures saturation without admission control")
    parser.add_argument("--migration-products", type=int, default=5000, help="catalog size of the migration bench")
    args = parser.parse_args()
    only = set(args.only or ("fetch", "embedding", "backends", "vectors", "rag", "migration", "monitoring", "cold_start"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    env = {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine()}
    RESULTS.mkdir(exist_ok=True)
    if "fetch" in only:
        fetch = bench_fetch_parse(args.products, args.concurrency, args.repeats, args.politeness_products,
                                  args.politeness_rate, args.embed)
        (RESULTS / "fetch_parse.json").write_text(json.dumps({**fetch, "env": env}, indent=2))
        print("fetch+parse(+store):", json.dumps(fetch["runs"], indent=1))
        print("incremental:", json.dumps(fetch["incremental"], indent=1))
        print("politeness:", json.dumps(fetch["politeness"], indent=1))
        print(f"crawl peak RSS {fetch['crawl_peak_rss_mb']} MB")
        print("acquisition ratios:", fetch["ratios"])
    if "embedding" in only:
        embed = bench_embedding(args.texts, args.repeats)
        (RESULTS / "embedding.json").write_text(json.dumps({**embed, "env": env}, indent=2))
        print("embedding:", json.dumps(embed["runs"], indent=1))
        print("embedding ratios:", embed["ratios"])
    if "backends" in only:
        backends = bench_embedding_backends(args.backend_texts)
        (RESULTS / "embedding_backends.json").write_text(json.dumps({**backends, "env": env}, indent=2))
        print("embedding backends:", json.dumps(backends, indent=1))
    if "vectors" in only:
        bench_vector_store(args, env)
    if "rag" in only:
        from bench.load_rag import bench_rag_load

        rag = bench_rag_load(args.rag_products, args.rag_duration, args.rag_rate, args.rag_users,
                             args.rag_saturation_step, args.rag_max_in_flight)
        name = "rag_load" if args.rag_max_in_flight is None else f"rag_load_in_flight_{args.rag_max_in_flight}"
        (RESULTS / f"{name}.json").write_text(json.dumps({**rag, "env": env}, indent=2))
        print("rag load targets met:", rag["passed"], "saturation:",
              {k: v["saturation_rate"] for k, v in rag["saturation"].items()})
        print("rag ratios:", rag["ratios"])
    if "migration" in only:
        from bench.migration import bench_migration

        moved = bench_migration(args.migration_products, args.repeats)
        (RESULTS / "migration.json").write_text(json.dumps({**moved, "env": env}, indent=2))
        print("migration:", json.dumps(moved["runs"], indent=1))
        print("migration ratios:", moved["ratios"])
    if "monitoring" in only:
        from bench.load_rag import bench_monitoring_overhead

        overhead = bench_monitoring_overhead(args.rag_products, args.rag_rate, args.rag_duration, args.rag_users,
                                             args.monitoring_rounds)
        (RESULTS / "monitoring_overhead.json").write_text(json.dumps({**overhead, "env": env}, indent=2))
        print("monitoring writes, chat at", args.rag_rate, "req/s:", overhead["analytics_on"], "vs off",
              overhead["analytics_off"], "ratios", overhead["ratios"])
    if "cold_start" in only:
        from bench.cold_start import bench_cold_start

        cold = bench_cold_start(args.rag_products, repeats=args.repeats + 1)
        (RESULTS / "cold_start.json").write_text(json.dumps({**cold, "env": env}, indent=2))
        print("cold start:", json.dumps(cold, indent=1))
    if "production" in only:  # not in the default set: minutes at a polite rate
        from bench.production import bench_production

        production = bench_production(args.production_products, args.production_rate, args.production_batch_size)
        (RESULTS / "production.json").write_text(json.dumps({**production, "env": env}, indent=2))
        print("production:", json.dumps(production, indent=1))
        print("production ratios:", production["ratios"])
    print(f"peak RSS (with the model) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
