"""The ONNX query encoder: exported from the local model, equal to the torch model's vectors."""

from __future__ import annotations

import numpy as np
import pytest

from rag_app.query_embedding import QueryEmbedder
from tileshop_pipelines.embedding import onnx_encoder
from tileshop_pipelines.embedding.model import DEFAULT_MODEL, EmbeddingError, embed_texts, load_model

TEXTS = ["Marmi Imperiali Zenobia porcelain tile", "unsanded grout, dove grey", "tile " * 400]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx")


@pytest.mark.slow
def test_encoder_gives_the_torch_models_vectors(export_dir):
    encoder = onnx_encoder.load_onnx_encoder(DEFAULT_MODEL, export_dir)
    expected = embed_texts(load_model(DEFAULT_MODEL), TEXTS)  # the last text is cut at 256 word pieces
    got = encoder.encode(TEXTS)
    assert got.dtype == np.float32 and got.shape == (3, 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * expected).sum(axis=1).min() > 0.9999


def test_export_is_made_once_and_reused(export_dir):
    path = onnx_encoder.export_path(DEFAULT_MODEL, export_dir)
    onnx_encoder.load_onnx_encoder(DEFAULT_MODEL, export_dir)
    stamp = path.stat().st_mtime_ns
    onnx_encoder.load_onnx_encoder(DEFAULT_MODEL, export_dir)
    assert path.stat().st_mtime_ns == stamp
    assert not list(export_dir.glob("*.partial"))


def test_a_disagreeing_export_is_refused(export_dir, monkeypatch):
    monkeypatch.setattr(onnx_encoder, "MIN_PROBE_COSINE", 1.5)  # nothing can pass
    with pytest.raises(EmbeddingError, match="disagrees with the torch model"):
        onnx_encoder.load_onnx_encoder(DEFAULT_MODEL, export_dir)


@pytest.mark.slow
def test_query_embedder_on_onnx_matches_torch(tmp_path, monkeypatch):
    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path))
    embedders = {backend: QueryEmbedder(DEFAULT_MODEL, cache_size=0, backend=backend) for backend in ("onnx", "torch")}
    try:
        for embedder in embedders.values():
            embedder.start()
        vectors = {b: e.embed_sync("grout for a white porcelain floor") for b, e in embedders.items()}
    finally:
        for embedder in embedders.values():
            embedder.stop()
    assert float(np.dot(vectors["onnx"], vectors["torch"])) > 0.9999
    with pytest.raises(ValueError, match="not one of"):
        QueryEmbedder(DEFAULT_MODEL, backend="tensorflow")


@pytest.mark.slow
def test_a_cached_export_loads_without_torch(export_dir):
    import subprocess
    import sys

    onnx_encoder.load_onnx_encoder(DEFAULT_MODEL, export_dir)  # the export and torch's probe vectors
    assert onnx_encoder.probe_path(onnx_encoder.export_path(DEFAULT_MODEL, export_dir)).exists()
    code = ("import sys; from pathlib import Path; from tileshop_pipelines.embedding.onnx_encoder import "
            f"load_onnx_encoder; load_onnx_encoder({DEFAULT_MODEL!r}, Path({str(export_dir)!r})).encode(['grout']); "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "[]"
