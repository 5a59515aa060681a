"""A pool of parse workers (worker.py), started when first needed and reused across documents.

A parse goes to an idle worker (threads may call `parse` at once; each waits for a free worker).
A worker that does not answer within `timeout_s` is killed (SIGKILL) and the document refused
naming the bound; one that dies (over its memory bound, a crash, SIGXCPU) is replaced by a new
one at the next parse; either way the other documents go on. An answer is read only up to what
the text bound allows. Starting a worker costs an interpreter and pypdf's import, once per worker
and run (`python -m bench --only documents` measures it); each document after that costs its
bytes through a pipe.
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tileshop_pipelines.pdf.extract import Limits, shown
from tileshop_pipelines.pdf.worker import FRAME, MEMORY_EXIT_CODE

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ParseOutcome:
    pages: list[str] | None  # None when refused
    warnings: list[str] = field(default_factory=list)
    refused: str | None = None  # why the document was not read
    seconds: float = 0.0  # wall time, from the request to its answer
    cpu_s: float = 0.0  # the worker's CPU time for it (0 when no answer came)


class WorkerLost(RuntimeError):
    """The worker did not answer: timed out, died, or answered out of bounds (the message says)."""


class _Worker:
    def __init__(self, command: list[str]):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True
        )
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None  # both PIPE
        self.stdin: IO[bytes] = stdin
        self.stdout: IO[bytes] = stdout

    def run(self, data: bytes, timeout_s: float, max_answer: int) -> dict:
        deadline = time.monotonic() + timeout_s
        try:
            self.stdin.write(FRAME.pack(len(data)) + data)
            self.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerLost(self._death()) from None
        size = FRAME.unpack(self._read(FRAME.size, deadline, timeout_s))[0]
        if size > max_answer:
            raise WorkerLost(f"the parse worker's answer of {size} bytes is over the {max_answer}-byte bound")
        return json.loads(self._read(size, deadline, timeout_s))

    def _read(self, size: int, deadline: float, timeout_s: float) -> bytes:
        fd, chunks, left = self.stdout.fileno(), [], size
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise WorkerLost(f"parsing took longer than the {timeout_s:g} s bound; the worker was stopped")
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise WorkerLost(self._death())
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the parse worker stopped answering"
        if code == MEMORY_EXIT_CODE:
            return "the parse worker ran out of memory"
        if code < 0:
            return f"the parse worker died (signal {-code})"
        return f"the parse worker exited with code {code}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.stdin, self.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def end_input(self) -> None:
        """Ask it to end: it exits at the end of its input."""
        try:
            self.stdin.close()
        except OSError:
            pass

    def close(self, deadline: float) -> None:
        """Wait for it to end (after end_input) until `deadline` (time.monotonic), then make sure."""
        try:
            self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        self.stop()


class ParserPool:
    """`with ParserPool(limits, workers=2, timeout_s=60, memory_mb=768) as pool: pool.parse(data)`."""

    def __init__(self, limits: Limits, *, workers: int, timeout_s: float, memory_mb: int):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.limits, self.workers, self.timeout_s, self.memory_mb = limits, workers, timeout_s, memory_mb
        self.command = [
            sys.executable,
            "-m",
            "tileshop_pipelines.pdf.worker",
            "--max-pages",
            str(limits.max_pages),
            "--max-text-chars",
            str(limits.max_text_chars),
            "--max-stream-bytes",
            str(limits.max_stream_bytes),
            "--memory-mb",
            str(memory_mb),
            "--timeout-s",
            str(timeout_s),
        ]
        # JSON escapes at most 6 bytes per character (\uXXXX); pages and warnings on top.
        self.max_answer = 6 * limits.max_text_chars + 64 * limits.max_pages + 1024 * 1024
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._alive: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.started = 0  # workers started, replacements included
        self.lost = 0  # workers killed or dead

    def parse(self, data: bytes) -> ParseOutcome:
        started = time.perf_counter()
        worker = self._checkout()
        try:
            answer = worker.run(data, self.timeout_s, self.max_answer)
        except WorkerLost as exc:
            self._drop(worker)
            return ParseOutcome(None, refused=str(exc), seconds=time.perf_counter() - started)
        except BaseException:
            self._drop(worker)
            raise
        if answer.get("exiting") or worker.proc.poll() is not None:  # answered, and ends (its memory bound)
            self._drop(worker)
        else:
            self._idle.put(worker)
        seconds, cpu_s = time.perf_counter() - started, float(answer.get("cpu_s", 0.0))
        if "refused" in answer:
            return ParseOutcome(None, refused=shown(str(answer["refused"]), 500), seconds=seconds, cpu_s=cpu_s)
        return ParseOutcome(
            [str(p) for p in answer["pages"]], [shown(str(w)) for w in answer["warnings"]], seconds=seconds, cpu_s=cpu_s
        )

    def warm(self, count: int) -> None:
        """Start up to `count` workers now (at most `workers` in all): each imports pypdf while the
        caller goes on fetching, instead of when its first document arrives."""
        with self._lock:
            while not self._closed and len(self._alive) < min(count, self.workers):
                worker = _Worker(self.command)
                self._alive.add(worker)
                self.started += 1
                self._idle.put(worker)

    def _checkout(self) -> _Worker:
        """An idle worker, a new one while fewer than `workers` are alive, else wait for one (a
        worker dropped meanwhile frees a place for a new one)."""
        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the parser pool is closed")
                try:
                    return self._idle.get_nowait()
                except queue.Empty:
                    pass
                if len(self._alive) < self.workers:
                    worker = _Worker(self.command)
                    self._alive.add(worker)
                    self.started += 1
                    return worker
            try:
                return self._idle.get(timeout=0.05)
            except queue.Empty:
                continue

    def _drop(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._alive.discard(worker)
            self.lost += 1

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._alive = list(self._alive), set()
        for worker in workers:  # all asked first: they end at once, not one after the other
            worker.end_input()
        deadline = time.monotonic() + 2
        for worker in workers:
            worker.close(deadline)

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
