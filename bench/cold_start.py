"""Cold start of the public app: process start to the first answered `/api/chat`.

`python -m rag_app` (what the image runs: migrate, then serve), offline answers, over the rag
bench's sample index, with the ONNX export already cached (built once here before measuring, as
`tileshop model prepare` does at build time). Polled every 20 ms from the process's start; the
first 200 is the figure. Baselines in the same run, each a fresh interpreter: `python -c pass`,
importing the framework alone (fastapi, uvicorn, psycopg and its pool, numpy, onnxruntime,
tokenizers) and importing `rag_app.main`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

FRAMEWORK = "import fastapi, uvicorn, psycopg, psycopg_pool, numpy, onnxruntime, tokenizers"
QUESTION = "white porcelain floor tile under $5 per sq ft"


def _interpreter_s(code: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def _first_chat(url: str, port: int, timeout_s: float = 120) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ANTHROPIC_API_KEY": "",
        "TILESHOP_RATE_LIMIT_PER_MINUTE": "100000",
        "METRICS_PORT": "0",
    }  # no metrics listener: nothing scrapes it here
    body = json.dumps({"query": QUESTION}).encode()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag_app", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < timeout_s:
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with {proc.returncode} before answering")
            sent = time.perf_counter()
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/chat", data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=30) as response:
                    answer = json.loads(response.read())
                done = time.perf_counter()
                return {
                    "first_chat_s": round(done - started, 3),
                    "first_chat_request_ms": round(1000 * (done - sent), 1),
                    "products": len(answer.get("products", [])),
                }
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.02)
        raise TimeoutError(f"no answer from the app in {timeout_s} s")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def bench_cold_start(products: int, repeats: int = 3, seed: int = 7) -> dict:
    from bench.harness import free_port
    from bench.load_rag import bench_database_url
    from tileshop_pipelines import bootstrap
    from tileshop_pipelines.embedding.model import DEFAULT_MODEL
    from tileshop_pipelines.embedding.onnx_encoder import load_onnx_encoder

    url = bench_database_url(products, seed)
    load_onnx_encoder(DEFAULT_MODEL, bootstrap.onnx_folder())  # the cached export the image ships
    baselines = {
        "python_c_pass_s": _interpreter_s("pass", repeats),
        "import_framework_s": _interpreter_s(FRAMEWORK, repeats),
        "import_rag_app_main_s": _interpreter_s("import rag_app.main", repeats),
        "anthropic_imported_by_rag_app_main": subprocess.run(
            [sys.executable, "-c", "import sys, rag_app.main; print('anthropic' in sys.modules)"],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout.strip()
        == "True",
    }
    starts = [_first_chat(url, free_port()) for _ in range(repeats)]
    first = statistics.median(s["first_chat_s"] for s in starts)
    return {
        "products": products,
        "repeats": repeats,
        "baselines": baselines,
        "starts": starts,
        "first_chat_s_median": round(first, 3),
        "target_s": 3.0,
        "ratios": {
            "first_chat_vs_import_framework": round(first / baselines["import_framework_s"], 2),
            "first_chat_vs_python_start": round(first / baselines["python_c_pass_s"], 2),
        },
    }
