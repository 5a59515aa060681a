"""The parse workers: reused across documents, stopped past the time limit and replaced, their
answers bounded; several threads share them."""

from __future__ import annotations

import concurrent.futures

import pytest

from tileshop_pipelines.pdf.extract import Limits
from tileshop_pipelines.pdf.pool import ParserPool

from ..support import pdfs

pytestmark = pytest.mark.slow  # worker processes

SHEET = pdfs.data_sheet("Thinset Technical Data Sheet", ["Open time: 30 minutes"], pages=3)


def _slow_pdf() -> bytes:
    ops = b"BT /F1 10 Tf 56 760 Td\n" + b"(x) Tj\n" * 700_000 + b"ET"
    return pdfs.assemble(
        [
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            pdfs.content_stream(ops),
            b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 1 0 R >> >> /Contents 3 0 R >>",
            b"<< /Type /Catalog /Pages 2 0 R >>",
        ],
        5,
    )


def test_a_worker_is_reused_and_a_runaway_parse_is_stopped_and_replaced():
    with ParserPool(Limits(), workers=1, timeout_s=1.5, memory_mb=512) as pool:
        outcomes = [pool.parse(SHEET) for _ in range(3)]
        assert [len(o.pages) for o in outcomes] == [3, 3, 3] and pool.started == 1
        runaway = pool.parse(_slow_pdf())
        assert runaway.pages is None and runaway.refused == (
            "parsing took longer than the 1.5 s bound; the worker was stopped"
        )
        assert 1.5 <= runaway.seconds < 5
        assert pool.parse(SHEET).pages[0].startswith("Thinset Technical Data Sheet")
        assert (pool.started, pool.lost) == (2, 1)


def test_threads_share_the_workers():
    with (
        ParserPool(Limits(), workers=2, timeout_s=20, memory_mb=512) as pool,
        concurrent.futures.ThreadPoolExecutor(6) as threads,
    ):
        outcomes = list(threads.map(pool.parse, [SHEET] * 12))
        assert all(len(o.pages) == 3 for o in outcomes) and pool.started == 2 and pool.lost == 0
    with pytest.raises(RuntimeError, match="closed"):
        pool.parse(SHEET)


def test_an_answer_over_its_bound_is_refused():
    with ParserPool(Limits(), workers=1, timeout_s=20, memory_mb=512) as pool:
        pool.max_answer = 100
        outcome = pool.parse(SHEET)
        assert outcome.pages is None and outcome.refused.endswith("is over the 100-byte bound")
        assert pool.lost == 1


def test_closing_ends_every_worker_at_the_end_of_its_input():
    """All are asked at once, and each ends by itself (exit 0), none killed at the close's deadline."""
    with (
        ParserPool(Limits(), workers=2, timeout_s=20, memory_mb=512) as pool,
        concurrent.futures.ThreadPoolExecutor(2) as threads,
    ):
        pool.warm(2)
        assert all(len(o.pages) == 3 for o in threads.map(pool.parse, [SHEET] * 4))
        processes = [worker.proc for worker in pool._alive]
    assert len(processes) == 2 and [p.returncode for p in processes] == [0, 0]
