"""Query embeddings for the app: concurrent questions are encoded together, repeats come from an LRU.

One worker thread owns the model. Requests arriving while it encodes queue up and go into the next
batch, so under load one `encode` call serves many questions (one forward pass over a padded batch
costs far less than one per question on two cores). Identical questions (after whitespace
normalization) reuse the stored vector; answers are never cached.

The encoder is ONNX Runtime over the same model (backend "onnx", the default: about half torch's
CPU per question, same vectors; see embedding.onnx_encoder) or the torch model itself.
Torch runs on `torch_threads` threads (default 1): with two OpenMP threads on a busy two-core
machine one short query took ~500 ms instead of ~25 ms (threads spin waiting for each other).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

from rag_app.shared_state import RedisEmbeddingCache
from tileshop_pipelines.bootstrap import onnx_folder
from tileshop_pipelines.embedding.model import BACKENDS, EmbeddingError, embed_texts, load_model
from tileshop_pipelines.embedding.onnx_encoder import load_onnx_encoder

MAX_BATCH = 32


def cache_key(text: str) -> str:
    """Whitespace-normalized text; this is also what gets encoded, so a key maps to one vector."""
    return " ".join(text.split())


class QueryEmbedder:
    def __init__(
        self,
        model_name: str,
        cache_size: int = 4096,
        torch_threads: int = 1,
        gather_ms: float = 0.0,
        backend: str = "torch",
        on_batch: Callable[[int], None] | None = None,
        shared_cache: RedisEmbeddingCache | None = None,
        on_lookup: Callable[[str], None] | None = None,
    ):
        """`on_batch(n)` is told the size of each encoder call (the app's batch-size histogram)."""
        if backend not in BACKENDS:
            raise ValueError(f"query embedding backend {backend!r} is not one of {BACKENDS}")
        self.model_name = model_name
        self.backend = backend
        self.gather_s = gather_ms / 1000
        self.on_batch = on_batch
        self._encode: Callable[[list[str]], np.ndarray] | None = None  # set by start
        self.torch_threads = torch_threads
        self.cache_size = cache_size
        self.shared_cache = shared_cache  # every process's vectors (REDIS_URL), behind this one's LRU
        self.on_lookup = on_lookup
        self._cache: collections.OrderedDict[str, np.ndarray] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[str, Future] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def unobserved(self):
        """No batch sizes or lookups reported meanwhile (the app's warm-up, before it serves)."""
        callbacks = self.on_batch, self.on_lookup
        self.on_batch = self.on_lookup = None
        try:
            yield
        finally:
            self.on_batch, self.on_lookup = callbacks

    def start(self) -> None:
        """Load the encoder and start the worker. ONNX with its export cached: ~1 s, no torch;
        torch (or the first ONNX export): ~10 s the first time in a process."""
        if self.backend == "onnx":
            encoder = load_onnx_encoder(self.model_name, onnx_folder(), self.torch_threads)
            self._encode = encoder.encode
        else:
            try:
                import torch
            except ImportError as exc:
                raise EmbeddingError(
                    "TILESHOP_QUERY_EMBED_BACKEND=torch needs torch, which is not installed here "
                    "(the app's image has ONNX Runtime only); use onnx"
                ) from exc
            model = load_model(self.model_name)
            torch.set_num_threads(self.torch_threads)  # process-wide: this process serves queries
            self._encode = lambda texts: embed_texts(model, texts)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="query-embedder", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _cached(self, key: str) -> np.ndarray | None:
        with self._lock:
            vector = self._cache.get(key)
            if vector is not None:
                self._cache.move_to_end(key)
            return vector

    def _store(self, key: str, vector: np.ndarray) -> None:
        if self.cache_size <= 0:
            return
        with self._lock:
            self._cache[key] = vector
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def submit(self, text: str) -> Future[np.ndarray]:
        key = cache_key(text)
        future: Future[np.ndarray] = Future()
        vector = self._cached(key)
        if vector is not None:
            future.set_result(vector)
        else:
            if not self.running:
                raise RuntimeError("the query embedder is not started")
            self._queue.put((key, future))
        return future

    async def embed(self, text: str) -> np.ndarray:
        """The vector from this process's LRU, else the shared cache (REDIS_URL), else the model
        (then stored in both); `on_lookup` counts where it came from (local, shared, model)."""
        key = cache_key(text)
        vector = self._cached(key)
        source = "local"
        if vector is None and self.shared_cache is not None:
            vector = await self.shared_cache.get(key)
            if vector is not None:
                self._store(key, vector)
                source = "shared"
        if vector is None:
            vector = await asyncio.wrap_future(self.submit(text))
            source = "model"
            if self.shared_cache is not None:
                await self.shared_cache.put(key, vector)
        if self.on_lookup is not None:
            self.on_lookup(source)
        return vector

    def embed_sync(self, text: str) -> np.ndarray:
        return self.submit(text).result()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            deadline = time.monotonic() + self.gather_s
            while len(batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(nxt)
            texts = list(dict.fromkeys(key for key, _ in batch))
            if self.on_batch is not None:
                self.on_batch(len(texts))
            try:
                if self._encode is None:
                    raise EmbeddingError("the query embedder is not started")
                vectors = dict(zip(texts, self._encode(texts), strict=True))
            except Exception as exc:  # the callers get the error, the worker lives on
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for key, future in batch:
                self._store(key, vectors[key])
                future.set_result(vectors[key])
