"""Real chunk texts and their real MiniLM embeddings, for the vector benchmarks.

HNSW recall only means something on real embeddings (random vectors give recall ~0.05), and
embedding 50,000 texts costs ~10 minutes of CPU here, so embeddings are cached by text hash under
.tileshop/bench/: a rerun embeds only texts it has not seen, and an interrupted run resumes.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

SAVE_EVERY = 2048


def chunk_texts(count: int, seed: int = 7) -> list[tuple[str, str, str, str]]:
    """`count` (chunk_id, product_key, kind, content) of a sample catalog large enough to hold them."""
    from tileshop_pipelines.catalog.extract import extract_product
    from tileshop_pipelines.embedding.model import word_piece_spans
    from tileshop_pipelines.sample_catalog import build_catalog
    from tileshop_pipelines.sample_catalog.render import product_page
    from tileshop_pipelines.text.chunks import chunk_product

    spans = word_piece_spans()
    n_products = max(100, count // 3 + 50)  # ~3 chunks per product
    rows: list[tuple[str, str, str, str]] = []
    while True:
        catalog = build_catalog(n_products=n_products, seed=seed)
        rows = []
        for product in catalog.products:
            record = extract_product(product_page(product, "http://127.0.0.1"), f"http://127.0.0.1{product.path}")
            key = product.path.rsplit("/", 1)[-1]
            rows += [(c.chunk_id, c.product_key, c.kind, c.content) for c in chunk_product(key, record, spans)]
            if len(rows) >= count:
                return rows[:count]
        n_products = int(n_products * 1.3) + 10


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_embeddings(texts: list[str], cache_file: Path, log=print) -> np.ndarray:
    """Embeddings of `texts` (unit-normalized float32), computed once and kept in `cache_file`."""
    from tileshop_pipelines.embedding.model import embed_texts, load_model, set_torch_threads

    cache: dict[str, np.ndarray] = {}
    if cache_file.exists():
        with np.load(cache_file) as data:
            cache = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    keys = [_text_key(t) for t in texts]
    missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())  # in text order
    if missing:
        log(f"embedding {len(missing)} texts not in {cache_file} (cached: {len(cache)})")
        set_torch_threads(2)
        model = load_model()
        started = time.perf_counter()
        for start in range(0, len(missing), SAVE_EVERY):
            batch = missing[start : start + SAVE_EVERY]
            vectors = embed_texts(model, [t for _, t in batch], batch_size=32)
            cache.update(zip([k for k, _ in batch], vectors, strict=True))
            _save(cache, cache_file)
            done = start + len(batch)
            log(f"  {done}/{len(missing)} embedded ({done / (time.perf_counter() - started):.0f} texts/s)")
    return np.stack([cache[k] for k in keys]).astype(np.float32, copy=False)


def cached_rows(
    count: int, cache_file: Path, pool: int = 60_000, log=print
) -> tuple[list[tuple[str, str, str, str]], np.ndarray]:
    """`count` chunk rows of a `pool`-chunk corpus whose embeddings are cached (the first ones in
    corpus order), embedding more only when fewer than `count` are cached."""
    rows = chunk_texts(max(pool, count))
    cached: set[str] = set()
    if cache_file.exists():
        with np.load(cache_file) as data:
            cached = set(data["keys"].tolist())
    hits = [r for r in rows if _text_key(r[3]) in cached][:count]
    if len(hits) < count:
        hits = rows[:count]
    return hits, cached_embeddings([r[3] for r in hits], cache_file, log=log)


def _save(cache: dict[str, np.ndarray], cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    partial = cache_file.with_suffix(".partial.npz")
    np.savez(partial, keys=np.array(list(cache)), vectors=np.stack(list(cache.values())))
    partial.replace(cache_file)  # atomic: an interrupted save never corrupts the cache
