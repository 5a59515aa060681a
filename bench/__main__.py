"""`make bench`: the pipeline's hot paths against baselines measured in the same run.

1. fetch+parse: the pipeline's crawl4ai fetcher + extract_product over every product page of a
   local sample catalog, vs httpx + selectolax JSON-LD extraction (same pages, same concurrency),
   and vs crawl4ai's bare `AsyncHTTPCrawlerStrategy.crawl()` + the same selectolax extraction.
2. embedding: the embedding asset's work on product chunk texts vs raw `model.encode` on the same texts.
3. vectors (bench/vectors.py): the vector load vs a raw binary COPY of the same rows; HNSW top-10
   p95 latency and recall@10 against exact search on real MiniLM chunk embeddings.

Results go to bench/results/<name>.json; the ratios are printed. Run: python -m bench [--products N]
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
    from tileshop_pipelines.cli import start_catalog_process

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


async def pipeline_fetch_parse(urls: list[str], concurrency: int) -> int:
    from tileshop_pipelines.catalog.extract import NotAProductPage, extract_product
    from tileshop_pipelines.crawl.fetcher import PageFetcher

    parsed = 0
    async for fetch in PageFetcher(concurrency=concurrency).fetch_iter(urls):
        if fetch.ok:
            try:
                extract_product(fetch.html, fetch.url)
                parsed += 1
            except NotAProductPage:
                pass
    return parsed


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


def bench_fetch_parse(products: int, concurrency: int, repeats: int) -> dict:
    proc, base = start_catalog(products)
    try:
        urls = product_urls(base)
        runs = {"pipeline": pipeline_fetch_parse, "httpx_selectolax": httpx_baseline,
                "crawl4ai_strategy_selectolax": crawl4ai_strategy_baseline}
        asyncio.run(httpx_baseline(urls[:200], concurrency))  # warm the server's page cache
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
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    pipe = best["pipeline"]
    return {
        "products": products, "concurrency": concurrency, "repeats": repeats, "runs": best,
        "ratios": {
            "cpu_per_page_pipeline_vs_httpx_selectolax":
                round(pipe["cpu_s"] / best["httpx_selectolax"]["cpu_s"], 3),
            "cpu_per_page_pipeline_vs_crawl4ai_strategy":
                round(pipe["cpu_s"] / best["crawl4ai_strategy_selectolax"]["cpu_s"], 3),
            "throughput_pipeline_vs_httpx_selectolax":
                round(pipe["pages_per_s"] / best["httpx_selectolax"]["pages_per_s"], 3),
        },
    }


def bench_embedding(texts_wanted: int, repeats: int) -> dict:
    """The embedding asset's work (chunks_to_embed -> encode per 512 -> binary COPY) vs raw
    model.encode on the same texts, same batch size and threads."""
    from bench.corpus import chunk_texts
    from bench.vectors import scratch_database
    from tileshop_pipelines.defs.resources import EmbedderResource
    from tileshop_pipelines.embedding.model import embed_texts, load_model, set_torch_threads
    from tileshop_pipelines.embedding.pending import embed_pending_chunks
    from tileshop_pipelines.store import vectors as vectors_sql
    from tileshop_pipelines.text.chunks import Chunk

    rows = chunk_texts(texts_wanted)
    texts = [content for _, _, _, content in rows]
    embedder = EmbedderResource(torch_threads=2)
    set_torch_threads(embedder.torch_threads)
    model = load_model(embedder.model_name, embedder.device)
    embed_texts(model, texts[:64])  # warm-up
    best: dict[str, dict] = {}
    with scratch_database() as conn:
        vectors_sql.sync_chunks(conn, [Chunk(cid, key, kind, int(cid.rsplit(":", 1)[1]), content)
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
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--load-rows", type=int, default=50_000,
                        help="rows for the vector load benchmark; 0 skips it")
    parser.add_argument("--hnsw-chunks", type=int, default=50_000,
                        help="real MiniLM chunk embeddings for the HNSW benchmark (cached in .tileshop/bench; "
                             "the first run embeds them: ~10 min per 50,000 on 2 cores); 0 skips it")
    parser.add_argument("--only", choices=["fetch", "embedding", "vectors"], help="run one benchmark")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    env = {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine()}
    RESULTS.mkdir(exist_ok=True)
    if args.only in (None, "fetch"):
        fetch = bench_fetch_parse(args.products, args.concurrency, args.repeats)
        (RESULTS / "fetch_parse.json").write_text(json.dumps({**fetch, "env": env}, indent=2))
        print("fetch+parse:", json.dumps(fetch["runs"], indent=1))
        print("fetch+parse ratios:", fetch["ratios"])
    if args.only in (None, "embedding"):
        embed = bench_embedding(args.texts, args.repeats)
        (RESULTS / "embedding.json").write_text(json.dumps({**embed, "env": env}, indent=2))
        print("embedding:", json.dumps(embed["runs"], indent=1))
        print("embedding ratios:", embed["ratios"])
    if args.only in (None, "vectors"):
        bench_vector_store(args, env)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
