"""Server-side cost of one tool round: everything the app does for a round of Claude's tool calls
except the model's own time.

A round here is what `ChatService.execute_tool` and the loop do per call: validate the input
(pydantic), run the tool in a read-only transaction on a pooled-style connection, and serialise the
result as the tool_result block's JSON (tool_loop.result_block). The calls are the task suites'
own (evaluation/tasks.py: estimate, price order, companions, setting materials, comparisons) plus
a relevance search, over a sample catalog whose chunk vectors are text-seeded (their values do not
change a search's cost); the relevance search's query is embedded by the real model, and that
embedding is counted. Reported per tool and overall: p50 and p95 in milliseconds, and, as the
baseline measured in the same run, the bare SQL of the heaviest path (the catalog-wide price sort)
run alone.
"""

from __future__ import annotations

import time

import numpy as np


def _percentiles(samples: list[float]) -> dict:
    ms = np.array(samples) * 1000
    return {
        "n": len(samples),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
    }


def bench_tool_rounds(products: int = 500, seed: int = 7, repeats: int = 5) -> dict:
    from bench.sample_index import load_catalog
    from bench.transfer import text_seeded_vectors
    from bench.vectors import scratch_database
    from tileshop_pipelines.assistant.retrieval import embed_question, load_vocabulary
    from tileshop_pipelines.assistant.tool_loop import result_block
    from tileshop_pipelines.assistant.tools import ToolContext, run_tool
    from tileshop_pipelines.evaluation.tasks import build_tasks
    from tileshop_pipelines.sample_catalog import build_catalog
    from tileshop_pipelines.store.product_lookup import ranked_by_price
    from tileshop_pipelines.store.search import ProductFilters

    catalog = build_catalog(n_products=products, seed=seed)
    calls = [task.tool_call for task in build_tasks(catalog, seed=seed, per_suite=10)]
    calls += [
        {"name": "search_products", "input": {"query": q, "limit": 5}}
        for q in ("white porcelain floor tile", "grout for a shower", "marble mosaic backsplash")
    ]
    embed_question("warm the encoder")
    with scratch_database() as conn:
        load_catalog(conn, catalog, embed=text_seeded_vectors)
        ctx = ToolContext(conn, embed=embed_question, vocabulary=load_vocabulary(conn))
        by_tool: dict[str, list[float]] = {}
        for _ in range(repeats):
            for call in calls:
                started = time.perf_counter()
                outcome = run_tool(ctx, call["name"], call["input"])
                result_block("toolu_bench", outcome)
                by_tool.setdefault(call["name"], []).append(time.perf_counter() - started)
                assert outcome.ok, (call, outcome.error)
        bare = []
        filters = ProductFilters(color="White", material="Porcelain", application="Floor", product_type="tile")
        for _ in range(repeats * 10):
            started = time.perf_counter()
            ranked_by_price(conn, filters, "sqft", False, 5)
            bare.append(time.perf_counter() - started)
    everything = [s for samples in by_tool.values() for s in samples]
    overall = _percentiles(everything)
    baseline = _percentiles(bare)
    return {
        "products": products,
        "calls_per_repeat": len(calls),
        "repeats": repeats,
        "per_tool": {name: _percentiles(samples) for name, samples in sorted(by_tool.items())},
        "overall": overall,
        "bare_price_sort_sql": baseline,
        "ratio_p50_to_bare_sql": round(overall["p50_ms"] / baseline["p50_ms"], 2),
    }
