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
