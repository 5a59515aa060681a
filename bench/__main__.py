"""`make bench`: the pipeline's hot paths against baselines measured in the same run.

1. fetch+parse(+store) (bench/fetch.py): the pipeline's crawl (PageFetcher over crawl4ai's HTTP
   strategy, politeness off) + extract_product, and the same plus storing pages, records and history
   in Postgres (acquisition.refresh), over every product page of a local sample catalog; vs crawl4ai's bare
   `AsyncHTTPCrawlerStrategy.crawl()` + selectolax JSON-LD extraction, and httpx + selectolax (same
   pages, same concurrency). CPU is this process's (user + system, `time.process_time`): Postgres'
   own CPU is not in it, nor the sample catalog server's; time this process waits is not counted.
   Each measured run starts from a collected heap (a full collection is not inherited).
2. politeness: a crawl at a fixed requests/second; wall time vs N / rate.
3. incremental: after the full crawl, 1% of the products change; a refresh with conditional
   requests re-parses, re-versions and re-embeds exactly those; wall time vs the full run's.
4. embedding (bench/embedding.py): the embedding asset's work on product chunk texts vs raw
   `model.encode` on the same texts; backends: the whole catalog's chunks (20,000) embedded by torch and by ONNX Runtime, same texts,
   cosine >= 0.9999 or ONNX is refused.
5. vectors (bench/vectors.py): the vector load vs a raw binary COPY of the same rows; HNSW top-10
   p95 latency and recall@10 against exact search on real MiniLM chunk embeddings, over a curve of
   ef_search values, and the filtered HNSW path at pgvector's default and the app's ef_search.
6. rag: open-loop load on the app over a 5,000-product index (bench/load_rag.py), beside the raw
   query embedding and search SQL latency measured in the same run; saturation point.
7. transfer (bench/transfer.py): `tileshop db dump` + `db restore` + `transfer verify` of a
   5,000-product database with vectors vs raw pg_dump + pg_restore of the same database.
8. monitoring (bench/monitoring_overhead.py): chat p50/p95 at --rag-rate with the operations
   writes (monitoring rollups, search analytics, JSON log lines at INFO to a file) and without
   (TILESHOP_ANALYTICS=off, warnings only), alternating fresh app processes in the same run.
9. production (bench/production.py): a full and a no-change catalog refresh through dagster-daemon
   and sensor-launched runs, vs N/rate and vs the same pages crawled in one step; run launch time,
   the handover between crawl runs, events per run and the cost per partition event.
10. cold_start (bench/cold_start.py): `python -m rag_app` from process start to the first answered
   /api/chat, ONNX export cached, vs a bare interpreter and the framework's imports.
11. tool_rounds (bench/tool_rounds.py): the server-side cost of one of Claude's tool calls (validation,
   the tool's SQL in a read-only transaction, the tool_result JSON; not the model's time), p50/p95 per
   tool, beside the bare catalog-wide price-sort SQL measured in the same run.
12. documents (bench/documents.py): the product_documents step (fetch from a local server, parse in the
   worker pool, store) in pages per second vs pypdf's own extraction of the same files in the same run;
   the worker pool vs parsing in process; a no-change refresh: its requests (all conditional) and parses.
13. export (bench/export.py, not in the default set): `tileshop export` CSV and Parquet at 5,000 and
   50,000 products, wall time and peak RSS, vs the imports alone and the table read at once.
Peak RSS of the crawl stages is reported before the model is loaded.

Results go to bench/results/<name>.json; the ratios are printed. Run: python -m bench [--only fetch|embedding|backends|vectors|rag|transfer|monitoring|cold_start|tool_rounds|documents|production|export] [--products N] [--rag-products N]
Each benchmark is a row of BENCHMARKS below: its name, what runs it, its result file and what is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).with_name("results")


@dataclass(frozen=True)
class Benchmark:
    name: str  # what --only selects; one name may run several benchmarks
    run: Callable[[argparse.Namespace], dict | None]  # None: skipped by its arguments
    result: Callable[[argparse.Namespace], str]  # the file name in bench/results, without .json
    show: Callable[[dict, argparse.Namespace], None]  # prints the result
    default: bool = True  # run without --only


def _json(label: str) -> Callable[[dict, argparse.Namespace], None]:
    return lambda result, args: print(label, json.dumps(result, indent=1))


def _runs_and_ratios(label: str) -> Callable[[dict, argparse.Namespace], None]:
    def show(result: dict, args: argparse.Namespace) -> None:
        print(f"{label}:", json.dumps(result["runs"], indent=1))
        print(f"{label} ratios:", result["ratios"])

    return show


def _export(args):
    from bench.export import bench_export

    return bench_export(tuple(args.export_products))


def _fetch(args):
    from bench.fetch import bench_fetch_parse

    return bench_fetch_parse(
        args.products, args.concurrency, args.repeats, args.politeness_products, args.politeness_rate, args.embed
    )


def _show_fetch(fetch: dict, args) -> None:
    print("fetch+parse(+store):", json.dumps(fetch["runs"], indent=1))
    print("incremental:", json.dumps(fetch["incremental"], indent=1))
    print("politeness:", json.dumps(fetch["politeness"], indent=1))
    print(f"crawl peak RSS {fetch['crawl_peak_rss_mb']} MB")
    print("acquisition ratios:", fetch["ratios"])


def _embedding(args):
    from bench.embedding import bench_embedding

    return bench_embedding(args.texts, args.repeats)


def _backends(args):
    from bench.embedding import bench_embedding_backends

    return bench_embedding_backends(args.backend_texts)


def _vector_load(args):
    from bench.corpus import chunk_texts
    from bench.vectors import bench_vector_load

    if not args.load_rows:
        return None
    # Loading speed does not depend on the vector values: real chunk rows, unit random vectors.
    rows = chunk_texts(args.load_rows)
    vectors = np.random.default_rng(7).standard_normal((len(rows), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return bench_vector_load(rows, vectors, repeats=args.repeats)


def _hnsw(args):
    from bench.corpus import cached_rows
    from bench.vectors import QUERIES, bench_hnsw
    from tileshop_pipelines.bootstrap import tileshop_home

    if not args.hnsw_chunks:
        return None
    rows, vectors = cached_rows(args.hnsw_chunks + QUERIES, tileshop_home() / "bench" / "all-MiniLM-L6-v2.npz")
    return bench_hnsw(rows, vectors)


def _rag(args):
    from bench.load_rag import bench_rag_load

    return bench_rag_load(
        args.rag_products,
        args.rag_duration,
        args.rag_rate,
        args.rag_users,
        args.rag_saturation_step,
        args.rag_max_in_flight,
    )


def _show_rag(rag: dict, args) -> None:
    print(
        "rag load targets met:",
        rag["passed"],
        "saturation:",
        {k: v["saturation_rate"] for k, v in rag["saturation"].items()},
    )
    print("rag ratios:", rag["ratios"])


def _transfer(args):
    from bench.transfer import bench_transfer

    return bench_transfer(args.transfer_products, args.repeats)


def _monitoring(args):
    from bench.monitoring_overhead import bench_monitoring_overhead

    return bench_monitoring_overhead(
        args.rag_products, args.rag_rate, args.rag_duration, args.rag_users, args.monitoring_rounds
    )


def _show_monitoring(overhead: dict, args) -> None:
    print(
        "monitoring writes, chat at",
        args.rag_rate,
        "req/s:",
        overhead["analytics_on"],
        "vs off",
        overhead["analytics_off"],
        "ratios",
        overhead["ratios"],
    )


def _tool_rounds(args):
    from bench.tool_rounds import bench_tool_rounds

    return bench_tool_rounds(min(args.products, 500), repeats=args.repeats + 2)


def _cold_start(args):
    from bench.cold_start import bench_cold_start

    return bench_cold_start(args.rag_products, repeats=args.repeats + 1)


def _production(args):
    from bench.production import bench_production

    return bench_production(args.production_products, args.production_rate, args.production_batch_size)


def _show_production(production: dict, args) -> None:
    print("production:", json.dumps(production, indent=1))
    print("production ratios:", production["ratios"])


def _documents(args):
    from bench.documents import bench_documents

    return bench_documents(args.documents, args.repeats + 1)


def _named(name: str) -> Callable[[argparse.Namespace], str]:
    return lambda args: name


# In the order they run; the crawl's peak RSS is read before any model is loaded.
BENCHMARKS = (
    Benchmark("fetch", _fetch, _named("fetch_parse"), _show_fetch),
    Benchmark("embedding", _embedding, _named("embedding"), _runs_and_ratios("embedding")),
    Benchmark("backends", _backends, _named("embedding_backends"), _json("embedding backends:")),
    Benchmark("vectors", _vector_load, _named("vector_load"), _json("vector load:")),
    Benchmark("vectors", _hnsw, _named("hnsw"), _json("hnsw:")),
    Benchmark(
        "rag",
        _rag,
        lambda args: "rag_load" if args.rag_max_in_flight is None else f"rag_load_in_flight_{args.rag_max_in_flight}",
        _show_rag,
    ),
    Benchmark("transfer", _transfer, _named("transfer"), _runs_and_ratios("transfer")),
    Benchmark("monitoring", _monitoring, _named("monitoring_overhead"), _show_monitoring),
    Benchmark("cold_start", _cold_start, _named("cold_start"), _json("cold start:")),
    Benchmark("tool_rounds", _tool_rounds, _named("tool_rounds"), _json("tool rounds:")),
    Benchmark("documents", _documents, _named("documents"), _runs_and_ratios("documents")),
    Benchmark("export", _export, _named("catalog_export"), _runs_and_ratios("export"), default=False),
    # Not in the default set: minutes at a polite rate.
    Benchmark("production", _production, _named("production"), _show_production, default=False),
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--politeness-products", type=int, default=1000)
    parser.add_argument("--politeness-rate", type=float, default=4.0)
    parser.add_argument(
        "--embed",
        action="store_true",
        help="also run the embedding model in the incremental bench (slow at 5,000 products)",
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--backend-texts",
        type=int,
        default=20_000,
        help="chunk texts embedded by torch and by ONNX Runtime (whole-catalog size)",
    )
    parser.add_argument("--load-rows", type=int, default=50_000, help="rows for the vector load benchmark; 0 skips it")
    parser.add_argument(
        "--hnsw-chunks",
        type=int,
        default=50_000,
        help="real MiniLM chunk embeddings for the HNSW benchmark (cached in .tileshop/bench; "
        "the first run embeds them: ~10 min per 50,000 on 2 cores); 0 skips it",
    )
    parser.add_argument("--production-products", type=int, default=4800)
    parser.add_argument("--production-rate", type=float, default=20.0, help="requests/s of the production refresh")
    parser.add_argument(
        "--production-batch-size",
        type=int,
        default=None,
        help="TILESHOP_CRAWL_BATCH_SIZE of the production refresh (default: unset, ten minutes at the rate)",
    )
    parser.add_argument(
        "--only",
        choices=tuple(dict.fromkeys(b.name for b in BENCHMARKS)),
        action="append",
        help="run only these benchmarks (repeatable); default all",
    )
    parser.add_argument("--rag-products", type=int, default=5000, help="catalog size of the app's load test")
    parser.add_argument("--rag-duration", type=float, default=60.0, help="seconds of load per endpoint")
    parser.add_argument("--rag-users", type=int, default=100, help="simulated users")
    parser.add_argument("--rag-rate", type=float, default=50.0, help="requests per second, all users together")
    parser.add_argument("--rag-saturation-step", type=float, default=15.0, help="seconds per saturation step")
    parser.add_argument(
        "--monitoring-rounds",
        type=int,
        default=2,
        help="on/off pairs of the monitoring-overhead bench (chat at --rag-rate, --rag-duration each)",
    )
    parser.add_argument(
        "--rag-max-in-flight",
        type=int,
        default=None,
        help="the app's TILESHOP_MAX_IN_FLIGHT_SEARCHES (default: the app's own); a very high "
        "value measures saturation without admission control",
    )
    parser.add_argument(
        "--documents", type=int, default=200, help="data sheets of the documents bench (2-8 pages each)"
    )
    parser.add_argument("--transfer-products", type=int, default=5000, help="catalog size of the transfer bench")
    parser.add_argument(
        "--export-products", type=int, nargs="+", default=[5000, 50_000], help="catalog sizes of the export bench"
    )
    args = parser.parse_args()
    only = set(args.only or (b.name for b in BENCHMARKS if b.default))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    env = {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine()}
    RESULTS.mkdir(exist_ok=True)
    for benchmark in BENCHMARKS:
        if benchmark.name not in only:
            continue
        result = benchmark.run(args)
        if result is None:
            continue
        (RESULTS / f"{benchmark.result(args)}.json").write_text(json.dumps({**result, "env": env}, indent=2))
        benchmark.show(result, args)
    print(f"peak RSS (with the model) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
