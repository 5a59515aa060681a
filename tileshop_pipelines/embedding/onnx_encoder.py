"""Query embeddings through ONNX Runtime, the same vectors as the torch model at about half the CPU.

The model's transformer is exported once to ONNX from the local weights (cached under
``.tileshop/onnx``, keyed by the model files and the torch version), then each call runs
tokenizer -> ONNX Runtime -> mean pooling -> L2 normalization: the pipeline the
sentence-transformers model runs (Transformer, Pooling(mean), Normalize). Loading checks the
result against the torch model on probe texts and refuses a mismatch, so query vectors stay
comparable with the stored (torch-computed) chunk vectors. The torch model's probe vectors are
kept beside the export (`<export>.probe.npy`), so a process that finds both loads neither torch nor
sentence-transformers: the tokenizer is the model's tokenizer.json (the `tokenizers` library) and
the check runs against the kept vectors (a cold app start: ~1 s instead of ~10 s).

Measured here (one thread, all-MiniLM-L6-v2, shopper questions): 7.5 ms per single question vs
16.9 ms with torch; 5.2 vs 8.1 ms per question in batches of 4; cosine to torch >= 0.99999.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from tileshop_pipelines.embedding.model import EmbeddingError, embed_texts, load_model, load_tokenizer, model_path

PROBE_TEXTS = ("white porcelain floor tile 12 x 24 in", "grout", "what does SKU 684287 cost per box?")
MIN_PROBE_COSINE = 0.9999
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEncoder:
    """`encode(texts)` -> unit-normalized float32 rows, as `embedding.model.embed_texts`."""

    def __init__(self, session, tokenizer, max_length: int):
        """`tokenizer`: the model's `tokenizers.Tokenizer` (special tokens added, as the model's own)."""
        self.session, self.max_length = session, max_length
        self.tokenizer = tokenizer
        tokenizer.enable_truncation(max_length)
        tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0)
        self.input_names = [i.name for i in session.get_inputs()]

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        columns = {"input_ids": [e.ids for e in encodings], "attention_mask": mask,
                   "token_type_ids": [e.type_ids for e in encodings]}
        feed = {name: np.asarray(columns[name], dtype=np.int64) for name in self.input_names}
        tokens = self.session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def export_path(model_name: str, cache_dir: Path) -> Path:
    """Where the model's ONNX export lives: named by the model files and the torch version."""
    root = Path(model_path(model_name))
    digest = hashlib.sha256(importlib.metadata.version("torch").encode())  # torch.__version__, unimported
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(root)}:{path.stat().st_size}".encode())
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(model_name).name)
    return cache_dir / f"{safe}-{digest.hexdigest()[:16]}.onnx"


def _check_architecture(model) -> None:
    names = [type(module).__name__ for module in model]
    pooling = getattr(model[1], "pooling_mode", None) if len(model) > 1 else None
    if names != ["Transformer", "Pooling", "Normalize"] or pooling not in ("mean", None):
        raise EmbeddingError(f"the ONNX query encoder supports Transformer + mean Pooling + Normalize models, "
                             f"not {names} (pooling {pooling!r}); use the torch backend")
    if pooling is None and not getattr(model[1], "pooling_mode_mean_tokens", False):
        raise EmbeddingError("the ONNX query encoder needs mean pooling; use the torch backend")


def _export(model, path: Path) -> None:
    """The transformer (token embeddings out) to ONNX, written atomically."""
    import torch

    transformer = model[0].auto_model.eval()
    example = model.tokenizer(["a tile"], return_tensors="pt")
    names = [name for name in _INPUTS if name in example]

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs))).last_hidden_state

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "token_embeddings"]}
    with torch.no_grad():
        torch.onnx.export(TokenEmbeddings(transformer), tuple(example[n] for n in names), str(partial),
                          input_names=names, output_names=["token_embeddings"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    partial.replace(path)


def probe_path(export: Path) -> Path:
    """The torch model's vectors of PROBE_TEXTS, kept beside its export."""
    return export.with_suffix(".probe.npy")


def max_seq_length(model_name: str) -> int:
    return int(json.loads((Path(model_path(model_name)) / "sentence_bert_config.json").read_text())["max_seq_length"])


def load_onnx_encoder(model_name: str, cache_dir: Path, threads: int = 1) -> OnnxEncoder:
    """The ONNX encoder of `model_name`, checked against the torch model's vectors. The first
    use exports the model and keeps torch's probe vectors; later ones need neither torch nor the
    sentence-transformers model."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise EmbeddingError(f"the ONNX query encoder needs onnxruntime: {exc}") from exc
    path = export_path(model_name, cache_dir)
    probes = probe_path(path)
    if not (path.exists() and probes.exists()):
        model = load_model(model_name)
        _check_architecture(model)
        if not path.exists():
            _export(model, path)
        partial = probes.with_suffix(f".{os.getpid()}.partial.npy")
        np.save(partial, embed_texts(model, list(PROBE_TEXTS)))
        partial.replace(probes)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    # A copy: the encoder sets truncation and padding on it; word_piece_spans wants neither.
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(load_tokenizer(model_name).to_str())
    encoder = OnnxEncoder(session, tokenizer, max_seq_length(model_name))
    cosine = float((encoder.encode(list(PROBE_TEXTS)) * np.load(probes)).sum(axis=1).min())
    if cosine < MIN_PROBE_COSINE:
        raise EmbeddingError(f"the ONNX export {path} disagrees with the torch model (probe cosine {cosine:.6f} < "
                             f"{MIN_PROBE_COSINE}); delete it to export again, or use the torch backend")
    return encoder


@lru_cache(maxsize=4)
def shared_onnx_encoder(model_name: str, cache_dir: Path, threads: int = 1) -> OnnxEncoder:
    """One encoder per model and thread count in a process (the pipeline's embedding batches)."""
    return load_onnx_encoder(model_name, cache_dir, threads)
