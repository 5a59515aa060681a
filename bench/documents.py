"""documents benchmark (`python -m bench --only documents`): the product_documents step (fetch from
a local server, parse in the worker pool, store) in pages per second, against pypdf's own
extraction of the same files in the same run (PdfReader + extract_text per page, in this process);
the parse workers' own cost (the same files through the pool vs extract_pages in process, and a
worker's start); and a no-change refresh (every document checked again: conditional requests
only, nothing parsed), its requests, answers and parses counted.

The files: data sheets written by the tests' PDF writer (tileshop_pipelines_tests/support/pdfs.py),
2 to 8 pages of text each, served by http.server's file handler (HTTP/1.1, kept alive) in a process
of its own on 127.0.0.2 (Last-Modified / If-Modified-Since: a 304 for an unchanged file).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import BenchDatabase, Meter, free_port

HOST = "127.0.0.2"


class CpuMeter(Meter):
    """Meter, plus the CPU time of the child processes reaped in the block (the parse workers: the
    pool is closed inside it). The machine is shared: CPU seconds per page hold up where wall time
    follows the load."""

    def __enter__(self):
        self.children0 = _children_cpu()
        return super().__enter__()

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self.with_children = self.cpu + _children_cpu() - self.children0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_documents(folder: Path, count: int) -> list[tuple[str, int]]:
    """(file name, pages) of `count` data sheets written to `folder`."""
    from tileshop_pipelines_tests.support import pdfs

    written = []
    for i in range(count):
        pages = 2 + i % 7
        data = pdfs.data_sheet(
            f"Product {i:04d} - Technical Data Sheet",
            [
                f"Coverage: {20 + i % 30} lb covers {80 + i % 40} sq. ft. with a 1/4 x 3/8 in notch",
                f"Pot life: {2 + i % 4} hours; grout after {12 + i % 24} hours",
            ],
            pages=pages,
        )
        name = f"tds-{i:04d}.pdf"
        (folder / name).write_bytes(data)
        written.append((name, pages))
    return written


# http.server's file handler over HTTP/1.1: connections kept alive, as a CDN keeps them (its
# HTTP/1.0 default opens a connection per document, which no real host makes the crawler do), and
# TCP_NODELAY, as a CDN's servers set it: the handler writes the headers and the body in two sends,
# and with Nagle's algorithm on, the body waits for the ACK the client delays (40 ms on Linux):
# 44 ms a document on a kept-alive connection, a fetch ceiling of ~90 documents/s at the crawler's
# per-host concurrency, below pypdf's own pace on these files.
FILE_SERVER = """
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def log_message(self, *args):
        pass
