import functools

import numpy as np
import pytest

from tileshop_pipelines.embedding.pending import WRITE_BATCH, EmbeddingBatchError, embed_pending_chunks
from tileshop_pipelines.store import chunks as chunks_sql
from tileshop_pipelines.text.chunks import Chunk


@pytest.fixture
def chunks(conn):
    conn.execute("TRUNCATE product_chunks, product_embeddings")
    chunks_sql.sync_chunks(
        conn, [Chunk(f"k{i:04}:summary:0", f"k{i:04}", "summary", 0, f"text {i}") for i in range(WRITE_BATCH + 10)]
    )
    return conn


def _random_embedder(dim=384, fail_on_call=None):
    calls = []

    def embed(texts):
        calls.append(len(texts))
        if fail_on_call == len(calls):
            raise RuntimeError("CUDA out of memory")
        rng = np.random.default_rng(len(calls))
        v = rng.standard_normal((len(texts), dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    return embed, calls


def test_embeds_only_what_changed(chunks):
    embed, calls = _random_embedder()
    assert _embed_pending(chunks, embed) == WRITE_BATCH + 10
    assert calls == [WRITE_BATCH, 10]
    assert _embed_pending(chunks, embed) == 0  # nothing new
    chunks_sql.sync_chunks(chunks, [Chunk("k0000:summary:0", "k0000", "summary", 0, "changed")])
    assert _embed_pending(chunks, embed) == 1


def test_a_failing_batch_is_loud_and_earlier_batches_stay(chunks):
    embed, _ = _random_embedder(fail_on_call=2)
    with pytest.raises(EmbeddingBatchError, match="CUDA out of memory"):
        _embed_pending(chunks, embed)
    assert chunks.execute("SELECT count(*) FROM product_embeddings").fetchone()[0] == WRITE_BATCH
    assert len(chunks_sql.chunks_to_embed(chunks, "m", 384)) == 10  # the next run resumes there


def test_wrong_dimension_is_refused(chunks):
    embed, _ = _random_embedder(dim=768)
    with pytest.raises(EmbeddingBatchError, match="expected dimension 384"):
        _embed_pending(chunks, embed)
    assert chunks.execute("SELECT count(*) FROM product_embeddings").fetchone()[0] == 0


def _embed_pending(conn, embed) -> int:
    """What the embedding asset does: the store's pending chunks, the vectors saved back."""
    return embed_pending_chunks(
        chunks_sql.chunks_to_embed(conn, "m", 384),
        embed,
        functools.partial(chunks_sql.save_embeddings, conn, model="m"),
        "m",
        384,
    )
