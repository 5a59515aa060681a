"""Query embeddings through ONNX Runtime, the same vectors as the torch model at about half the CPU.

The model's transformer is exported once to ONNX from the local weights, then each call runs
tokenizer -> ONNX Runtime -> mean pooling -> L2 normalization: the pipeline the
sentence-transformers model runs (Transformer, Pooling(mean), Normalize). An export is a folder
under ``.tileshop/onnx`` named by the model files and the torch version (a change of either
exports again) holding all the encoder reads: ``model.onnx``, the model's ``tokenizer.json`` and
``sentence_bert_config.json``, and ``probe.npy``, the torch model's vectors of PROBE_TEXTS. Loading
checks the encoder against those vectors and refuses a mismatch, so query vectors stay comparable
with the stored (torch-computed) chunk vectors; it needs neither torch nor sentence-transformers
(a cold app start: ~1 s instead of ~10 s).

Where torch is not installed (the app's image, rag_app/Dockerfile: its build makes the export
with torch in a stage the image does not keep), the model's files cannot be read or exported
either: the one export of the model in the folder is the encoder.

Measured here (one thread, all-MiniLM-L6-v2, shopper questions): 7.5 ms per single question vs
16.9 ms with torch; 5.2 vs 8.1 ms per question in batches of 4; cosine to torch >= 0.99999.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np

from tileshop_pipelines.embedding.model import EmbeddingError, embed_texts, load_model, model_path

PROBE_TEXTS = ("white porcelain floor tile 12 x 24 in", "grout", "what does SKU 684287 cost per box?")
MIN_PROBE_COSINE = 0.9999
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
GRAPH, PROBES = "model.onnx", "probe.npy"
MODEL_FILES = ("tokenizer.json", "sentence_bert_config.json")  # copied from the model into its export
EXPORT_FILES = (GRAPH, PROBES, *MODEL_FILES)


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
        columns = {
            "input_ids": [e.ids for e in encodings],
            "attention_mask": mask,
            "token_type_ids": [e.type_ids for e in encodings],
        }
        feed = {name: np.asarray(columns[name], dtype=np.int64) for name in self.input_names}
        tokens = self.session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def _folder_name(model_name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(model_name).name)


def export_dir(model_name: str, cache_dir: Path) -> Path:
    """Where the model's export lives: named by the model files and the torch version."""
    root = Path(model_path(model_name))
    digest = hashlib.sha256(importlib.metadata.version("torch").encode())  # torch.__version__, unimported
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(root)}:{path.stat().st_size}".encode())
    return cache_dir / f"{_folder_name(model_name)}-{digest.hexdigest()[:16]}"


def can_export() -> bool:
    """torch is installed here: exports are made (and found) by the model files' digest."""
    return importlib.util.find_spec("torch") is not None


def is_complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in EXPORT_FILES)


def built_export(model_name: str, cache_dir: Path) -> Path:
    """The one complete export of `model_name` in `cache_dir`, in a process without torch."""
    found = sorted(p for p in cache_dir.glob(f"{_folder_name(model_name)}-*") if p.is_dir() and is_complete(p))
    if len(found) != 1:
        what = f"{len(found)} exports ({', '.join(p.name for p in found)})" if found else "no export"
        raise EmbeddingError(
            f"torch is not installed here, so the ONNX query encoder of {model_name!r} must be "
            f"exported already, and {cache_dir} holds {what} of it; the app's image makes exactly "
            "one when it is built (`tileshop model prepare` where torch is installed), for the "
            "model TILESHOP_EMBEDDING_MODEL names"
        )
    return found[0]


def _check_architecture(model) -> None:
    names = [type(module).__name__ for module in model]
    pooling = getattr(model[1], "pooling_mode", None) if len(model) > 1 else None
    if names != ["Transformer", "Pooling", "Normalize"] or pooling not in ("mean", None):
        raise EmbeddingError(
            f"the ONNX query encoder supports Transformer + mean Pooling + Normalize models, "
            f"not {names} (pooling {pooling!r}); use the torch backend"
        )
    if pooling is None and not getattr(model[1], "pooling_mode_mean_tokens", False):
        raise EmbeddingError("the ONNX query encoder needs mean pooling; use the torch backend")


def _export(model_name: str, folder: Path) -> None:
    """The transformer (token embeddings out) to ONNX, the model's tokenizer and sequence length,
    and torch's vectors of PROBE_TEXTS: written to a partial folder, then renamed into place whole."""
    import torch

    model = load_model(model_name)
    _check_architecture(model)
    transformer = model[0].auto_model.eval()
    example = model.tokenizer(["a tile"], return_tensors="pt")
    names = [name for name in _INPUTS if name in example]

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    partial = folder.with_name(f"{folder.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "token_embeddings"]}
    with torch.no_grad():
        torch.onnx.export(
            TokenEmbeddings(transformer),
            tuple(example[n] for n in names),
            str(partial / GRAPH),
            input_names=names,
            output_names=["token_embeddings"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    np.save(partial / PROBES, embed_texts(model, list(PROBE_TEXTS)))
    for name in MODEL_FILES:
        shutil.copyfile(Path(model_path(model_name)) / name, partial / name)
    try:
        partial.rename(folder)
    except OSError as exc:  # another process renamed its own first: keep that one
        shutil.rmtree(partial)
        if not is_complete(folder):
            raise EmbeddingError(
                f"the ONNX export {folder} is incomplete (it lacks one of {', '.join(EXPORT_FILES)}); "
                "delete it to export again"
            ) from exc


def load_onnx_encoder(model_name: str, cache_dir: Path, threads: int = 1) -> OnnxEncoder:
    """The ONNX encoder of `model_name`, checked against the torch model's vectors kept in its
    export. The first use exports the model (torch needed); later ones load the export alone."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise EmbeddingError(f"the ONNX query encoder needs onnxruntime: {exc}") from exc
    if can_export():
        folder = export_dir(model_name, cache_dir)
        if not is_complete(folder):
            _export(model_name, folder)
    else:
        folder = built_export(model_name, cache_dir)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(folder / GRAPH), options, providers=["CPUExecutionProvider"])
    from tokenizers import Tokenizer

    max_length = int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    encoder = OnnxEncoder(session, Tokenizer.from_file(str(folder / "tokenizer.json")), max_length)
    cosine = float((encoder.encode(list(PROBE_TEXTS)) * np.load(folder / PROBES)).sum(axis=1).min())
    if cosine < MIN_PROBE_COSINE:
        raise EmbeddingError(
            f"the ONNX export {folder} disagrees with the torch model (probe cosine {cosine:.6f} < "
            f"{MIN_PROBE_COSINE}); delete it to export again, or use the torch backend"
        )
    return encoder


@lru_cache(maxsize=4)
def shared_onnx_encoder(model_name: str, cache_dir: Path, threads: int = 1) -> OnnxEncoder:
    """One encoder per model and thread count in a process (the pipeline's embedding batches)."""
    return load_onnx_encoder(model_name, cache_dir, threads)