handler = functools.partial(Handler, directory=sys.argv[3])
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), handler).serve_forever()
"""


def start_file_server(folder: Path) -> tuple[subprocess.Popen, str]:
    from tileshop_pipelines.processes import wait_until_serving

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", FILE_SERVER, HOST, str(port), str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://{HOST}:{port}"
    return wait_until_serving(proc, base + "/", "the document server", 30), base


def pypdf_baseline(files: list[bytes]) -> int:
    from pypdf import PdfReader

    pages = 0
    for data in files:
        for page in PdfReader(io.BytesIO(data)).pages:
            page.extract_text()
            pages += 1
    return pages


def bench_documents(count: int, repeats: int) -> dict:
    from tileshop_pipelines.acquisition.documents import refresh_documents
    from tileshop_pipelines.defs.resources import CrawlerResource, DocumentsResource
    from tileshop_pipelines.pdf.extract import Limits, configure_pypdf, extract_pages
    from tileshop_pipelines.pdf.pool import ParserPool
    from tileshop_pipelines_tests.support.document_server import products_naming

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        written = write_documents(folder, count)
        files = [(folder / name).read_bytes() for name, _ in written]
        total_pages = sum(pages for _, pages in written)
        proc, base = start_file_server(folder)
        try:
            crawler = CrawlerResource(requests_per_second=0)
            runs: dict[str, dict] = {}
            refresh: dict = {}
            with BenchDatabase() as bench_db:
                products_naming(
                    bench_db.conn,
                    {
                        f"p{i}": [{"name": "Technical Data Sheet", "url": f"{base}/{name}"}]
                        for i, (name, _) in enumerate(written)
                    },
                )

                def step(workers: int, force: bool = False):
                    documents = DocumentsResource(hosts=[HOST], parse_workers=workers)
                    with documents.parser_pool() as pool:
                        return asyncio.run(
                            refresh_documents(
                                bench_db.conn, crawler.document_fetcher(documents), pool, documents.policy(force)
                            )
                        )

                def fresh(workers: int):
                    bench_db.conn.execute(
                        "TRUNCATE documents, document_links, document_pages, document_history, document_chunks"
                    )
                    return step(workers)

                fresh(1)  # imports, crawl4ai's start, the server's first answers: out of the measurement
                pypdf_baseline(files[:5])
                for _ in range(repeats):
                    for name, fn in (
                        ("pypdf_extract_in_process", lambda: pypdf_baseline(files)),
                        ("document_step_1_worker", lambda: fresh(1).counts["pages_read"]),
                        ("document_step_2_workers", lambda: fresh(2).counts["pages_read"]),
                    ):
                        with CpuMeter() as m:
                            pages = fn()
                        assert pages == total_pages, (name, pages, total_pages)
                        row = {
                            "documents": count,
                            "pages": pages,
                            "wall_s": round(m.wall, 3),
                            "pages_per_s": round(pages / m.wall, 1),
                            "cpu_s_this_process": round(m.cpu, 3),
                            "cpu_s_with_workers": round(m.with_children, 3),
                            "pages_per_cpu_s": round(pages / m.with_children, 1),
                        }
                        if name not in runs or row["wall_s"] < runs[name]["wall_s"]:
                            runs[name] = row
                with Meter() as m:
                    again = step(2, force=True)
                full = runs["document_step_2_workers"]
                refresh = {
                    "documents": count,
                    "wall_s": round(m.wall, 3),
                    **again.counts,
                    "wall_vs_full": round(m.wall / full["wall_s"], 3),
                }
            workers = bench_workers(files, Limits(), configure_pypdf, extract_pages, ParserPool)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    baseline = runs["pypdf_extract_in_process"]["pages_per_s"]
    baseline_cpu = runs["pypdf_extract_in_process"]["pages_per_cpu_s"]
    return {
        "documents": count,
        "pages": total_pages,
        "repeats": repeats,
        "runs": runs,
        "no_change_refresh": refresh,
        "workers": workers,
        "ratios": {
            "step_2_workers_vs_pypdf_pages_per_s": round(runs["document_step_2_workers"]["pages_per_s"] / baseline, 3),
            "step_1_worker_vs_pypdf_pages_per_s": round(runs["document_step_1_worker"]["pages_per_s"] / baseline, 3),
            "step_1_worker_vs_pypdf_pages_per_cpu_s": round(
                runs["document_step_1_worker"]["pages_per_cpu_s"] / baseline_cpu, 3
            ),
            "pool_1_worker_vs_in_process_parse_wall": workers["pool_vs_in_process_wall"],
            "pool_1_worker_vs_in_process_parse_cpu": workers["pool_vs_in_process_cpu"],
            "no_change_refresh_requests_per_document": round(refresh["requests"] / count, 3),
            "no_change_refresh_parses": refresh["parsed"],
        },
    }


def bench_workers(files: list[bytes], limits, configure, extract, pool_class, repeats: int = 3) -> dict:
    """The same files parsed by extract_pages in this process and through a one-worker pool (the
    worker started beforehand), alternately, best of `repeats`: wall time, and CPU time (the pool's:
    this process's sending and receiving plus the worker's own, as it reports it); and what starting
    a worker costs (to its first answer). On a shared machine the CPU ratio is the steadier one."""
    configure(limits)
    best = {
        "in_process_wall": float("inf"),
        "in_process_cpu": float("inf"),
        "pool_wall": float("inf"),
        "pool_cpu": float("inf"),
    }
    with pool_class(limits, workers=1, timeout_s=60, memory_mb=768) as pool:
        started = time.perf_counter()
        pool.parse(files[0])
        first_answer = time.perf_counter() - started
        for _ in range(repeats):
            with Meter() as in_process:
                for data in files:
                    extract(data, limits)
            with Meter() as pooled:
                worker_cpu = sum(pool.parse(data).cpu_s for data in files)
            best["in_process_wall"] = min(best["in_process_wall"], in_process.wall)
            best["in_process_cpu"] = min(best["in_process_cpu"], in_process.cpu)
            best["pool_wall"] = min(best["pool_wall"], pooled.wall)
            best["pool_cpu"] = min(best["pool_cpu"], pooled.cpu + worker_cpu)
    return {
        **{k: round(v, 3) for k, v in best.items()},
        "pool_vs_in_process_wall": round(best["pool_wall"] / best["in_process_wall"], 3),
        "pool_vs_in_process_cpu": round(best["pool_cpu"] / best["in_process_cpu"], 3),
        "per_document_cpu_overhead_ms": round(1000 * (best["pool_cpu"] - best["in_process_cpu"]) / len(files), 2),
        "worker_start_to_first_answer_s": round(first_answer, 3),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(),
    }
