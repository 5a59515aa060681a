import numpy as np
import pytest

from tileshop_pipelines.embedding.model import DIMENSION, EmbeddingError, embed_texts, load_model, model_path


def test_packaged_model_embeds_offline_and_normalized():
    model = load_model()
    vectors = embed_texts(model, ["white matte ceramic wall tile", "white ceramic wall tile, matte",
                                  "50 lb bag of tile mortar"])
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


def test_onnx_backend_without_the_extra_is_a_clear_error():
    with pytest.raises(EmbeddingError, match="optional extra"):
        load_model("all-MiniLM-L6-v2", "cpu", "onnx")
    with pytest.raises(EmbeddingError, match="not one of"):
        load_model("all-MiniLM-L6-v2", "cpu", "tensorflow")


def test_tokenizer_counts_word_pieces_without_truncation():
    from tileshop_pipelines.embedding.model import word_piece_spans

    spans = word_piece_spans()
    text = "porcelain " * 300
    assert len(spans(text)) == 300  # the packaged tokenizer.json truncates at 128; ours must not
    assert [("Zenobia tile")[a:b] for a, b in spans("Zenobia tile")] == ["Zen", "ob", "ia", "tile"]
