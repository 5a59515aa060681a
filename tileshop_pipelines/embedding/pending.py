"""Embed the chunks that need it (new text, other model or dimension), batch by batch, handing
each batch's vectors to the store. The caller reads what is pending and writes the vectors
(store/chunks.py: `chunks_to_embed`, `save_embeddings`), so this loop stays below the store."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

WRITE_BATCH = 512  # chunks per encode + write; each write is one transaction

Pending = tuple[str, str, str]  # chunk id, content, text hash
Save = Callable[[list[tuple[str, str]], np.ndarray], None]  # [(chunk id, text hash)], vectors


class EmbeddingBatchError(RuntimeError):
    pass


def embed_pending_chunks(
    pending: Sequence[Pending],
    embed: Callable[[list[str]], np.ndarray],
    save: Save,
    model_id: str,
    dim: int,
    log: Callable[[str], None] = lambda _: None,
) -> int:
    """Returns how many chunks were embedded. Stops at the first failing batch (batches saved
    before it stay: they are complete, and the next run resumes after them)."""
    for start in range(0, len(pending), WRITE_BATCH):
        batch = pending[start : start + WRITE_BATCH]
        try:
            vectors = embed([content for _, content, _ in batch])
        except Exception as exc:
            raise EmbeddingBatchError(
                f"embedding failed on a batch of {len(batch)} chunks (first {batch[0][0]}): {exc}"
            ) from exc
        if vectors.shape != (len(batch), dim):
            raise EmbeddingBatchError(
                f"model {model_id} returned vectors of shape {vectors.shape} for "
                f"{len(batch)} chunks; expected dimension {dim}"
            )
        save([(cid, th) for cid, _, th in batch], vectors)
        log(f"embedded {min(start + WRITE_BATCH, len(pending))}/{len(pending)} chunks")
    return len(pending)
