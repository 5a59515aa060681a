"""A parse worker: `python -m tileshop_pipelines.pdf.worker` reads PDFs on stdin and answers each
with its text on stdout, until stdin closes. pool.py starts and feeds it.

Bounded where a runaway parse can be stopped: the parent kills a worker past its time limit; here,
the address space is capped (RLIMIT_AS: a bomb pypdf's own limits miss ends in MemoryError, not
in the machine's memory), and before each parse the CPU limit is set to what it has used plus
twice the time limit, so a parse outlives a parent that died only briefly (SIGXCPU).

Frames: a request is an 8-byte big-endian length and the PDF's bytes; an answer is an 8-byte
length and JSON, {"pages": [...], "warnings": [...]} or {"refused": "<reason>"} (with "exiting": true
when the worker ends after it), and "cpu_s", the worker's CPU time for it. Nothing else
reaches stdout (it is moved aside first) or stderr (the pool sends it to /dev/null): pypdf's
warnings are collected and escaped (extract.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import struct
import sys
import time

FRAME = struct.Struct(">Q")
MEMORY_EXIT_CODE = 3  # answered "over the memory bound", then exits: its heap may be in pieces


def _read_exact(stream, size: int) -> bytes | None:
    """`size` bytes, or None at end of input (the parent closed the pipe or went away)."""
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tileshop_pipelines.pdf.worker")
    parser.add_argument("--max-pages", type=int, required=True)
    parser.add_argument("--max-text-chars", type=int, required=True)
    parser.add_argument("--max-stream-bytes", type=int, required=True)
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--timeout-s", type=float, required=True)
    args = parser.parse_args(argv)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # stray prints go nowhere

    from tileshop_pipelines.pdf.extract import Limits, PdfRefused, configure_pypdf, extract_pages

    limits = Limits(args.max_pages, args.max_text_chars, args.max_stream_bytes)
    configure_pypdf(limits)
    memory = args.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    requests = sys.stdin.buffer
    while True:
        header = _read_exact(requests, FRAME.size)
        if header is None:
            return 0
        data = _read_exact(requests, FRAME.unpack(header)[0])
        if data is None:
            return 0
        started = time.process_time()
        cpu_limit = int(_cpu_seconds() + 2 * args.timeout_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, resource.getrlimit(resource.RLIMIT_CPU)[1]))
        exit_code = None
        answer: dict[str, object]
        try:
            parsed = extract_pages(data, limits)
            answer = {"pages": parsed.pages, "warnings": parsed.warnings}
        except PdfRefused as exc:
            answer = {"refused": str(exc)}
        except MemoryError:
            answer = {"refused": f"needed more than the {args.memory_mb} MB memory bound", "exiting": True}
            exit_code = MEMORY_EXIT_CODE
        del data
        answer["cpu_s"] = time.process_time() - started
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        answers.write(FRAME.pack(len(payload)) + payload)
        answers.flush()
        if exit_code is not None:
            return exit_code


if __name__ == "__main__":
    os._exit(main())  # nothing left to flush (each answer was): no interpreter teardown
