"""Embed the chunks that need it (new text, other model or dimension) and store the vectors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import psycopg

from tileshop_pipelines.store import chunks as chunks_sql

WRITE_BATCH = 512  # chunks per encode + write; each write is one transaction


class EmbeddingBatchError(RuntimeError):
    pass


def embed_pending_chunks(conn: psycopg.Connection, embed: Callable[[list[str]], np.ndarray], model_id: str,
                         dim: int, log: Callable[[str], None] = lambda _: None) -> int:
    """Returns how many chunks were embedded. Stops at the first failing batch (batches written
    before it stay: they are complete, and the next run resumes after them)."""
    pending = chunks_sql.chunks_to_embed(conn, model_id, dim)
    for start in range(0, len(pending), WRITE_BATCH):
        batch = pending[start:start + WRITE_BATCH]
        try:
            vectors = embed([content for _, content, _ in batch])
        except Exception as exc:
            raise EmbeddingBatchError(f"embedding failed on a batch of {len(batch)} chunks "
                                      f"(first {batch[0][0]}): {exc}") from exc
        if vectors.shape != (len(batch), dim):
            raise EmbeddingBatchError(f"model {model_id} returned vectors of shape {vectors.shape} for "
                                      f"{len(batch)} chunks; expected dimension {dim}")
        chunks_sql.save_embeddings(conn, [(cid, th) for cid, _, th in batch], vectors, model_id)
        log(f"embedded {min(start + WRITE_BATCH, len(pending))}/{len(pending)} chunks")
    return len(pending)
