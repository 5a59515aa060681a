import numpy as np
import pytest

from tileshop_pipelines.embedding.model import DIMENSION, EmbeddingError, embed_texts, load_model, model_path


def test_packaged_model_embeds_offline_and_normalized():
    model = load_model()
    vectors = embed_texts(
        model, ["white matte ceramic wall tile", "white ceramic wall tile, matte", "50 lb bag of tile mortar"]
    )
    assert vectors.shape == (3, DIMENSION)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > 0.8 > unrelated


def test_empty_batch():
    assert embed_texts(load_model(), []).shape == (0, DIMENSION)


def test_unknown_model_is_refused_not_downloaded():
    with pytest.raises(EmbeddingError, match="never downloaded"):
        model_path("sentence-transformers/all-mpnet-base-v2")


def test_dimension_and_model_id_without_loading_the_model():
    from tileshop_pipelines.embedding.model import model_dimension, model_id

    assert model_dimension("all-MiniLM-L6-v2") == DIMENSION
    assert model_id("all-MiniLM-L6-v2") == "all-MiniLM-L6-v2"
    assert model_id("all-MiniLM-L6-v2", "onnx") == "all-MiniLM-L6-v2@onnx"  # its vectors differ slightly


@pytest.mark.slow
def test_embedder_resource_on_onnx_gives_the_torch_vectors(tmp_path, monkeypatch):
    from tileshop_pipelines.defs.resources import EmbedderResource

    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path))
    texts = [f"porcelain floor tile number {i}" for i in range(40)]
    onnx = EmbedderResource(backend="onnx", batch_size=16).embed(texts)
    torch_vectors = EmbedderResource().embed(texts)
    assert onnx.shape == (40, 384) and (onnx * torch_vectors).sum(axis=1).min() > 0.9999
    assert EmbedderResource(backend="onnx").embed([]).shape == (0, 384)
    with pytest.raises(ValueError, match="'torch' or 'onnx'"):  # refused when the resource is built
        EmbedderResource(backend="tensorflow")


def test_tokenizer_counts_word_pieces_without_truncation():
    from tileshop_pipelines.embedding.model import word_piece_spans

    spans = word_piece_spans()
    text = "porcelain " * 300
    assert len(spans(text)) == 300  # the packaged tokenizer.json truncates at 128; ours must not
    assert [("Zenobia tile")[a:b] for a, b in spans("Zenobia tile")] == ["Zen", "ob", "ia", "tile"]
