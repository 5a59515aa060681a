"""Embedding benchmarks: the embedding asset's work vs raw `model.encode` (`--only embedding`), and
torch vs ONNX Runtime on the whole catalog's chunk texts (`--only backends`)."""

from __future__ import annotations

import functools

from bench.harness import Meter


def bench_embedding(texts_wanted: int, repeats: int) -> dict:
    """The embedding asset's work (chunks_to_embed -> encode per 512 -> binary COPY) vs raw
    model.encode on the same texts, same batch size and threads."""
    from bench.corpus import chunk_texts
    from bench.vectors import scratch_database
    from tileshop_pipelines.defs.resources import EmbedderResource
    from tileshop_pipelines.embedding.model import embed_texts, load_model, set_torch_threads
    from tileshop_pipelines.embedding.pending import embed_pending_chunks
    from tileshop_pipelines.store import chunks as chunks_sql
    from tileshop_pipelines.text.chunks import Chunk

    rows = chunk_texts(texts_wanted)
    texts = [content for _, _, _, content in rows]
    embedder = EmbedderResource(torch_threads=2)
    set_torch_threads(embedder.torch_threads)
    model = load_model(embedder.model_name, embedder.device)
    embed_texts(model, texts[:64])  # warm-up
    best: dict[str, dict] = {}
    with scratch_database() as conn:
        chunks_sql.sync_chunks(
            conn, [Chunk(cid, key, kind, int(cid.rsplit(":", 1)[1]), content) for cid, key, kind, content in rows]
        )
        for _ in range(repeats):
            conn.execute("TRUNCATE product_embeddings")
            with Meter() as raw:
                model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True)
            with Meter() as ours:
                done = embed_pending_chunks(
                    chunks_sql.chunks_to_embed(conn, embedder.model_id, embedder.dimension),
                    embedder.embed,
                    functools.partial(chunks_sql.save_embeddings, conn, model=embedder.model_id),
                    embedder.model_id,
                    embedder.dimension,
                )
            assert done == len(texts), done
            for name, m in (("raw_model_encode", raw), ("embedding_asset", ours)):
                row = {"texts": len(texts), "wall_s": round(m.wall, 3), "texts_per_s": round(len(texts) / m.wall, 1)}
                if name not in best or row["wall_s"] < best[name]["wall_s"]:
                    best[name] = row
    avg_words = sum(len(t.split()) for t in texts) / len(texts)
    return {
        "texts": len(texts),
        "avg_words": round(avg_words, 1),
        "batch_size": embedder.batch_size,
        "torch_threads": embedder.torch_threads,
        "runs": best,
        "ratios": {
            "throughput_embedding_asset_vs_raw_encode": round(
                best["embedding_asset"]["texts_per_s"] / best["raw_model_encode"]["texts_per_s"], 3
            )
        },
    }


def bench_embedding_backends(texts_wanted: int) -> dict:
    """Whole-catalog embedding through the embedding asset's encoder (EmbedderResource.embed, batch
    32, 2 threads): torch vs ONNX Runtime on the same chunk texts in the same run. ONNX is refused
    unless every vector's cosine to torch's is >= 0.9999."""
    from bench.corpus import chunk_texts
    from tileshop_pipelines.defs.resources import EmbedderResource
    from tileshop_pipelines.embedding.onnx_encoder import MIN_PROBE_COSINE

    texts = [content for _, _, _, content in chunk_texts(texts_wanted)]
    runs, vectors = {}, {}
    for backend in ("torch", "onnx"):
        embedder = EmbedderResource(backend=backend, torch_threads=2)
        embedder.embed(texts[:64])  # model load and first-batch costs out of the measurement
        with Meter() as m:
            vectors[backend] = embedder.embed(texts)
        runs[backend] = {"texts": len(texts), "wall_s": round(m.wall, 2), "texts_per_s": round(len(texts) / m.wall, 1)}
    cosine = (vectors["torch"] * vectors["onnx"]).sum(axis=1)
    return {
        "texts": len(texts),
        "runs": runs,
        "cosine_min": round(float(cosine.min()), 6),
        "cosine_mean": round(float(cosine.mean()), 6),
        "onnx_accepted": bool(cosine.min() >= MIN_PROBE_COSINE),
        "ratios": {"onnx_wall_vs_torch": round(runs["onnx"]["wall_s"] / runs["torch"]["wall_s"], 3)},
    }
